"""Data-quality flags in aggregate, for the dashboard: how many responses of each closed wave carry
which flag (``studies.quality``), under the one small-cell rule.

Only waves past their closing date (or closed early) are counted, as for the released tables: an
open wave's exact counts are not shown. The four categories (no flag, straight-lining only, item
non-response only, both) partition a wave's responses, so the wave's total is the group whose
members ``analysis.disclosure.suppress`` protects: a small cell is hidden, and a second one with
it, so that no hidden count is "total minus the others".
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
from sqlalchemy import func, select

from analysis.disclosure import suppress

from ..extensions import db
from ..models import Response, Survey
from .cube import min_cell_size

CATEGORIES: tuple[tuple[str, str], ...] = (
    ("none", "No flag"),
    ("straightlining", "Straight-lining only"),
    ("nonresponse", "Item non-response only"),
    ("both", "Both flags"),
)


@dataclass(frozen=True)
class QualityRow:
    wave: str
    total: int | None  # None when below k: a wave's total is published only from k on
    counts: tuple[int | None, ...]  # in the order of CATEGORIES; None = suppressed


def _category(straight: bool, nonresponse: bool) -> str:
    if straight and nonresponse:
        return "both"
    return "straightlining" if straight else ("nonresponse" if nonresponse else "none")


def quality_table(survey: Survey, today: date | None = None) -> tuple[list[QualityRow], int]:
    """(a row per closed wave with responses, k): counts of each flag category, small cells hidden."""
    today = today or date.today()
    waves = [w for w in survey.waves if w.closed or w.closes_on < today]
    if not waves:
        return [], min_cell_size(survey)
    rows = db.session.execute(
        select(Response.wave_id, Response.flag_straightlining, Response.flag_nonresponse, func.count())
        .where(Response.survey_id == survey.id, Response.wave_id.in_([w.id for w in waves]))
        .group_by(Response.wave_id, Response.flag_straightlining, Response.flag_nonresponse)
    ).all()
    counts: dict[tuple[int, str], int] = {}
    for wave_id, straight, nonresponse, n in rows:
        key = (wave_id, _category(bool(straight), bool(nonresponse)))
        counts[key] = counts.get(key, 0) + int(n)
    table = pd.DataFrame(
        [{"wave": w.id, "category": c, "n": counts.get((w.id, c), 0)} for w in waves for c, _ in CATEGORIES])
    k = min_cell_size(survey)
    shown = suppress(table, "n", k, group_cols=["wave"])
    result = []
    for wave in waves:
        part = shown[shown["wave"] == wave.id]
        total = int(table.loc[table["wave"] == wave.id, "n"].sum())
        if total == 0:
            continue
        result.append(QualityRow(
            wave=wave.label or f"Wave {wave.number}", total=total if total >= k else None,
            counts=tuple(None if bool(s) else int(n) for n, s in zip(part["n"], part["suppressed"], strict=True)),
        ))
    return result, k
