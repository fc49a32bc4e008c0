"""A survey with a small cell, researchers of each role and their API tokens, for the API tests."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from surveys.accounts.tokens import create_token
from surveys.extensions import db
from surveys.models import Survey
from tests.factories import make_organisation, make_policy_event, make_researcher, make_survey
from tests.research.dashboard.data import add_responses, default_instrument

API_SLUG = "api-survey"  # also the example slug in docs/openapi.yaml


@dataclass
class ApiStudy:
    survey: Survey
    tokens: dict[str, str]  # role -> bearer token

    def headers(self, role: str = "analyst") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}


def make_api_study() -> ApiStudy:
    """Three jurisdictions x three closed waves, Beta treated before wave 3; Beta's wave-2 immigrants number 9."""
    organisation = make_organisation()
    survey = make_survey(organisation=organisation, instrument=default_instrument(), n_waves=3,
                         jurisdictions=("Alpha", "Beta", "Gamma"), slug=API_SLUG)
    for wave in (1, 2, 3):
        for code in ("J01", "J02", "J03"):
            add_responses(survey, wave, code, 25, immigrant=False, trust=3.2)
            add_responses(survey, wave, code, 9 if (wave, code) == (2, "J02") else 15, immigrant=True, trust=2.6)
    make_policy_event(survey.jurisdictions[1], survey.waves[2].opens_on - timedelta(days=3))
    survey.waves[2].closed = True  # fieldwork is over: every wave is released (the API shows releases only)
    tokens = {}
    for role in ("admin", "analyst", "viewer"):
        researcher = make_researcher(role=role, organisation=organisation)
        _, plaintext = create_token(researcher, f"{role} token")
        tokens[role] = plaintext
    outsider = make_researcher(role="admin")
    tokens["outsider"] = create_token(outsider, "outsider token")[1]
    db.session.commit()
    return ApiStudy(survey, tokens)
