"""A survey's trust block: who runs it and how to reach them, its ethics approval, what is never shared.

The people a survey about police and immigration most needs to hear from decide in the first
seconds whether to trust it, so the start page says, once and briefly: who runs the survey and
how to reach them; the ethics board and approval number, if any; and a plain statement of what
is never shared and with whom. The instrument format has no place for these (they belong to
the team fielding it, not to the questionnaire), so they are stored per survey
(``Survey.trust``, JSON) and edited by the survey's managers on the research pages.

Contact and statement are kept per language of the survey's instrument; a language without
its own text shows the default language's. A survey without a statement of its own shows the
default one, from the respondent pages' catalogues (``templates/respond/consent.html``):
"Your answers are never shared with the police or with immigration authorities."
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..accounts.audit import record
from ..extensions import db
from ..models import Researcher, Survey

MAX_TEXT = 600
MAX_BOARD = 200
MAX_NUMBER = 80


class TrustError(ValueError):
    """A trust block that cannot be stored (too long)."""


@dataclass(frozen=True)
class TrustText:
    """The trust block in one language, as the start page shows it."""

    contact: str
    ethics_board: str
    ethics_number: str
    never_shared: str


@dataclass(frozen=True)
class TrustBlock:
    """What a survey's managers set: per-language contact and statement, ethics board and number."""

    contact: Mapping[str, str] = field(default_factory=dict)
    never_shared: Mapping[str, str] = field(default_factory=dict)
    ethics_board: str = ""
    ethics_number: str = ""

    @classmethod
    def from_json(cls, raw: Any) -> TrustBlock:
        """From ``Survey.trust`` (None or a dict written by ``to_json``); anything odd is ignored."""
        if not isinstance(raw, Mapping):
            return cls()

        def texts(value: Any) -> dict[str, str]:
            if not isinstance(value, Mapping):
                return {}
            return {str(k): str(v) for k, v in value.items() if isinstance(v, str) and v.strip()}

        return cls(
            contact=texts(raw.get("contact")), never_shared=texts(raw.get("never_shared")),
            ethics_board=str(raw.get("ethics_board") or ""), ethics_number=str(raw.get("ethics_number") or ""),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "contact": dict(self.contact), "never_shared": dict(self.never_shared),
            "ethics_board": self.ethics_board, "ethics_number": self.ethics_number,
        }

    def in_language(self, language: str, default_language: str, default_statement: str) -> TrustText:
        """The block in ``language``: its own texts, else the default language's, else ``default_statement``
        (the respondent pages pass their catalogue's, translated)."""
        def pick(texts: Mapping[str, str]) -> str:
            return texts.get(language) or texts.get(default_language) or ""

        return TrustText(
            contact=pick(self.contact), ethics_board=self.ethics_board, ethics_number=self.ethics_number,
            never_shared=pick(self.never_shared) or default_statement,
        )


def _clean(text: str | None, limit: int, what: str) -> str:
    value = (text or "").replace("\r\n", "\n").strip()
    if len(value) > limit:
        raise TrustError(f"{what} is too long ({len(value)} characters; at most {limit}).")
    return value


def update_trust(actor: Researcher, survey: Survey, *, contact: Mapping[str, str], never_shared: Mapping[str, str],
                 ethics_board: str, ethics_number: str) -> TrustBlock:
    """Store the trust block of ``survey`` (one audit row saying which parts changed), and commit."""
    block = TrustBlock(
        contact={k: v for k, v in ((k, _clean(v, MAX_TEXT, "The contact")) for k, v in contact.items()) if v},
        never_shared={k: v for k, v in ((k, _clean(v, MAX_TEXT, "The statement")) for k, v in never_shared.items())
                      if v},
        ethics_board=_clean(ethics_board, MAX_BOARD, "The ethics board"),
        ethics_number=_clean(ethics_number, MAX_NUMBER, "The approval number"),
    )
    if block.ethics_number and not block.ethics_board:
        raise TrustError("Name the ethics board that gave the approval number.")
    before = TrustBlock.from_json(survey.trust).to_json()
    after = block.to_json()
    survey.trust = after
    record("survey.trust_update", actor=actor, organisation_id=survey.organisation_id, target=f"survey:{survey.id}",
           parameters={"slug": survey.slug, "changed": sorted(k for k in after if after[k] != before[k])})
    db.session.commit()
    return block
