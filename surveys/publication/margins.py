"""Population margins uploaded by an analyst, and the raked cells web reports estimate on (issue 13).

An analyst uploads a CSV of target shares per jurisdiction, in the tidy form the command line's
``--margins`` reads (``analysis.cli``): columns ``jurisdiction, variable, level, share``, one row
per level. Variables are ``immigrant`` (levels 0 and 1, the background flag stored on each
response) and the instrument's single-choice demographic items (quasi-identifiers such as
``age_band`` and ``gender``, levels their substantive answer codes). :func:`parse_margins` checks
the file: an unreadable file is a :class:`MarginsError` with status 400, a readable one that does
not fit the survey (unknown jurisdiction or level, shares that do not sum to one) status 422.

:func:`raked_cells` rakes the respondents of each jurisdiction x wave to their jurisdiction's
margins (``analysis.rake``) and returns the weighted cell means the estimators run on, with the
summed weights in ``_rake_weight`` beside the respondent counts. A respondent who left a raking
question unanswered keeps a "not answered" level held at its sample share, so nobody is dropped
and the uploaded shares apply to those who answered.
"""
from __future__ import annotations

import csv
import hashlib
import io
import math
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select

from analysis import rake

from ..accounts import audit
from ..extensions import db
from ..models import Answer, Jurisdiction, RakingMargins, Researcher, Response, Survey, Wave
from ..studies.instrument_store import parsed_instrument

COLUMNS = ("jurisdiction", "variable", "level", "share")
MAX_BYTES = 200_000  # below the request limit, so the message is ours
TOLERANCE = 0.01  # shares of one jurisdiction x variable must sum to 1 within this
NOT_ANSWERED = -1
WEIGHT = "_rake_weight"  # the analysis package's name for raking weights (shown as "raking weights")


class MarginsError(ValueError):
    """An uploaded margins file that cannot be used; ``status`` is 400 (unreadable) or 422 (does not fit)."""

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class RakedCells:
    """Weighted cell means and what the raking did (for the report's weights sentence)."""

    cells: pd.DataFrame
    deff: float
    variables: tuple[str, ...]
    sha256: str
    uploaded_at: str
    max_margin_error: float


def raking_variables(survey: Survey) -> dict[str, frozenset[int]]:
    """Variables an upload may name, with their valid levels."""
    instrument = parsed_instrument(survey.instrument)
    out: dict[str, frozenset[int]] = {"immigrant": frozenset({0, 1})}
    for q in instrument.questions():
        if q.type == "single" and q.quasi_identifier:
            out[q.id] = frozenset(q.codes - q.missing_codes)
    return out


def _level(text: str) -> int | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return int(value) if value.is_integer() else None


def parse_margins(raw: bytes, survey: Survey) -> list[dict[str, Any]]:
    """The upload's rows, checked against the survey. Raises :class:`MarginsError` (400 or 422)."""
    if not raw:
        raise MarginsError("The file is empty.", 400)
    if len(raw) > MAX_BYTES:
        raise MarginsError(f"The file is larger than {MAX_BYTES // 1000} kB.", 400)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise MarginsError("The file is not UTF-8 text; save it as CSV (UTF-8).", 400) from None
    try:
        reader = csv.DictReader(io.StringIO(text))
        records = list(reader)
    except csv.Error as exc:
        raise MarginsError(f"The file is not readable as CSV: {exc}.", 400) from None
    header = {(h or "").strip().lower() for h in (reader.fieldnames or ())}
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise MarginsError(f"The CSV needs the columns {', '.join(COLUMNS)}; missing: {', '.join(missing)}.", 400)
    places = {j.code for j in survey.jurisdictions}
    allowed = raking_variables(survey)
    rows: list[dict[str, Any]] = []
    seen: set[tuple[str, str, int]] = set()
    for line, rec in enumerate(records, start=2):
        r = {(k or "").strip().lower(): (v or "").strip() for k, v in rec.items()}
        place, var = r["jurisdiction"], r["variable"]
        if place not in places:
            raise MarginsError(f"Line {line}: no jurisdiction with code {place!r} in this survey "
                               f"(codes: {', '.join(sorted(places))}).")
        if var not in allowed:
            raise MarginsError(f"Line {line}: {var!r} cannot be raked to; use one of {', '.join(sorted(allowed))}.")
        level = _level(r["level"])
        if level is None or level not in allowed[var]:
            raise MarginsError(f"Line {line}: level {r['level']!r} is not an answer code of {var!r} "
                               f"(codes: {', '.join(map(str, sorted(allowed[var])))}).")
        try:
            share = float(r["share"])
        except ValueError:
            raise MarginsError(f"Line {line}: share {r['share']!r} is not a number.") from None
        if not math.isfinite(share) or not 0 <= share <= 1:
            raise MarginsError(f"Line {line}: share {r['share']} must be between 0 and 1.")
        if (place, var, level) in seen:
            raise MarginsError(f"Line {line}: {place} {var} {level} appears twice.")
        seen.add((place, var, level))
        rows.append({"jurisdiction": place, "variable": var, "level": level, "share": share})
    if not rows:
        raise MarginsError("The file has a header but no margins.", 400)
    _check_sums(rows, places)
    _check_levels(rows, allowed)
    return rows


def _check_levels(rows: list[dict[str, Any]], allowed: dict[str, frozenset[int]]) -> None:
    """Every answer code of a variable has a share (0 allowed): respondents who gave a code
    without one could not be weighted."""
    given: dict[tuple[str, str], set[int]] = defaultdict(set)
    for r in rows:
        given[(r["jurisdiction"], r["variable"])].add(r["level"])
    for (place, var), levels in sorted(given.items()):
        lacking = sorted(allowed[var] - levels)
        if lacking:
            raise MarginsError(f"{var} in {place} has no share for level {', '.join(map(str, lacking))}; "
                               "give every answer code a share (0 is allowed).")


def _check_sums(rows: list[dict[str, Any]], places: set[str]) -> None:
    totals: dict[tuple[str, str], float] = defaultdict(float)
    for r in rows:
        totals[(r["jurisdiction"], r["variable"])] += r["share"]
    for (place, var), total in sorted(totals.items()):
        if abs(total - 1) > TOLERANCE:
            raise MarginsError(f"The shares of {var} in {place} sum to {total:.3f}, not 1.")
    variables = {v for _, v in totals}
    for place in sorted(places):
        lacking = sorted(v for v in variables if (place, v) not in totals)
        if lacking:
            raise MarginsError(f"Jurisdiction {place} has no margins for {', '.join(lacking)}: every "
                               "jurisdiction needs the same variables.")


def store_margins(actor: Researcher | None, survey: Survey, raw: bytes, filename: str) -> RakingMargins:
    """Validate, store and audit an upload (one transaction). Raises :class:`MarginsError`."""
    rows = parse_margins(raw, survey)
    digest = hashlib.sha256(raw).hexdigest()
    stored = RakingMargins(survey_id=survey.id, uploaded_by_id=actor.id if actor else None,
                           filename=filename[:200], sha256=digest, rows=rows)
    db.session.add(stored)
    audit.record("margins.upload", actor=actor, target=survey.slug,
                 parameters={"sha256": digest, "rows": len(rows), "filename": filename[:200],
                             "variables": sorted({r["variable"] for r in rows})})
    db.session.commit()
    return stored


def current_margins(survey: Survey) -> RakingMargins | None:
    """The survey's newest upload, or None."""
    return db.session.scalar(select(RakingMargins).where(RakingMargins.survey_id == survey.id)
                             .order_by(RakingMargins.uploaded_at.desc(), RakingMargins.id.desc()).limit(1))


def _respondents(survey: Survey, measure: str, waves: tuple[int, ...], items: list[str]) -> pd.DataFrame:
    """One row per response of the given waves: jurisdiction, wave, immigrant, the measure, item codes."""
    column = getattr(Response, measure)
    rows = db.session.execute(
        select(Response.id, Jurisdiction.code, Wave.number, Response.immigrant, column)
        .join(Jurisdiction, Jurisdiction.id == Response.jurisdiction_id).join(Wave, Wave.id == Response.wave_id)
        .where(Response.survey_id == survey.id, Wave.number.in_(waves))).all()
    frame = pd.DataFrame(rows, columns=["id", "jurisdiction", "wave", "immigrant", "value"])
    frame["immigrant"] = frame["immigrant"].map({True: 1, False: 0})
    for item in items:
        codes = dict(db.session.execute(
            select(Answer.response_id, Answer.code).join(Response, Response.id == Answer.response_id)
            .where(Response.survey_id == survey.id, Answer.item_id == item, Answer.position == 0)).all())
        frame[item] = frame["id"].map(codes)
    return frame.drop(columns="id")


def _targets(frame: pd.DataFrame, rows: list[dict[str, Any]], valid: dict[str, frozenset[int]]) -> dict:
    """Margins per (jurisdiction, wave), with a "not answered" level held at its sample share."""
    per_place: dict[str, dict[str, dict[int, float]]] = defaultdict(lambda: defaultdict(dict))
    for r in rows:
        per_place[r["jurisdiction"]][r["variable"]][int(r["level"])] = float(r["share"])
    out = {}
    for (place, wave), g in frame.groupby(["jurisdiction", "wave"], sort=False):
        tg = {}
        for var, shares in per_place[place].items():
            gone = float((~g[var].isin(list(valid[var]))).mean())
            scaled = {lev: s * (1 - gone) for lev, s in shares.items()}
            if gone > 0:
                scaled[NOT_ANSWERED] = gone
            tg[var] = scaled
        out[(place, wave)] = tg
    return out


def raked_cells(survey: Survey, measure: str, waves: tuple[int, ...], stored: RakingMargins, *,
                subgroup: bool) -> RakedCells:
    """Cell means of ``measure`` by jurisdiction x wave (x immigrant), weighted by raking weights.

    Raises ``analysis`` errors (a jurisdiction-wave with no respondent in a level that has a target
    share, say) for the caller to report as a specification that cannot be computed.
    """
    valid = raking_variables(survey)
    variables = sorted({r["variable"] for r in stored.rows})
    frame = _respondents(survey, measure, waves, [v for v in variables if v != "immigrant"])
    frame["immigrant_flag"] = frame["immigrant"]  # the subgroup, before raking recodes "not answered"
    for var in variables:
        frame[var] = frame[var].where(frame[var].isin(list(valid[var])), NOT_ANSWERED).astype(int)
    result = rake(frame, _targets(frame, stored.rows, valid), by=["jurisdiction", "wave"])
    frame[WEIGHT] = result.weights.to_numpy()
    frame = frame[frame["value"].notna()]
    keys = ["wave", "jurisdiction"] + (["immigrant"] if subgroup else [])
    if subgroup:
        frame = frame[frame["immigrant_flag"].isin([0, 1])].assign(immigrant=lambda d: d["immigrant_flag"])
    frame = frame.assign(weighted=frame["value"] * frame[WEIGHT])
    cells = frame.groupby(keys, as_index=False).agg(n=("value", "size"), weighted=("weighted", "sum"),
                                                    **{WEIGHT: (WEIGHT, "sum")})
    cells["n"] = cells["n"].astype(float)
    cells["mean"] = cells["weighted"] / cells[WEIGHT]
    if subgroup:
        cells["immigrant"] = cells["immigrant"].astype(int)
    tidy = result.tidy
    return RakedCells(cells=cells.drop(columns="weighted"), deff=float(result.deff),
                      variables=tuple(variables), sha256=stored.sha256,
                      uploaded_at=stored.uploaded_at.date().isoformat(),
                      max_margin_error=float(np.nanmax(tidy["max_margin_error"])) if len(tidy) else 0.0)
