"""Everything the dashboard page shows for one survey and one filter selection.

One call per page view: three :func:`surveys.publication.aggregates.aggregate` reads of the
cached protected cube, turned into plotly figure dicts and a counts table. The
model estimates (DiD, DDD, event study) are slower and come from their own
JSON endpoint, fetched by the page's script.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
from markupsafe import Markup

from ...models import Survey
from ...publication.aggregates import MEASURES, AggregateTable, Filters, aggregate
from ...publication.fieldwork import ProgressRow, progress
from ...studies.events import survey_events
from . import figures

TABLE_MAX_ROWS = 60
# The two outcomes the claim is about, drawn for immigrant and non-immigrant respondents side by side.
SUBGROUP_MEASURES = ("trust", "willingness")


@dataclass(frozen=True)
class CountsTable:
    """Responses per jurisdiction (rows) and wave (columns), with totals; None = suppressed."""

    waves: list[tuple[int | None, str]]
    rows: list[tuple[str, list[int | None]]]
    suppressed_cells: int

    @property
    def printable(self) -> bool:
        """Small enough to read as a table on the page (larger ones are a CSV download)."""
        return len(self.rows) <= TABLE_MAX_ROWS


@dataclass(frozen=True)
class Dashboard:
    survey: Survey
    filters: Filters
    min_cell_size: int
    total: int | None
    figures: dict[str, dict]
    counts: CountsTable
    release: int | None = None
    fieldwork: tuple[ProgressRow, ...] = ()
    # The heatmap legend's top (largest shown count); the events of the shown places, numbered by date.
    heat_max: int = 0
    events: tuple[tuple[str, float | None, object], ...] = ()
    # A message instead of the charts when the selection holds nothing to draw.
    empty: str | None = None
    # A bad filter value: the message, shown above the form (the page shows the whole survey instead).
    filter_error: str | None = None

    def figure_json(self) -> dict[str, Markup]:
        """Each figure as JSON safe inside ``<script type="application/json">`` (no ``<``, ``>``, ``&``)."""
        # Safe: <, > and & are escaped as JSON unicode escapes, so the text cannot close the script element.
        return {name: Markup(json.dumps(fig, separators=(",", ":"), allow_nan=False)  # noqa: S704
                             .replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))
                for name, fig in self.figures.items()}


def _counts_table(survey: Survey, table: AggregateTable) -> CountsTable:
    """From ``aggregate(by=("jurisdiction", "wave"), margins=True)``: rows jurisdictions, columns waves."""
    codes, waves = table.axes
    labels = {w.number: w.label for w in survey.waves}
    names = {j.code: j.name for j in survey.jurisdictions}
    n = table.grid("n")
    hidden = table.grid("suppressed").astype(bool)
    counts = np.nan_to_num(n).astype(np.int64).astype(object)
    shown: list = np.asarray(np.where(hidden, None, counts), dtype=object).tolist()
    rows = [("All selected jurisdictions" if code is None else names.get(code, code), values)
            for code, values in zip(codes, shown, strict=True)]
    header = [(w, "Total" if w is None else labels.get(w, str(w))) for w in waves]
    return CountsTable(waves=header, rows=rows, suppressed_cells=int(hidden.sum()))


def _empty_message(survey: Survey, waves: list, total: int | None, release: int | None) -> str | None:
    """Why there is nothing to draw, or None when there is."""
    if not survey.waves:
        return "This survey has no waves yet: add one, open it, and the charts appear once it has closed."
    if release is None:
        return "No wave has closed yet, so nothing is released: the charts appear when the first wave closes."
    if not waves or total == 0:
        return "No responses in this selection. Widen the filters (or clear them) to see the charts."
    return None


def build_dashboard(survey: Survey, filters: Filters, filter_error: str | None = None) -> Dashboard:
    """Figures and tables for the dashboard page, all read through the small-cell rule."""
    cells = aggregate(survey, ("jurisdiction", "wave"), filters, margins=True)
    hidden = bool(cells.grid("suppressed")[-1, -1])
    total = None if hidden else int(cells.grid("n")[-1, -1])
    waves = list(cells.axes[1][:-1])
    empty = _empty_message(survey, waves, total, cells.release)
    figs: dict[str, dict] = {}
    marks: list = []
    heat_max = 0
    if empty is None:
        subgroups = aggregate(survey, ("wave", "jurisdiction", "immigrant"), filters, margins=True,
                              measures=SUBGROUP_MEASURES)
        marks = figures.shown_events(survey, survey_events(survey), list(cells.axes[0][:-1]), waves)
        figs["responses"] = figures.responses_figure(survey, cells)
        shown = np.where(cells.grid("suppressed")[:-1, :-1].astype(bool), 0, np.nan_to_num(cells.grid("n")[:-1, :-1]))
        heat_max = int(shown.max()) if shown.size else 0
        for measure in MEASURES:
            figs[f"scores-{measure}"] = figures.scores_figure(survey, cells, measure, marks)
        for measure in SUBGROUP_MEASURES:
            figs[f"subgroups-{measure}"] = figures.subgroup_figure(survey, subgroups, measure)
    return Dashboard(survey=survey, filters=filters, min_cell_size=cells.min_cell_size, total=total,
                     figures=figs, counts=_counts_table(survey, cells), release=cells.release,
                     fieldwork=tuple(progress(survey)), heat_max=heat_max, events=tuple(marks), empty=empty,
                     filter_error=filter_error)
