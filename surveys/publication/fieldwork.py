"""Progress of open waves, perturbed by the cell-key method so it cannot be differenced (issue 10).

Open waves are in no release, so the dashboard and API show their progress
here only: responses per open wave and jurisdiction, nothing finer, no mean
and no score. Each count is perturbed by the cell-key method of the
Australian Bureau of Statistics' TableBuilder: every response has a record
key (an HMAC of its random id under the app's secret, so nobody who sees an
exported id can compute it), a cell's key is the sum of its records' keys,
and its noise is a fixed function of that key. The same cell therefore always
shows the same number (repeating a query and averaging gains nothing), while
one more response changes the key, and with it the noise, unpredictably: the
shown count may move by anything from -3 to +5 when one person answers, so
"grew by exactly one" identifies nobody. Perturbed counts below the survey's
``k`` are shown as "fewer than k" (None). Why not random rounding: fresh
random rounding per query is undone by averaging repeated queries, and
rounding fixed per count reveals the exact moment a count crosses a boundary.
"""
from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select

from ..extensions import db
from ..models import Response, Survey
from .cube import min_cell_size
from .releases import closed_waves

KEY_MODULUS = 2**32
# Noise by cell key (mod 16): mean zero, spread -2..+2, as in a TableBuilder perturbation table.
NOISE = (0, 1, -1, 2, -2, 0, 1, -1, 0, 2, -2, 1, -1, 0, 1, -1)


@dataclass(frozen=True)
class ProgressRow:
    wave: int
    jurisdiction: str | None  # None: the whole wave
    n: int | None  # perturbed; None = fewer than k

    def as_dict(self) -> dict:
        return {"wave": self.wave, "jurisdiction": self.jurisdiction, "n": self.n, "perturbed": True}


def _record_key(secret: bytes, response_id: object) -> int:
    digest = hmac.new(secret, str(response_id).encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:4], "big")


def perturb(n: int, cell_key: int, k: int) -> int | None:
    """The published value of a cell of ``n`` responses with key ``cell_key`` (0 stays 0)."""
    if n == 0:
        return 0
    shown = max(0, n + NOISE[cell_key % len(NOISE)])
    return shown if shown >= k else None


def progress(survey: Survey) -> list[ProgressRow]:
    """Perturbed responses per open (unreleased) wave and jurisdiction, with each wave's total."""
    closed = {w.number for w in closed_waves(survey)}
    waves = {w.id: w.number for w in survey.waves if w.number not in closed and w.opens_on is not None}
    if not waves:
        return []
    codes = {j.id: j.code for j in survey.jurisdictions}
    secret = (str(current_app.config.get("SECRET_KEY") or "") + survey.invite_salt).encode()
    rows = db.session.execute(select(Response.wave_id, Response.jurisdiction_id, Response.id)
                              .where(Response.survey_id == survey.id, Response.wave_id.in_(list(waves)))).all()
    cells: dict[tuple[int, str | None], list[int]] = {}
    for wave_id, jurisdiction_id, response_id in rows:
        key = _record_key(secret, response_id)
        for place in (codes.get(jurisdiction_id), None):
            cell = cells.setdefault((waves[wave_id], place), [0, 0])
            cell[0] += 1
            cell[1] = (cell[1] + key) % KEY_MODULUS
    k = min_cell_size(survey)
    out = []
    for number in sorted(set(waves.values())):
        for place in [*sorted(codes.values()), None]:
            n, key = cells.get((number, place), (0, 0))
            out.append(ProgressRow(number, place, perturb(n, key, k)))
    return out
