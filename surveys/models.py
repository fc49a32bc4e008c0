"""The domain model: typed SQLAlchemy 2.0 classes.

Anonymity is designed in here, not bolted on:

* ``Response.id`` is a random UUID, so neither the id nor its order reveals who
  answered when; exports order by it, which is not insertion order.
* ``Response.submitted_on`` is a ``Date`` (day, or the Monday of the week),
  never a datetime; no column anywhere holds an IP address or user agent.
* ``InviteCode`` keeps a salted hash and a ``used`` flag only: no column links a
  code to the response it allowed.
* ``Answer`` has a composite primary key (response, item, position), not an
  autoincrement counter that would leak submission order.

Scale scores and the immigrant-background flag are computed once at
submission and stored on ``Response`` so the dashboard aggregates one indexed
table instead of pivoting millions of answers.

Past 300 lines on purpose: the whole schema in one module reads as one picture
(every relationship and constraint side by side, as the Alembic migrations see it).
"""
from __future__ import annotations

import enum
import secrets
import uuid
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .extensions import db

if TYPE_CHECKING:  # Flask-SQLAlchemy builds db.Model at run time from this declarative base
    from .extensions import Base as Model
else:
    Model = db.Model

# argon2id with argon2-cffi's RFC 9106 "low memory" defaults (t=3, m=64 MiB, p=4).
password_hasher = PasswordHasher()


def utcnow() -> datetime:
    """Timestamps for researcher-side records (audit, accounts), never for responses."""
    return datetime.now(UTC)


class Role(enum.StrEnum):
    """What a researcher may do; ordered from most to least privileged."""

    ADMIN = "admin"
    ANALYST = "analyst"
    VIEWER = "viewer"


class PolicyKind(enum.StrEnum):
    """The kinds of local policy change the platform tests around."""

    SANCTUARY_ADOPTED = "sanctuary_adopted"
    SANCTUARY_ENDED = "sanctuary_ended"
    AGREEMENT_287G_SIGNED = "287g_signed"
    AGREEMENT_287G_ENDED = "287g_ended"
    DETAINER_POLICY_CHANGED = "detainer_policy_changed"
    OTHER = "other"


class Organisation(Model):
    """A city office, university team or civic group; the unit of data separation."""

    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    researchers: Mapped[list[Researcher]] = relationship(back_populates="organisation")
    surveys: Mapped[list[Survey]] = relationship(back_populates="organisation")

    def __repr__(self) -> str:
        return f"<Organisation {self.id} {self.name!r}>"


class Researcher(UserMixin, Model):
    """A researcher login. Passwords are argon2id hashes; sessions carry ``session_version``."""

    __tablename__ = "researcher"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default=Role.VIEWER.value)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Bumped on disable, password change or "log out everywhere": old sessions stop matching.
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    organisation: Mapped[Organisation] = relationship(back_populates="researchers")
    api_tokens: Mapped[list[ApiToken]] = relationship(back_populates="researcher")

    __table_args__ = (CheckConstraint("role IN ('admin', 'analyst', 'viewer')", name="role_known"),)

    def set_password(self, password: str) -> None:
        self.password_hash = password_hasher.hash(password)

    def check_password(self, password: str) -> bool:
        try:
            return password_hasher.verify(self.password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def password_needs_rehash(self) -> bool:
        return password_hasher.check_needs_rehash(self.password_hash)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts
        return bool(self.active)

    def get_id(self) -> str:
        # The session stores id *and* version, so bumping the version logs the account out everywhere.
        return f"{self.id}:{self.session_version}"

    def has_role(self, *roles: Role | str) -> bool:
        wanted = {r.value if isinstance(r, Role) else r for r in roles}
        return self.role in wanted

    def __repr__(self) -> str:
        return f"<Researcher {self.id} {self.email!r} {self.role}>"


class ApiToken(Model):
    """A bearer token for the JSON API; only a SHA-256 of the token is stored."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    researcher_id: Mapped[int] = mapped_column(ForeignKey("researcher.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)

    researcher: Mapped[Researcher] = relationship(back_populates="api_tokens")

    def __repr__(self) -> str:
        return f"<ApiToken {self.id} {self.name!r}>"


class Instrument(Model):
    """One version of a questionnaire, stored as the YAML it was loaded from."""

    __tablename__ = "instrument"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(100))
    version: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(300))
    source_yaml: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    loaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # The questionnaire editor (``studies.instrument_versions``): a "published" version is immutable
    # and may be fielded; a "draft" is edited in place and may not. Loaded files are published.
    status: Mapped[str] = mapped_column(String(10), default="published", server_default="published")
    # None: shared by every organisation (loaded with ``flask load-instrument``); else made in the editor.
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("instrument.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("researcher.id"))
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Per item and language, who checked the translation: {item: {lang: {"by", "on", "text"}}};
    # "text" is a hash of the wording reviewed, so a later change shows the review as stale.
    reviews: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, server_default="{}")

    surveys: Mapped[list[Survey]] = relationship(back_populates="instrument")

    @property
    def published(self) -> bool:
        return self.status == "published"

    __table_args__ = (UniqueConstraint("key", "version", name="uq_instrument_key_version"),)

    def __repr__(self) -> str:
        return f"<Instrument {self.key} v{self.version}>"


class Survey(Model):
    """An instrument fielded by an organisation in jurisdictions, over waves."""

    __tablename__ = "survey"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    instrument_id: Mapped[int] = mapped_column(ForeignKey("instrument.id"), index=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    uses_invite_codes: Mapped[bool] = mapped_column(Boolean, default=False)
    date_granularity: Mapped[str] = mapped_column(String(8), default="day")
    min_cell_size: Mapped[int] = mapped_column(Integer, default=10)
    # k of the safe microdata export: every quasi-identifier combination occurs at least this often.
    microdata_k: Mapped[int] = mapped_column(Integer, default=5, server_default="5")
    # Per-survey salt for invite-code hashes (a pepper kept out of the code table).
    invite_salt: Mapped[str] = mapped_column(String(64), default=lambda: secrets.token_hex(32))
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Bumped by every change to the survey, its waves or places (``studies.snapshot``): respondent
    # workers keep a snapshot of the survey and reload it when this number moves.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # The respondents' trust block (``studies.trust``): contact and never-shared statement per
    # language, ethics board and approval number. None: the defaults (no contact, no approval).
    trust: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # A submission answering fewer of the items that apply to it is not stored (``studies.quality``).
    min_answered_share: Mapped[float] = mapped_column(Float, default=0.5, server_default="0.5")

    organisation: Mapped[Organisation] = relationship(back_populates="surveys")
    instrument: Mapped[Instrument] = relationship(back_populates="surveys")
    waves: Mapped[list[Wave]] = relationship(
        back_populates="survey", order_by="Wave.number", cascade="all, delete-orphan"
    )
    jurisdictions: Mapped[list[Jurisdiction]] = relationship(
        back_populates="survey", order_by="Jurisdiction.name", cascade="all, delete-orphan"
    )

    __table_args__ = (
        CheckConstraint("date_granularity IN ('day', 'week')", name="granularity_known"),
        CheckConstraint("min_cell_size >= 1", name="min_cell_positive"),
    )

    def wave_open_on(self, day: date) -> Wave | None:
        """The wave accepting responses on ``day``, if any."""
        for wave in self.waves:
            if wave.is_open(day):
                return wave
        return None

    def __repr__(self) -> str:
        return f"<Survey {self.id} {self.slug!r}>"


class Wave(Model):
    """A fielding period; the analysis's time axis."""

    __tablename__ = "wave"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(100))
    opens_on: Mapped[date] = mapped_column(Date)
    closes_on: Mapped[date] = mapped_column(Date)
    # A researcher may close a wave early (or reopen it) without editing its dates.
    closed: Mapped[bool] = mapped_column(Boolean, default=False)
    # The instrument version the wave is fielded with: the survey's when the wave is added, moved
    # with the survey's while the wave is still scheduled, fixed once it opens (reports warn when
    # compared waves differ).
    instrument_id: Mapped[int | None] = mapped_column(ForeignKey("instrument.id"))

    survey: Mapped[Survey] = relationship(back_populates="waves")

    __table_args__ = (
        UniqueConstraint("survey_id", "number", name="uq_wave_survey_number"),
        CheckConstraint("closes_on >= opens_on", name="dates_ordered"),
    )

    def is_open(self, day: date) -> bool:
        return not self.closed and self.opens_on <= day <= self.closes_on

    def status(self, day: date) -> str:
        """What a researcher is told: "scheduled" (not yet open), "open", or "closed" (by date or early)."""
        if self.closed or day > self.closes_on:
            return "closed"
        return "open" if day >= self.opens_on else "scheduled"

    def __repr__(self) -> str:
        return f"<Wave {self.survey_id}/{self.number} {self.opens_on}..{self.closes_on}>"


class Jurisdiction(Model):
    """A city or county (optionally a coarse district) where a survey is fielded."""

    __tablename__ = "jurisdiction"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    code: Mapped[str] = mapped_column(String(40))  # e.g. a FIPS code or a short slug
    district: Mapped[str | None] = mapped_column(String(200))

    survey: Mapped[Survey] = relationship(back_populates="jurisdictions")
    policy_events: Mapped[list[PolicyEvent]] = relationship(
        back_populates="jurisdiction", order_by="PolicyEvent.event_date", cascade="all, delete-orphan"
    )

    __table_args__ = (UniqueConstraint("survey_id", "code", name="uq_jurisdiction_survey_code"),)

    def __repr__(self) -> str:
        return f"<Jurisdiction {self.id} {self.name!r}>"


ENTANGLEMENT_SIGN = {"more": -1, "less": 1}  # more entanglement is expected to lower trust


class PolicyEvent(Model):
    """A dated policy change in a jurisdiction; what the analysis tests around."""

    __tablename__ = "policy_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdiction.id"), index=True)
    event_date: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(40))
    # +1: expected to raise trust (e.g. sanctuary adopted); -1: expected to lower it.
    # Derived from ``entanglement`` (more entanglement = -1), kept for the API and old rows.
    direction: Mapped[int] = mapped_column(SmallInteger)
    # The one dimension the claim is about: does local policing become "more" or "less"
    # entangled with immigration enforcement (a 287(g) agreement signed or a sanctuary policy
    # ended = more; the reverse = less). Chosen explicitly, no default (issue 13).
    entanglement: Mapped[str] = mapped_column(String(4))
    description: Mapped[str] = mapped_column(Text, default="")
    source_url: Mapped[str | None] = mapped_column(String(500))

    jurisdiction: Mapped[Jurisdiction] = relationship(back_populates="policy_events")

    __table_args__ = (CheckConstraint("direction IN (-1, 1)", name="direction_sign"),
                      CheckConstraint("entanglement IN ('more', 'less')", name="entanglement_value"))

    def __init__(self, **kw: Any) -> None:
        # One fact: the entanglement; the trust sign follows from it (and old callers that
        # give only the sign get the matching entanglement).
        if "entanglement" in kw and "direction" not in kw:
            kw["direction"] = ENTANGLEMENT_SIGN.get(kw["entanglement"], 0)
        elif "direction" in kw and "entanglement" not in kw:
            kw["entanglement"] = {-1: "more", 1: "less"}.get(kw["direction"], "")
        super().__init__(**kw)

    def __repr__(self) -> str:
        return f"<PolicyEvent {self.kind} {self.event_date}>"


class Response(Model):
    """One anonymous submission. No IP, no user agent, no time of day: by construction."""

    __tablename__ = "response"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id"))
    wave_id: Mapped[int] = mapped_column(ForeignKey("wave.id"))
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdiction.id"))
    language: Mapped[str] = mapped_column(String(8))
    instrument_version: Mapped[str] = mapped_column(String(40))
    submitted_on: Mapped[date] = mapped_column(Date)  # coarsened: day or week start
    # Derived at submission from the answers (see module docstring); NULL when not answered.
    immigrant: Mapped[bool | None] = mapped_column(Boolean)
    trust: Mapped[float | None] = mapped_column(Float)
    willingness: Mapped[float | None] = mapped_column(Float)
    fear: Mapped[float | None] = mapped_column(Float)
    involvement: Mapped[float | None] = mapped_column(Float)
    # Every other scale of the instrument, for instruments with scales beyond the four above.
    scores: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Data-quality flags computed at submission (``studies.quality``): flags only, no durations or times.
    flag_straightlining: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    flag_nonresponse: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    answers: Mapped[list[Answer]] = relationship(
        back_populates="response", cascade="all, delete-orphan", passive_deletes=True
    )

    __table_args__ = (
        # The dashboard's queries: counts and means by survey x wave x jurisdiction (x immigrant).
        Index("ix_response_survey_wave_jurisdiction", "survey_id", "wave_id", "jurisdiction_id", "immigrant"),
        Index("ix_response_survey_jurisdiction", "survey_id", "jurisdiction_id"),
        Index("ix_response_wave", "wave_id"),
    )

    def __repr__(self) -> str:
        return f"<Response {self.id}>"


class Answer(Model):
    """One answer: a numeric code, a number, or capped free text.

    A multiple-choice item stores one row per chosen option (``position`` 0, 1, ...).
    """

    __tablename__ = "answer"

    response_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("response.id", ondelete="CASCADE"), primary_key=True
    )
    item_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    position: Mapped[int] = mapped_column(SmallInteger, primary_key=True, default=0)
    code: Mapped[int | None] = mapped_column(Integer)
    number: Mapped[float | None] = mapped_column(Float)
    text: Mapped[str | None] = mapped_column(Text)

    response: Mapped[Response] = relationship(back_populates="answers")

    __table_args__ = (Index("ix_answer_item", "item_id"),)

    def __repr__(self) -> str:
        return f"<Answer {self.item_id}[{self.position}]>"


class InviteCode(Model):
    """A one-time code: only its salted hash and whether it was used. Never linked to a response."""

    __tablename__ = "invite_code"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    used: Mapped[bool] = mapped_column(Boolean, default=False)
    batch: Mapped[str] = mapped_column(String(100), default="")

    def __repr__(self) -> str:
        return f"<InviteCode {self.id} used={self.used}>"


class AuditLog(Model):
    """Who did what to which data, and when. Never holds response content."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    researcher_id: Mapped[int | None] = mapped_column(ForeignKey("researcher.id"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    action: Mapped[str] = mapped_column(String(80))
    target: Mapped[str] = mapped_column(String(200), default="")
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    researcher: Mapped[Researcher | None] = relationship()

    def __repr__(self) -> str:
        return f"<AuditLog {self.id} {self.action}>"


class SubmissionToken(Model):
    """A used one-time submission token (the respondent form's double-submit guard).

    Only a keyed hash of the token is kept, in a table with no link to any
    response: no foreign key, no timestamp, no counter. It is written in the
    same transaction as the response, so a double click stores one response,
    and a device that still holds the token cannot be matched to the answers.
    """

    __tablename__ = "submission_token"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)

    def __repr__(self) -> str:
        return "<SubmissionToken>"


class RecordImport(Model):
    """One police-records file imported for a survey: fingerprints, mapping and row tally.

    Police open data can hold addresses, so no incident row is kept anywhere:
    the import aggregates on the spot and stores only ``RecordCount`` rows.
    ``content_hash`` (the bytes) and ``rows_fingerprint`` (the mapped fields of
    every row, in any order) are unique per survey, so a re-import is refused.
    """

    __tablename__ = "record_import"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id"), index=True)
    researcher_id: Mapped[int | None] = mapped_column(ForeignKey("researcher.id"))
    filename: Mapped[str] = mapped_column(String(200), default="")
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    content_hash: Mapped[str] = mapped_column(String(64))
    rows_fingerprint: Mapped[str] = mapped_column(String(64))
    period: Mapped[str] = mapped_column(String(20))  # week, month or wave
    n_rows: Mapped[int] = mapped_column(Integer, default=0)
    n_counted: Mapped[int] = mapped_column(Integer, default=0)
    mapping: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    tally: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # reason -> rows
    unmapped: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # reason -> [[value, rows], ...]
    summary: Mapped[str] = mapped_column(Text, default="")

    survey: Mapped[Survey] = relationship()
    counts: Mapped[list[RecordCount]] = relationship(back_populates="record_import", cascade="all, delete-orphan")

    __table_args__ = (
        UniqueConstraint("survey_id", "content_hash", name="uq_record_import_survey_content"),
        UniqueConstraint("survey_id", "rows_fingerprint", name="uq_record_import_survey_rows"),
    )

    def __repr__(self) -> str:
        return f"<RecordImport {self.id} survey={self.survey_id} {self.period}>"


class RecordCount(Model):
    """Reports in one place x period x victim group x offence category, from one import."""

    __tablename__ = "record_count"

    id: Mapped[int] = mapped_column(primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("record_import.id"), index=True)
    place: Mapped[str] = mapped_column(String(40))  # a Jurisdiction.code of the survey
    period: Mapped[str] = mapped_column(String(40))
    victim_group: Mapped[str] = mapped_column(String(40))
    category: Mapped[str] = mapped_column(String(40))
    count: Mapped[int] = mapped_column(Integer)

    record_import: Mapped[RecordImport] = relationship(back_populates="counts")

    __table_args__ = (
        UniqueConstraint("import_id", "place", "period", "victim_group", "category", name="uq_record_count_cell"),
        CheckConstraint("count >= 0", name="count_non_negative"),
    )

    def __repr__(self) -> str:
        return f"<RecordCount {self.place} {self.period} {self.victim_group} {self.category}={self.count}>"


class ResponseBuffer(Model):
    """A submitted response waiting to be written out, sealed (see ``studies.write_out``).

    The submit transaction writes here, together with the invite code's consumption
    and the submission token, so an acknowledged response is never lost; the
    ``response``/``answer`` rows are written later, in shuffled batches of at least
    the survey's minimum cell size, in a transaction of their own. ``sealed`` is the
    response (scores and answers) encrypted with AES-GCM under a key derived from
    SECRET_KEY; there is no timestamp, counter or link to a code or a token.
    """

    __tablename__ = "response_buffer"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id"), index=True)
    sealed: Mapped[bytes] = mapped_column(LargeBinary)

    def __repr__(self) -> str:
        return f"<ResponseBuffer {self.id}>"


class Release(Model):
    """A frozen, published set of suppressed tables of a survey's closed waves (issue 10).

    Viewers and API clients read aggregates from the latest release only, so
    what they see changes when a wave closes or a researcher publishes, never
    with each submission. ``cube`` is the frozen model input (counts, score
    sums and the suppression masks, JSON): earlier waves are copied from the
    previous release, never re-counted, so a published cell never changes.
    """

    __tablename__ = "release"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))  # "wave_closed" or "manual"
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("researcher.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    min_cell_size: Mapped[int] = mapped_column(Integer)
    waves: Mapped[list[int]] = mapped_column(JSON, default=list)  # wave numbers included
    cube: Mapped[str] = mapped_column(Text)

    __table_args__ = (UniqueConstraint("survey_id", "number", name="uq_release_survey_number"),)

    def __repr__(self) -> str:
        return f"<Release {self.survey_id}#{self.number} waves={self.waves}>"


class MicrodataGrant(Model):
    """An admin's permission for one named analyst to download restricted microdata of one survey.

    Restricted microdata keeps the exact day and free text; the safe export is
    the default. A grant names its purpose and expires; every download under it
    is audited (``export.responses`` with ``tier: restricted`` and the grant id).
    """

    __tablename__ = "microdata_grant"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id", ondelete="CASCADE"), index=True)
    analyst_id: Mapped[int] = mapped_column(ForeignKey("researcher.id"), index=True)
    granted_by_id: Mapped[int] = mapped_column(ForeignKey("researcher.id"))
    purpose: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)

    def active(self, now: datetime) -> bool:
        expires = self.expires_at if self.expires_at.tzinfo else self.expires_at.replace(tzinfo=UTC)
        return not self.revoked and now < expires

    def __repr__(self) -> str:
        return f"<MicrodataGrant {self.id} survey={self.survey_id} analyst={self.analyst_id}>"


class AnalysisPlan(Model):
    """A pre-registered analysis plan: frozen before results are seen, hashed, never edited (issue 13).

    ``spec`` is the canonical JSON (outcomes, estimator, comparison, subgroup, covariates, weights,
    inference, SESOI and its justification); ``sha256`` is the hash of exactly that text.
    """

    __tablename__ = "analysis_plan"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("researcher.id"))
    spec: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    frozen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    author: Mapped[Researcher | None] = relationship()

    def __repr__(self) -> str:
        return f"<AnalysisPlan {self.sha256[:12]}>"


class SpecRun(Model):
    """One specification run on a survey (who, when, the spec's hash, the result): the search record."""

    __tablename__ = "spec_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id"), index=True)
    researcher_id: Mapped[int | None] = mapped_column(ForeignKey("researcher.id"))
    ran_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    outcome: Mapped[str] = mapped_column(String(40))
    spec_hash: Mapped[str] = mapped_column(String(64))
    verdict: Mapped[str] = mapped_column(String(30))
    estimate: Mapped[float | None] = mapped_column(Float)
    p_value: Mapped[float | None] = mapped_column(Float)

    def __repr__(self) -> str:
        return f"<SpecRun {self.outcome} {self.spec_hash[:12]}>"


class RakingMargins(Model):
    """Population margins an analyst uploaded for a survey: what web reports rake to (issue 13).

    ``rows`` is the validated table (jurisdiction code, variable, level, share), stored whole so a
    report says exactly which upload it used (``sha256`` of the uploaded bytes). The newest upload
    of a survey is the current one; older ones stay for the record.
    """

    __tablename__ = "raking_margins"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id"), index=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("researcher.id"))
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    filename: Mapped[str] = mapped_column(String(200), default="")
    sha256: Mapped[str] = mapped_column(String(64))
    rows: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)

    uploaded_by: Mapped[Researcher | None] = relationship()

    def __repr__(self) -> str:
        return f"<RakingMargins {self.sha256[:12]} survey={self.survey_id}>"


class TestSubmission(Model):
    """A researcher's answers from a preview of the survey: test data, kept apart from the real data.

    Its own table, so nothing that reads ``response``, ``answer`` or ``response_buffer`` (aggregates,
    exports, releases, analyses, the write-out) can ever see it; researchers list and delete these
    on the survey's manage page. Only the date is kept, like responses.
    """

    __test__ = False  # not a pytest class, despite the name
    __tablename__ = "test_submission"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id"), index=True)
    language: Mapped[str] = mapped_column(String(16))
    submitted_on: Mapped[date] = mapped_column(Date)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    def __repr__(self) -> str:
        return f"<TestSubmission {self.id} survey={self.survey_id}>"
