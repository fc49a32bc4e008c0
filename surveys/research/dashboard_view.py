"""Everything the dashboard page shows for one survey and one filter selection.

One call per page view: three :func:`surveys.aggregates.aggregate` reads of the
cached protected cube, turned into plotly figure dicts and a counts table. The
model estimates (DiD, DDD, event study) are slower and come from their own
JSON endpoint, fetched by the page's script.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..aggregates import MEASURES, AggregateTable, Filters, aggregate
from ..models import Survey
from . import dashboard_figures as figures


@dataclass(frozen=True)
class CountsTable:
    """Responses per jurisdiction (rows) and wave (columns), with totals; None = suppressed."""

    waves: list[tuple[int | None, str]]
    rows: list[tuple[str, list[int | None]]]
    suppressed_cells: int


@dataclass(frozen=True)
class Dashboard:
    survey: Survey
    filters: Filters
    min_cell_size: int
    total: int | None
    figures: dict[str, dict]
    counts: CountsTable


def _counts_table(survey: Survey, table: AggregateTable) -> CountsTable:
    frame = table.frame
    waves = [w for w in dict.fromkeys(frame["wave"])]
    labels = {w.number: w.label for w in survey.waves}
    names = {j.code: j.name for j in survey.jurisdictions}
    cells = {(r.jurisdiction, r.wave): (None if r.suppressed else int(r.n)) for r in frame.itertuples(index=False)}
    rows = []
    for code in dict.fromkeys(frame["jurisdiction"]):
        rows.append(("All selected jurisdictions" if code is None else names.get(code, code),
                     [cells[(code, w)] for w in waves]))
    header = [(w, "Total" if w is None else labels.get(w, str(w))) for w in waves]
    return CountsTable(waves=header, rows=rows, suppressed_cells=int(frame["suppressed"].sum()))


def build_dashboard(survey: Survey, filters: Filters) -> Dashboard:
    """Figures and tables for the dashboard page, all read through the small-cell rule."""
    cells = aggregate(survey, ("jurisdiction", "wave"), filters, margins=True)
    inner = cells.frame[cells.frame["wave"].notna() & cells.frame["jurisdiction"].notna()]
    inner_table = AggregateTable(cells.survey_id, cells.by, filters, cells.min_cell_size, inner)
    subgroups = aggregate(survey, ("wave", "jurisdiction", "immigrant"), filters, margins=True,
                          measures=("trust", "willingness"))
    sub = subgroups.frame
    sub = sub[sub["wave"].notna() & sub["immigrant"].notna()]
    sub_table = AggregateTable(subgroups.survey_id, subgroups.by, filters, subgroups.min_cell_size, sub)
    figs = {"responses": figures.responses_figure(survey, inner_table)}
    for measure in MEASURES:
        figs[f"scores-{measure}"] = figures.scores_figure(survey, inner_table, measure)
    for measure in ("trust", "willingness"):
        figs[f"subgroups-{measure}"] = figures.subgroup_figure(survey, sub_table, measure)
    grand = cells.frame[cells.frame["wave"].isna() & cells.frame["jurisdiction"].isna()].iloc[0]
    total = None if bool(grand["suppressed"]) else int(grand["n"])
    return Dashboard(survey=survey, filters=filters, min_cell_size=cells.min_cell_size, total=total,
                     figures=figs, counts=_counts_table(survey, cells))
