"""Everything the dashboard page shows for one survey and one filter selection.

One call per page view: three :func:`surveys.aggregates.aggregate` reads of the
cached protected cube, turned into plotly figure dicts and a counts table. The
model estimates (DiD, DDD, event study) are slower and come from their own
JSON endpoint, fetched by the page's script.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
from markupsafe import Markup

from ..aggregates import MEASURES, AggregateTable, Filters, aggregate
from ..estimates import survey_events
from ..models import Survey
from . import dashboard_figures as figures

TABLE_MAX_ROWS = 60


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
    shown = np.where(hidden, None, np.nan_to_num(n).astype(np.int64).astype(object)).tolist()
    rows = [("All selected jurisdictions" if code is None else names.get(code, code), values)
            for code, values in zip(codes, shown, strict=True)]
    header = [(w, "Total" if w is None else labels.get(w, str(w))) for w in waves]
    return CountsTable(waves=header, rows=rows, suppressed_cells=int(hidden.sum()))


def build_dashboard(survey: Survey, filters: Filters) -> Dashboard:
    """Figures and tables for the dashboard page, all read through the small-cell rule."""
    cells = aggregate(survey, ("jurisdiction", "wave"), filters, margins=True)
    subgroups = aggregate(survey, ("wave", "jurisdiction", "immigrant"), filters, margins=True,
                          measures=("trust", "willingness"))
    events = survey_events(survey)
    figs = {"responses": figures.responses_figure(survey, cells)}
    for measure in MEASURES:
        figs[f"scores-{measure}"] = figures.scores_figure(survey, cells, measure, events)
    for measure in ("trust", "willingness"):
        figs[f"subgroups-{measure}"] = figures.subgroup_figure(survey, subgroups, measure)
    hidden = bool(cells.grid("suppressed")[-1, -1])
    total = None if hidden else int(cells.grid("n")[-1, -1])
    return Dashboard(survey=survey, filters=filters, min_cell_size=cells.min_cell_size, total=total,
                     figures=figs, counts=_counts_table(survey, cells))
