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
"""
from __future__ import annotations

import enum
import secrets
import uuid
from datetime import UTC, date, datetime
from typing import Any

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
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .extensions import db

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


class Organisation(db.Model):
    """A city office, university team or civic group; the unit of data separation."""

    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    researchers: Mapped[list[Researcher]] = relationship(back_populates="organisation")
    surveys: Mapped[list[Survey]] = relationship(back_populates="organisation")

    def __repr__(self) -> str:
        return f"<Organisation {self.id} {self.name!r}>"


class Researcher(UserMixin, db.Model):
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


class ApiToken(db.Model):
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


class Instrument(db.Model):
    """One version of a questionnaire, stored as the YAML it was loaded from."""

    __tablename__ = "instrument"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(100))
    version: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(300))
    source_yaml: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    loaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    surveys: Mapped[list[Survey]] = relationship(back_populates="instrument")

    __table_args__ = (UniqueConstraint("key", "version", name="uq_instrument_key_version"),)

    def __repr__(self) -> str:
        return f"<Instrument {self.key} v{self.version}>"


class Survey(db.Model):
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
    # Per-survey salt for invite-code hashes (a pepper kept out of the code table).
    invite_salt: Mapped[str] = mapped_column(String(64), default=lambda: secrets.token_hex(32))
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

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


class Wave(db.Model):
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

    survey: Mapped[Survey] = relationship(back_populates="waves")

    __table_args__ = (
        UniqueConstraint("survey_id", "number", name="uq_wave_survey_number"),
        CheckConstraint("closes_on >= opens_on", name="dates_ordered"),
    )

    def is_open(self, day: date) -> bool:
        return not self.closed and self.opens_on <= day <= self.closes_on

    def __repr__(self) -> str:
        return f"<Wave {self.survey_id}/{self.number} {self.opens_on}..{self.closes_on}>"


class Jurisdiction(db.Model):
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


class PolicyEvent(db.Model):
    """A dated policy change in a jurisdiction; what the analysis tests around."""

    __tablename__ = "policy_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdiction.id"), index=True)
    event_date: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(40))
    # +1: expected to raise trust (e.g. sanctuary adopted); -1: expected to lower it.
    direction: Mapped[int] = mapped_column(SmallInteger)
    description: Mapped[str] = mapped_column(Text, default="")
    source_url: Mapped[str | None] = mapped_column(String(500))

    jurisdiction: Mapped[Jurisdiction] = relationship(back_populates="policy_events")

    __table_args__ = (CheckConstraint("direction IN (-1, 1)", name="direction_sign"),)

    def __repr__(self) -> str:
        return f"<PolicyEvent {self.kind} {self.event_date}>"


class Response(db.Model):
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


class Answer(db.Model):
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


class InviteCode(db.Model):
    """A one-time code: only its salted hash and whether it was used. Never linked to a response."""

    __tablename__ = "invite_code"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    used: Mapped[bool] = mapped_column(Boolean, default=False)
    batch: Mapped[str] = mapped_column(String(100), default="")

    def __repr__(self) -> str:
        return f"<InviteCode {self.id} used={self.used}>"


class AuditLog(db.Model):
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


class SubmissionToken(db.Model):
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
