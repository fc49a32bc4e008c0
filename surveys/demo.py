"""The demo study: a full, synthetic data set a newcomer can explore at once.

Responses come from ``analysis.simulate`` (a generator with known true
effects), so the dashboard shows effects the analysis should recover:
immigrant respondents' trust and willingness to report fall after a
jurisdiction signs a 287(g) agreement or ends a sanctuary policy; others'
barely move. Synthetic police records for the same places and events
(``demo_records``) show a fall in Hispanic victims' reports of
reporting-sensitive crimes, for the stated-vs-actual view. Item-level answers are drawn around each respondent's latent
scale scores, then stored through the same row builders as real submissions,
so stored scale scores are computed exactly as for a real respondent.
"""
from __future__ import annotations

import secrets
import string
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
from sqlalchemy import insert, select

from analysis.simulate import SimulationParams, likert_from_latent, simulate, simulate_victimization

from .accounts.audit import record
from .accounts.service import find_researcher, get_or_create_organisation
from .demo_records import add_demo_records
from .extensions import db
from .instruments import CORE_SCALES, DEFAULT_INSTRUMENT_PATH
from .models import Answer, Jurisdiction, PolicyEvent, Researcher, Response, Role, Survey, Wave
from .publication.releases import NothingToRelease, publish_release
from .studies.instrument_store import parsed_instrument, store_instrument
from .studies.submission import answer_rows, response_row

DEMO_ORGANISATION = "Demo Civic Research Team"
DEMO_SLUG = "civic-trust-demo"
DEMO_EMAIL = "demo@example.org"
DEMO_TITLE = "Community safety and police trust survey (demo)"
WAVE_DAYS = 91  # quarterly waves

# Fictional places: the demo must not suggest findings about real cities.
DEMO_JURISDICTIONS = [
    ("Alder County", "ALD"),
    ("Bayview City", "BAY"),
    ("Cedar Falls", "CED"),
    ("Dunmore County", "DUN"),
    ("Eastport", "EAS"),
    ("Fairhaven", "FAI"),
    ("Granite Springs", "GRA"),
    ("Harbor Point", "HAR"),
]
# Staggered events: (jurisdiction code, first treated wave, kind, description).
DEMO_EVENTS = {
    "BAY": (4, "287g_signed", "County sheriff signs a 287(g) jail-enforcement agreement with ICE."),
    "DUN": (4, "287g_signed", "County signs a 287(g) task-force agreement."),
    "EAS": (6, "sanctuary_ended", "City council repeals its 2014 sanctuary ordinance."),
    "GRA": (7, "detainer_policy_changed", "Jail begins honouring all ICE detainer requests."),
}
LANGUAGES_BY_CODE = {"en": "en", "es": "es"}


@dataclass(frozen=True)
class DemoResult:
    survey: Survey
    email: str
    password: str
    responses_added: int
    created: bool


def random_password(length: int = 20) -> str:
    alphabet = string.ascii_letters + string.digits
    return "-".join("".join(secrets.choice(alphabet) for _ in range(5)) for _ in range(length // 5))


def _wave_dates(n_waves: int, today: date) -> list[tuple[date, date]]:
    """Quarterly waves ending with one that is open today (for new, real responses)."""
    last_open = today - timedelta(days=30)
    starts = [last_open - timedelta(days=WAVE_DAYS * (n_waves - 1 - i)) for i in range(n_waves)]
    return [(start, start + timedelta(days=WAVE_DAYS - 1)) for start in starts]


def _create_study(organisation_id: int, instrument_id: int, n_waves: int, today: date) -> Survey:
    survey = Survey(
        organisation_id=organisation_id,
        instrument_id=instrument_id,
        slug=DEMO_SLUG,
        title=DEMO_TITLE,
        description="Synthetic data with known effects, for exploring the platform.",
    )
    db.session.add(survey)
    for number, (opens, closes) in enumerate(_wave_dates(n_waves, today), start=1):
        survey.waves.append(Wave(number=number, label=f"Wave {number}", opens_on=opens, closes_on=closes))
    for name, code in DEMO_JURISDICTIONS:
        jurisdiction = Jurisdiction(name=name, code=code)
        survey.jurisdictions.append(jurisdiction)
        if code in DEMO_EVENTS:
            wave_number, kind, description = DEMO_EVENTS[code]
            opens = survey.waves[wave_number - 1].opens_on
            jurisdiction.policy_events.append(
                PolicyEvent(
                    event_date=opens - timedelta(days=10),
                    kind=kind,
                    entanglement="more",  # every demo event (287(g) signed, sanctuary ended) adds entanglement
                    description=description + " (fictional)",
                )
            )
    db.session.flush()
    return survey


def _first_treated(n_waves: int) -> tuple[int, ...]:
    return tuple(DEMO_EVENTS[code][0] if code in DEMO_EVENTS else 0 for _, code in DEMO_JURISDICTIONS)


def _latent_for_scale(frame: Any, scale: str, rng: np.random.Generator) -> np.ndarray:
    if scale in ("trust", "willingness", "fear"):
        return frame[scale].to_numpy(dtype=float)
    # Perceived police involvement in immigration enforcement rises after an event.
    post = frame["post"].to_numpy(dtype=float)
    return 2.3 + 1.0 * post + rng.normal(0.0, 0.8, size=len(frame))


def synthetic_answers(instrument: Any, frame: Any, rng: np.random.Generator) -> list[dict[str, Any]]:
    """Item answers for each simulated respondent, consistent with its latent scores."""
    n = len(frame)
    columns: dict[str, np.ndarray] = {}
    item_scale: dict[str, str] = {}
    for scale_id in CORE_SCALES:
        scale = instrument.scales.get(scale_id)
        for item in scale.items if scale else ():
            item_scale.setdefault(item, scale_id)
    latents = {s: _latent_for_scale(frame, s, rng) for s in set(item_scale.values())}
    demographic = {"born_abroad": "born_abroad", "age_band": "age_band", "gender": "gender"}
    for question in instrument.questions():
        codes = [o.code for o in question.options]
        if question.id in item_scale:
            low, high = int(question.low), int(question.high)
            values = likert_from_latent(latents[item_scale[question.id]], low, high, rng, reverse=question.reverse)
            # About 3% item non-response, as in real surveys.
            columns[question.id] = np.where(rng.random(n) < 0.03, -1, values)
        elif question.id in demographic:
            columns[question.id] = frame[demographic[question.id]].to_numpy(dtype=int)
        elif question.id in frame.columns:  # victimization: victim_k 0/1, reported_k 0/1 (missing: not a victim)
            columns[question.id] = frame[question.id].fillna(-1).to_numpy(dtype=int)
        elif question.type in ("single", "likert", "scale") and codes:
            columns[question.id] = rng.choice(codes, size=n)
    records: list[dict[str, Any]] = []
    for i in range(n):
        answers: dict[str, Any] = {}
        for question in instrument.questions():
            column = columns.get(question.id)
            if column is None or column[i] < 0:
                continue
            if question.type in ("single", "likert", "grid", "scale") and question.options:
                valid = {o.code for o in question.options}
                if int(column[i]) not in valid:
                    continue
            if not instrument.visible(question, answers):
                continue
            answers[question.id] = int(column[i])
        records.append(answers)
    return records


def _write_responses(instrument: Any, survey: Survey, n_responses: int, seed: int, today: date) -> int:
    waves = survey.waves
    jurisdictions = {j.code: j for j in survey.jurisdictions}
    codes = [code for _, code in DEMO_JURISDICTIONS]
    # The open (last) wave gets no synthetic responses: it is for real ones.
    n_waves = len(waves) - 1
    per_cell = max(1, round(n_responses / (len(codes) * n_waves)))
    params = SimulationParams(
        n_jurisdictions=len(codes),
        n_waves=n_waves,
        responses_per_cell=per_cell,
        first_treated=_first_treated(n_waves),
        seed=seed,
    )
    frame = simulate_victimization(simulate(params), seed=seed)
    rng = np.random.default_rng(seed + 1)
    all_answers = synthetic_answers(instrument, frame, rng)
    response_rows: list[dict[str, Any]] = []
    answer_batch: list[dict[str, Any]] = []
    offsets = rng.integers(0, WAVE_DAYS, size=len(frame))
    for i, record_ in enumerate(frame.itertuples(index=False)):
        wave = waves[int(record_.wave) - 1]
        jurisdiction = jurisdictions[codes[int(record_.jurisdiction[1:]) - 1]]
        day = min(wave.opens_on + timedelta(days=int(offsets[i])), wave.closes_on, today)
        language = "es" if record_.language == "es" else "en"
        row = response_row(instrument, survey, wave, jurisdiction, language, all_answers[i], day)
        response_rows.append(row)
        answer_batch.extend(answer_rows(row["id"], instrument, all_answers[i]))
    db.session.execute(insert(Response), response_rows)
    for start in range(0, len(answer_batch), 20_000):
        db.session.execute(insert(Answer), answer_batch[start : start + 20_000])
    return len(response_rows)


def load_demo(n_responses: int = 6000, seed: int = 2017, today: date | None = None) -> DemoResult:
    """Create the demo study once; on later runs add nothing and reset the demo password.

    The schema must already be migrated (the CLI command runs ``db upgrade`` first).
    """
    if n_responses < 100:
        raise ValueError("The demo needs at least 100 responses to show anything above the small-cell limit.")
    today = today or date.today()
    instrument_row, _ = store_instrument(DEFAULT_INSTRUMENT_PATH)
    instrument = parsed_instrument(instrument_row)
    organisation = get_or_create_organisation(DEMO_ORGANISATION)
    existing = db.session.scalar(select(Survey).where(Survey.slug == DEMO_SLUG))
    created = existing is None
    added = 0
    if existing is None:
        survey = _create_study(organisation.id, instrument_row.id, n_waves=10, today=today)
        added = _write_responses(instrument, survey, n_responses, seed, today)
        add_demo_records(survey, seed, today)
        try:  # the closed waves are released, so the dashboard shows them at once
            publish_release(survey, None, kind="wave_closed", today=today)
        except NothingToRelease:
            pass
    else:
        survey = existing
    password = random_password()
    researcher = find_researcher(DEMO_EMAIL)
    if researcher is None:
        researcher = Researcher(email=DEMO_EMAIL, role=Role.ADMIN.value, organisation=organisation)
        db.session.add(researcher)
    researcher.set_password(password)
    researcher.active = True
    researcher.session_version = (researcher.session_version or 0) + 1
    db.session.flush()
    record(
        "demo.load",
        actor=None,
        organisation_id=organisation.id,
        target=f"survey:{survey.id}",
        parameters={"responses_added": added, "seed": seed, "created": created},
    )
    db.session.commit()
    return DemoResult(survey=survey, email=DEMO_EMAIL, password=password, responses_added=added, created=created)
