"""Test submissions from a researcher's preview: stored apart, counted, deleted.

A preview's final submit (``respond.routes``) lands here instead of ``submission.buffer_response``:
no response buffer, no invite code, no rate limit, no submission token, so test answers can
never reach the response tables, aggregates, exports, releases or analyses. Deleting them
is audited (how many, no content).
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any, NamedTuple

from sqlalchemy import delete, func, select

from ..accounts.audit import record
from ..extensions import db
from ..models import Researcher, Survey, TestSubmission


class PreviewGroup(NamedTuple):
    """How many test submissions a survey has of one date and language."""

    submitted_on: date
    language: str
    submissions: int


def store_test_submission(survey_id: int, language: str, answers: Mapping[str, Any]) -> None:
    """Keep one preview's answers as test data (only the date, like responses)."""
    db.session.add(TestSubmission(survey_id=survey_id, language=language, submitted_on=date.today(),
                                  answers=dict(answers)))
    db.session.commit()


def groups_of_test_submissions(survey: Survey) -> list[PreviewGroup]:
    """The survey's test submissions counted per date and language, newest first."""
    rows = db.session.execute(
        select(TestSubmission.submitted_on, TestSubmission.language, func.count())
        .where(TestSubmission.survey_id == survey.id)
        .group_by(TestSubmission.submitted_on, TestSubmission.language)
        .order_by(TestSubmission.submitted_on.desc(), TestSubmission.language)
    ).all()
    return [PreviewGroup(on, language, int(count)) for on, language, count in rows]


def delete_test_submissions(actor: Researcher, survey: Survey) -> int:
    """Delete every test submission of the survey; the audit log keeps how many."""
    gone = db.session.execute(delete(TestSubmission).where(TestSubmission.survey_id == survey.id))
    count = int(getattr(gone, "rowcount", 0) or 0)
    record("test_submissions.delete", actor=actor, organisation_id=survey.organisation_id,
           target=f"survey:{survey.id}", parameters={"slug": survey.slug, "count": count})
    db.session.commit()
    return count
