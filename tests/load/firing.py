"""Fire many submissions from many client threads, and read back what the database kept.

``fire`` runs ``count`` submissions on ``threads`` threads; every ``walk_every``-th
one walks all nine requests of the real flow, the others post the last page
(``client.Respondent.submit_last_page``). ``when`` lets a test act (kill a worker,
restart PostgreSQL) once a share of the submissions has finished, while the rest
are still in flight.

``Stored`` reads the database directly afterwards: which markers were stored,
how often, with how many answer rows, and whether any response has no answers.
"""
from __future__ import annotations

import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from sqlalchemy import create_engine, exists, func, select

from .client import ANSWER_ROWS, Outcome, Respondent, StateSigner, answers_for, new_marker
from .harness import LoadSurvey


@dataclass
class Fired:
    outcomes: list[Outcome]
    seconds: float
    events: dict[str, float] = field(default_factory=dict)  # what ``when`` did, and when

    @property
    def accepted(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.accepted]

    def statuses(self) -> Counter:
        return Counter(s for o in self.outcomes for s in o.statuses)

    def server_errors(self) -> Counter:
        return Counter(s for o in self.outcomes for s in o.statuses if s >= 500)

    def summary(self) -> str:
        return (f"{len(self.outcomes)} submissions in {self.seconds:.1f}s: {len(self.accepted)} accepted, "
                f"statuses {dict(sorted(self.statuses().items()))}, "
                f"dropped connections {sum(o.dropped for o in self.outcomes)}, events {self.events}")


def template_state(base_url: str, survey: LoadSurvey) -> str:
    """A real last-page state from the server (a walk that stops before the final submit)."""
    outcome, hidden = Respondent(base_url, survey).walk(answers_for(new_marker("template")), stop_before_submit=True)
    assert "state" in hidden, f"could not reach the last page: {outcome}"
    return hidden["state"]


def fire(base_url: str, survey: LoadSurvey, signer: StateSigner, count: int, threads: int,
         walk_every: int = 10, when: tuple[float, Callable[[], None]] | None = None,
         prefix: str = "load") -> Fired:
    """Run ``count`` submissions on ``threads`` threads; optionally call ``when[1]`` after ``when[0]`` of them."""
    respondent = Respondent(base_url, survey)
    lock = threading.Lock()
    done = [0]
    events: dict[str, float] = {}
    trigger = threading.Event()
    began = time.perf_counter()

    def one(index: int) -> Outcome:
        answers = answers_for(new_marker(prefix))
        jurisdiction = survey.jurisdictions[index % len(survey.jurisdictions)]
        if walk_every and index % walk_every == 0:
            outcome, _ = respondent.walk(answers, jurisdiction=jurisdiction)
        else:
            outcome = respondent.submit_last_page(signer, answers)
        with lock:
            done[0] += 1
            if when is not None and done[0] >= int(count * when[0]):
                trigger.set()
        return outcome

    def act() -> None:
        if trigger.wait(timeout=300):
            events["at_seconds"] = round(time.perf_counter() - began, 2)
            events["after_submissions"] = done[0]
            when[1]()
            events["done_at_seconds"] = round(time.perf_counter() - began, 2)

    actor = threading.Thread(target=act, daemon=True) if when is not None else None
    if actor:
        actor.start()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        outcomes = list(pool.map(one, range(count)))
    if actor:
        trigger.set()
        actor.join(120)
    return Fired(outcomes, time.perf_counter() - began, events)


@dataclass
class Stored:
    """What the database holds after a run: written-out responses plus those still in the buffer."""

    by_marker: dict[str, list[int]]  # comments marker -> answer-row count of each response carrying it
    responses: int  # written out + buffered
    without_answers: int
    tokens: int  # used one-time submission tokens, all surveys (the table has no link to a survey)
    buffered: int = 0  # of ``responses``, those still sealed in response_buffer

    @classmethod
    def read(cls, database_url: str, survey_id: int | None = None, secret_key: str | None = None) -> Stored:
        """Read the responses of ``survey_id`` (all surveys when None).

        With the server's ``secret_key`` the buffered (sealed) responses are opened and
        counted too; accepted means in the database, in the buffer or written out.
        """
        from surveys.models import Answer, Response, ResponseBuffer, SubmissionToken
        from surveys.studies.write_out import unseal_response

        responses = select(Response.id)
        buffer = select(ResponseBuffer.sealed)
        if survey_id is not None:
            responses = responses.where(Response.survey_id == survey_id)
            buffer = buffer.where(ResponseBuffer.survey_id == survey_id)
        mine = responses.scalar_subquery()
        engine = create_engine(database_url)
        try:
            with engine.connect() as conn:
                counts = dict(conn.execute(
                    select(Answer.response_id, func.count()).where(Answer.response_id.in_(mine))
                    .group_by(Answer.response_id)).all())
                by_marker: dict[str, list[int]] = defaultdict(list)
                for marker, response_id in conn.execute(
                        select(Answer.text, Answer.response_id)
                        .where(Answer.item_id == "comments", Answer.response_id.in_(mine))):
                    by_marker[marker].append(counts[response_id])
                total = conn.execute(select(func.count()).select_from(responses.subquery())).scalar_one()
                without = conn.execute(select(func.count()).select_from(
                    responses.where(~exists().where(Answer.response_id == Response.id)).subquery())).scalar_one()
                tokens = conn.execute(select(func.count()).select_from(SubmissionToken)).scalar_one()
                sealed_rows = list(conn.execute(buffer).scalars())
        finally:
            engine.dispose()
        if sealed_rows and secret_key is None and survey_id is None:
            sealed_rows = []  # a read of the token count only (the buffer is another run's business)
        elif sealed_rows and secret_key is None:
            raise AssertionError(f"{len(sealed_rows)} buffered responses: pass the server's secret_key to read them")
        for sealed in sealed_rows:
            _row, answers = unseal_response(sealed, secret_key)
            markers = [a["text"] for a in answers if a["item_id"] == "comments"]
            if not answers:
                without += 1
            for marker in markers:
                by_marker[marker].append(len(answers))
        return cls(dict(by_marker), total + len(sealed_rows), without, tokens, len(sealed_rows))

    def check_each(self, fired: Fired, ignore_prefix: tuple[str, ...] = ("template-",)) -> dict[str, int]:
        """Assert: accepted -> stored once, whole; refused -> not stored; nothing stored that nobody sent."""
        problems: list[str] = []
        tally = Counter()
        for outcome in fired.outcomes:
            kept = self.by_marker.get(outcome.marker, [])
            if outcome.accepted:
                tally["accepted"] += 1
                if kept != [ANSWER_ROWS]:
                    problems.append(f"accepted {outcome.marker} stored as {kept} (want [{ANSWER_ROWS}])")
            elif outcome.refused:
                tally["refused"] += 1
                if kept:
                    problems.append(f"refused ({outcome.stage} {outcome.status}) {outcome.marker} stored as {kept}")
            else:
                tally["unanswered"] += 1
                if kept not in ([], [ANSWER_ROWS]):
                    problems.append(f"unanswered {outcome.marker} stored as {kept}")
        sent = {o.marker for o in fired.outcomes}
        strays = [m for m in self.by_marker if m not in sent and not m.startswith(ignore_prefix)]
        if strays:
            problems.append(f"{len(strays)} stored responses nobody sent, e.g. {strays[:3]}")
        if self.without_answers:
            problems.append(f"{self.without_answers} responses without answers")
        assert not problems, "\n".join(problems[:20])
        return dict(tally)
