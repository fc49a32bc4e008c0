"""Data quality of one submission: how much of the questionnaire it answers, and two flags.

Computed once at submission from the answers (pure functions of the instrument and the answers):

* **answered share**: answered items / items that apply (a grid counts each row; an item hidden by
  skip logic does not apply). A submission below the survey's ``min_answered_share`` (default 0.5)
  is not stored: a blank survey is refused before it can use up an invite code or the rate limit.
* **straight-lining** (``flag_straightlining``): at least ``STRAIGHT_MIN_GRIDS`` grids answered in
  ``STRAIGHT_MIN_ROWS`` or more rows, every one of them with the same code in all its answered rows
  (a "prefer not to say" answer does not count). One straight grid is ordinary; every grid straight
  is the pattern of a respondent clicking down a column.
* **item non-response** (``flag_nonresponse``): the answered share is below ``NONRESPONSE_SHARE``.

Only the two booleans are stored on the response (no durations, no timestamps: the survey never
records when or how fast a page was answered). Analyses may leave flagged responses out.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

DEFAULT_MIN_ANSWERED_SHARE = 0.5
NONRESPONSE_SHARE = 0.8
STRAIGHT_MIN_ROWS = 3
STRAIGHT_MIN_GRIDS = 2


@dataclass(frozen=True)
class Quality:
    answered: int
    applicable: int
    straightlining: bool

    @property
    def share(self) -> float:
        return self.answered / self.applicable if self.applicable else 1.0

    @property
    def nonresponse(self) -> bool:
        return self.share < NONRESPONSE_SHARE

    def flags(self) -> dict[str, bool]:
        """The Response row's flag columns."""
        return {"flag_straightlining": self.straightlining, "flag_nonresponse": self.nonresponse}


def _answered(value: Any) -> bool:
    return not (value is None or value == "" or value == [])


def _straightlining(instrument: Any, answers: Mapping[str, Any]) -> bool:
    straight = answered_grids = 0
    for block in instrument.blocks:
        for unit in block.questions:
            if not unit.rows:
                continue
            missing = unit.rows[0].missing_codes
            codes = [answers[row.id] for row in unit.rows
                     if _answered(answers.get(row.id)) and answers[row.id] not in missing]
            if len(codes) < STRAIGHT_MIN_ROWS:
                continue
            answered_grids += 1
            straight += len(set(codes)) == 1
    return answered_grids >= STRAIGHT_MIN_GRIDS and straight == answered_grids


def assess(instrument: Any, answers: Mapping[str, Any]) -> Quality:
    """The answered share and the flags of ``answers`` (already pruned of hidden items)."""
    applicable = [q for q in instrument.questions() if q.show_if is None or instrument.visible(q, answers)]
    answered = sum(1 for q in applicable if _answered(answers.get(q.id)))
    return Quality(answered, len(applicable), _straightlining(instrument, answers))
