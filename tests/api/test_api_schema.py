"""schemathesis runs the live app against docs/openapi.yaml: every answer must match the description.

Bounded: ``MAX_EXAMPLES`` generated requests per operation and mode (positive
data, and negative data that must be refused with a 4xx), on a database holding
a survey with a small cell, with a real analyst token so the data endpoints
answer with data rather than 401. Half the positive cases name the real survey
(the generator alone would mostly invent slugs and get 404s). The strategies
are driven with plain hypothesis, so the test works with this pytest version
(schemathesis' lazy-fixture plugin does not yet).

All of schemathesis' checks run except ``positive_data_acceptance``: which
jurisdiction codes, wave numbers and languages exist is survey data, which an
OpenAPI schema cannot express, so a schema-valid but unknown code rightly gets
422 ("jurisdiction 'X' is not part of this survey").
"""
from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import positive_data_acceptance

from tests.api.api_data import API_SLUG, make_api_study

MAX_EXAMPLES = 15


@pytest.fixture
def api_study(app_ctx):
    return make_api_study()


def _operations(app):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    return [result.ok() for result in schema.get_all_operations()]


def _exercise(strategy, headers: dict, record: list) -> None:
    @settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(case=strategy)
    def run(case) -> None:
        case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])
        record.append(case.operation.label)

    run()


@pytest.mark.parametrize("mode", [schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE])
def test_api_matches_its_openapi_description(app, api_study, mode) -> None:
    ran: list[str] = []
    operations = _operations(app)
    assert len(operations) >= 8
    for operation in operations:
        strategy = operation.as_strategy(generation_mode=mode)
        if mode is schemathesis.GenerationMode.POSITIVE and "{slug}" in operation.path:
            real = operation.as_strategy(generation_mode=mode, path_parameters={"slug": API_SLUG})
            strategy = st.one_of(strategy, real)
        try:
            _exercise(strategy, api_study.headers("analyst"), ran)
        except Unsatisfiable:
            # No parameter to make invalid (e.g. GET /surveys): nothing negative to send.
            assert mode is schemathesis.GenerationMode.NEGATIVE
    if mode is schemathesis.GenerationMode.POSITIVE:
        assert set(ran) == {op.label for op in operations}
    else:
        assert {label for label in ran if "{slug}" in label}
    print(f"schemathesis {mode.value}: {len(ran)} requests over {len(operations)} operations")
