"""Random input to the study-management and admin forms: always a page (200/302/400), never a 500."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from surveys.extensions import db
from surveys.instruments import DEFAULT_INSTRUMENT_PATH
from surveys.models import Researcher
from surveys.studies.instrument_store import store_instrument
from tests.accounts.helpers import add_researcher
from tests.factories import STRONG_PASSWORD, make_survey

TEXT = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=300)
FIELDS = ("slug", "title", "description", "min_cell_size", "instrument_id", "date_granularity", "name", "code",
          "district", "label", "opens_on", "closes_on", "jurisdiction_id", "event_date", "kind", "entanglement",
          "source_url", "count", "batch", "email", "role", "password", "lifetime_days", "current_password",
          "new_password", "confirm", "action", "researcher", "page")
FORM = st.dictionaries(st.sampled_from(FIELDS), TEXT, max_size=10)


def test_random_form_input_never_breaks_a_page(make_app):
    app = make_app(WTF_CSRF_ENABLED=False)
    admin = add_researcher(app, role="admin")
    with app.app_context():
        instrument, _ = store_instrument(DEFAULT_INSTRUMENT_PATH)  # a real one: invite cards show its title
        slug = make_survey(organisation=db.session.get(Researcher, admin.id).organisation, uses_invite_codes=True,
                           instrument=instrument).slug
        db.session.commit()
    client = app.test_client()  # CSRF is off here on purpose: the input must reach the forms' validators
    assert client.post("/research/login", data={"email": admin.email, "password": STRONG_PASSWORD}).status_code == 302
    urls = [
        "/research/surveys/new", f"/research/surveys/{slug}/jurisdictions/new", f"/research/surveys/{slug}/waves/new",
        f"/research/surveys/{slug}/events/new", f"/research/surveys/{slug}/invite-codes",
        f"/research/surveys/{slug}/settings", "/research/admin/researchers/new", "/research/account/tokens",
    ]

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(url=st.sampled_from(urls), data=FORM, query=FORM)
    def check(url: str, data: dict[str, str], query: dict[str, str]) -> None:
        response = client.post(url, data=data)
        assert response.status_code in (200, 302, 400), (url, data, response.status_code)
        audit = client.get("/research/admin/audit", query_string=query)
        assert audit.status_code == 200, query

    check()
