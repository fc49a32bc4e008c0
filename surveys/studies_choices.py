"""Choices that depend on a survey's design, for forms (jurisdictions without a policy event)."""
from __future__ import annotations

from wtforms.fields.choices import SelectChoice

from .estimates import survey_events
from .models import Survey


def never_treated_choices(survey: Survey) -> list[SelectChoice]:
    """Jurisdictions with no policy event: the possible comparison group."""
    with_events = {event.jurisdiction for event in survey_events(survey)}
    return [SelectChoice(j.code, j.name) for j in survey.jurisdictions if j.code not in with_events]
