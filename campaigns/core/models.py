"""Database models: students, campaigns and their waves, messages, conversions, suppressions."""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Annotated, Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ColumnElement,
    Date,
    DateTime,
    Dialect,
    Enum,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Text,
    Time,
    TypeDecorator,
    UniqueConstraint,
    exists,
    false,
    literal_column,
    or_,
)
from sqlalchemy import text as sql
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from channels.base import Channel, EventType

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back time-zone aware (SQLite included)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


BigId = BigInteger().with_variant(Integer(), "sqlite")
JsonDoc = JSON().with_variant(JSONB(), "postgresql")

pk = Annotated[int, mapped_column(BigId, primary_key=True, autoincrement=True)]
created = Annotated[datetime, mapped_column(UtcDateTime(), default=utcnow, nullable=False)]
stamp = Annotated[datetime | None, mapped_column(UtcDateTime())]
text = Annotated[str, mapped_column(String(255))]
optional_text = Annotated[str | None, mapped_column(String(255))]


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _enum(cls: type[enum.Enum]) -> Enum:
    """A status stored as its value in a plain string column, so new values need no migration."""
    return Enum(
        cls,
        native_enum=False,
        create_constraint=False,
        length=24,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


class CampaignStatus(enum.StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    PAUSED = "paused"
    CANCELLED = "cancelled"
    COMPLETED = "completed"


class WaveStatus(enum.StrEnum):
    WAITING = "waiting"
    SENDING = "sending"
    DONE = "done"
    CANCELLED = "cancelled"


class MessageStatus(enum.StrEnum):
    SKIPPED = "skipped"
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    FAILED = "failed"
    UNKNOWN = "unknown"
    CANCELLED = "cancelled"


class SkipReason(enum.StrEnum):
    NO_CONSENT = "no_consent"
    UNREACHABLE = "unreachable"
    CONVERTED = "converted"
    SUPPRESSED = "suppressed"
    # The wave requires a conversion stage (e.g. registered) the student has not reached.
    NOT_YET = "not_yet"
    # The student had all the messages of this channel the frequency caps allow, until the
    # wave's time was over (``governance.caps``).
    CAPPED = "capped"
    # A commercial campaign's message to a student without commercial consent (İYS).
    NO_COMMERCIAL_CONSENT = "no_commercial_consent"


class MessageType(enum.StrEnum):
    """What a campaign's messages are under Turkish law: informational ones need contact
    consent; commercial ones also the student's commercial consent, recorded in İYS."""

    INFORMATIONAL = "informational"
    COMMERCIAL = "commercial"


class ConversionStage(enum.StrEnum):
    REGISTERED = "registered"
    FORM_SUBMITTED = "form_submitted"


class Student(Base):
    """A graduating student as the registrar's list describes them."""

    __tablename__ = "students"
    __table_args__ = (
        # The few students abroad: whether a wave has one due is a look-up, not a scan.
        Index(
            "ix_students_abroad",
            "id",
            postgresql_where=sql("timezone IS NOT NULL"),
            sqlite_where=sql("timezone IS NOT NULL"),
        ),
    )

    id: Mapped[pk]
    student_no: Mapped[str] = mapped_column(String(32), unique=True)
    first_name: Mapped[text]
    last_name: Mapped[text]
    faculty: Mapped[text] = mapped_column(index=True)
    department: Mapped[text] = mapped_column(index=True)
    degree: Mapped[text]
    advisor_name: Mapped[optional_text]
    advisor_email: Mapped[optional_text] = mapped_column(index=True)
    email: Mapped[optional_text]
    personal_email: Mapped[optional_text]
    phone: Mapped[str | None] = mapped_column(String(20))
    phone_is_mobile: Mapped[bool] = mapped_column(Boolean, default=False)
    whatsapp_opt_in: Mapped[bool] = mapped_column(Boolean, default=False)
    contact_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    # Consent to commercial messages, as recorded in İYS (İleti Yönetim Sistemi).
    commercial_consent: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    language: Mapped[str] = mapped_column(String(8), default="tr")
    # Where the student lives when it is not the campaign's zone (a number or address
    # abroad): sending hours and closed days are their own local time then.
    timezone: Mapped[str | None] = mapped_column(String(64))
    graduation_term: Mapped[text] = mapped_column(index=True)
    created_at: Mapped[created]
    updated_at: Mapped[created]
    purged_at: Mapped[stamp]

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class Campaign(Base):
    """A reminder campaign: an audience filter and its waves."""

    __tablename__ = "campaigns"

    id: Mapped[pk]
    name: Mapped[text]
    status: Mapped[CampaignStatus] = mapped_column(
        _enum(CampaignStatus), default=CampaignStatus.DRAFT
    )
    timezone: Mapped[str] = mapped_column(String(64))
    window_start: Mapped[time] = mapped_column(Time())
    window_end: Mapped[time] = mapped_column(Time())
    goal_url: Mapped[str] = mapped_column(String(2048))
    audience: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    definition: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    # Who may see the campaign: the one faculty / advisor all of its audience belongs to.
    scope_faculty: Mapped[optional_text] = mapped_column(index=True)
    scope_advisor: Mapped[optional_text] = mapped_column(index=True)
    created_by: Mapped[str | None] = mapped_column(String(320))
    # The creator's role when it was created: an advisor's campaign may need approval.
    creator_role: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[created]
    launched_at: Mapped[stamp]
    finished_at: Mapped[stamp]
    # Four eyes (``governance.approval``): where the review stands (None: never submitted;
    # pending, approved, returned), who decided, their comment, and what was approved (a
    # fingerprint of the definition and its texts: any change after approval voids it).
    review_state: Mapped[str | None] = mapped_column(String(20), index=True)
    submitted_at: Mapped[stamp]
    reviewed_by: Mapped[str | None] = mapped_column(String(320))
    reviewed_at: Mapped[stamp]
    review_comment: Mapped[str | None] = mapped_column(Text)
    approved_fingerprint: Mapped[str | None] = mapped_column(String(64))

    waves: Mapped[list[Wave]] = relationship(
        back_populates="campaign", order_by="Wave.position", cascade="all, delete-orphan"
    )


class Wave(Base):
    """One send of a campaign: when, on which channels, with which template."""

    __tablename__ = "waves"
    __table_args__ = (UniqueConstraint("campaign_id", "name"),)

    id: Mapped[pk]
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(100))
    start_at: Mapped[stamp]
    offset_seconds: Mapped[int | None] = mapped_column(Integer)
    channels: Mapped[list[str]] = mapped_column(JsonDoc)
    template: Mapped[str] = mapped_column(String(200))
    only_unconverted: Mapped[bool] = mapped_column(Boolean)
    options: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)
    status: Mapped[WaveStatus] = mapped_column(_enum(WaveStatus), default=WaveStatus.WAITING)
    planned_at: Mapped[stamp]
    finished_at: Mapped[stamp]
    # Why the wave cannot send now (its channel's adapter cannot be built), for people to
    # read in ``campaign show`` and the report; cleared once it sends again.
    hold_reason: Mapped[str | None] = mapped_column(Text)

    campaign: Mapped[Campaign] = relationship(back_populates="waves")


class Message(Base):
    """The outcome for one student in one wave: a message to send, or why none is sent."""

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("wave_id", "student_id"),
        # A student's messages: attribution of conversions, message history.
        Index("ix_messages_student_id", "student_id"),
        # Partial indexes: rows leave them as they are sent, so the hot ones stay small.
        Index(
            "ix_messages_pending",
            "wave_id",
            "id",
            postgresql_where=sql("status = 'pending'"),
            sqlite_where=sql("status = 'pending'"),
        ),
        Index(
            "ix_messages_provider_message_id",
            "provider_message_id",
            postgresql_where=sql("provider_message_id IS NOT NULL"),
            sqlite_where=sql("provider_message_id IS NOT NULL"),
        ),
        Index(
            "ix_messages_sending",
            "claimed_at",
            postgresql_where=sql("status = 'sending'"),
            sqlite_where=sql("status = 'sending'"),
        ),
    )

    id: Mapped[pk]
    # No foreign keys on this hot table: their per-row checks cost half of planning's time.
    # Rows are only written by planning, from the locked wave and existing students, and
    # neither parent is ever deleted (students are anonymised in place).
    wave_id: Mapped[int] = mapped_column(BigId)
    student_id: Mapped[int] = mapped_column(BigId)
    status: Mapped[MessageStatus] = mapped_column(_enum(MessageStatus))
    skip_reason: Mapped[SkipReason | None] = mapped_column(_enum(SkipReason))
    channel: Mapped[Channel | None] = mapped_column(_enum(Channel))
    address: Mapped[str | None] = mapped_column(String(320))
    # The random part of the message's public token (see ``campaigns.tracking.links``): lookups go
    # through the primary key, so no index on random values slows planning down.
    secret: Mapped[str | None] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[stamp]
    claimed_at: Mapped[stamp]
    provider: Mapped[str | None] = mapped_column(String(40))
    provider_message_id: Mapped[str | None] = mapped_column(String(100))
    error_code: Mapped[str | None] = mapped_column(String(40))
    error_message: Mapped[str | None] = mapped_column(Text)
    segments: Mapped[int | None] = mapped_column(Integer)
    cost: Mapped[Decimal | None] = mapped_column(Numeric(12, 5))
    cost_estimated: Mapped[bool | None] = mapped_column(Boolean)
    clicked_at: Mapped[stamp]
    click_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[created]
    sent_at: Mapped[stamp]
    delivered_at: Mapped[stamp]
    read_at: Mapped[stamp]
    failed_at: Mapped[stamp]


def open_messages(wave_id: Any) -> ColumnElement[bool]:
    """The wave (an id, or a column such as ``Wave.id``) still has a message ``pending`` or
    ``sending``: one test per status with the value written into the SQL, so that each is
    answered from its partial index. An ``IN`` over both can use neither and walks every
    row already sent: at a million rows that took 0.1-0.2 s per call."""
    return or_(
        *(
            exists().where(Message.wave_id == wave_id, Message.status == literal_column(f"'{s}'"))
            for s in (MessageStatus.PENDING, MessageStatus.SENDING)
        )
    )


class Conversion(Base):
    """A student reaching a goal in the alumni system (registered, form handed in)."""

    __tablename__ = "conversions"
    __table_args__ = (UniqueConstraint("student_no", "stage"),)

    id: Mapped[pk]
    student_no: Mapped[str] = mapped_column(String(32))
    student_id: Mapped[int | None] = mapped_column(
        ForeignKey("students.id", ondelete="SET NULL"), index=True
    )
    stage: Mapped[ConversionStage] = mapped_column(_enum(ConversionStage))
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime())
    source: Mapped[str] = mapped_column(String(20))
    recorded_at: Mapped[created]
    # Attribution: the last message that reached the student before the conversion (within
    # the attribution window) and the first one; seconds from that first one.
    last_message_id: Mapped[int | None] = mapped_column(BigId, index=True)
    first_message_id: Mapped[int | None] = mapped_column(BigId)
    seconds_to_convert: Mapped[int | None] = mapped_column(Integer)


class DeliveryEvent(Base):
    """A provider status callback, normalised, stored once (``dedupe_key``) with its payload."""

    __tablename__ = "delivery_events"

    id: Mapped[pk]
    # Like messages, an append-heavy table without foreign keys; unmatched events keep NULL.
    message_id: Mapped[int | None] = mapped_column(BigId, index=True)
    provider: Mapped[str] = mapped_column(String(40))
    type: Mapped[EventType] = mapped_column(_enum(EventType))
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    provider_message_id: Mapped[str | None] = mapped_column(String(100))
    error_code: Mapped[str | None] = mapped_column(String(40))
    description: Mapped[str | None] = mapped_column(Text)
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime())
    received_at: Mapped[created]
    raw: Mapped[dict[str, Any]] = mapped_column(JsonDoc)


class InboundMessage(Base):
    """A message a student sent us (a reply, STOP/İPTAL, START/BAŞLA), stored once by the
    provider's id so that a replayed callback changes nothing."""

    __tablename__ = "inbound_messages"
    __table_args__ = (UniqueConstraint("provider", "provider_message_id"),)

    id: Mapped[pk]
    provider: Mapped[str] = mapped_column(String(40))
    provider_message_id: Mapped[str] = mapped_column(String(100))
    channel: Mapped[Channel] = mapped_column(_enum(Channel))
    # Cleared when the student's data is purged.
    address: Mapped[str | None] = mapped_column(String(320), index=True)
    body: Mapped[str | None] = mapped_column(Text)
    keyword: Mapped[str | None] = mapped_column(String(20))
    received_at: Mapped[created]
    # The student whose address sent it (None: nobody we know), and where it stands in the
    # advisors' inbox: new, assigned to someone, done.
    student_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("students.id", ondelete="SET NULL"), index=True
    )
    state: Mapped[str] = mapped_column(String(20), default="new", server_default="new")
    assigned_to: Mapped[str | None] = mapped_column(String(320))
    handled_at: Mapped[stamp]
    # The answer sent from the inbox, who sent it and when.
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by: Mapped[str | None] = mapped_column(String(320))
    answered_at: Mapped[stamp]


class ReplyAttachment(Base):
    """A file a student's reply carried (a PDF or a picture, checked by its bytes and size),
    or the note that one was refused and why."""

    __tablename__ = "reply_attachments"

    id: Mapped[pk]
    inbound_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("inbound_messages.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes | None] = mapped_column(LargeBinary)
    refused: Mapped[str | None] = mapped_column(String(200))


class ContactCount(Base):
    """How many campaign messages a student was sent on a channel in the current local day
    and ISO week (``day``: the date, ``week``: its Monday): the frequency caps' ledger, one
    row per student and channel whose counts start again when the period changes. The row
    is locked while a batch takes its slot, so two workers cannot both take the last one."""

    __tablename__ = "contact_counts"

    student_id: Mapped[int] = mapped_column(BigId, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    day: Mapped[str] = mapped_column(String(10))
    day_count: Mapped[int] = mapped_column(Integer, default=0)
    week: Mapped[str] = mapped_column(String(10))
    week_count: Mapped[int] = mapped_column(Integer, default=0)


class ClosedDay(Base):
    """Days the university (``faculty`` None) or one faculty sends nothing: exam weeks,
    the diploma ceremony, quiet days. Public holidays come from the calendar library."""

    __tablename__ = "closed_days"

    id: Mapped[pk]
    first_day: Mapped[date] = mapped_column(Date, index=True)
    last_day: Mapped[date] = mapped_column(Date, index=True)
    reason: Mapped[text]
    faculty: Mapped[optional_text]
    created_by: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[created]


class Heartbeat(Base):
    """When a periodic job (the scheduler's tick) last ran, so that a launch can tell
    whether anything will pick the campaign up."""

    __tablename__ = "heartbeats"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    details: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)


class ProviderState(Base):
    """A provider's share of its channel now: lowered when it fails or is slow, raised again
    as it recovers, or pinned by an administrator."""

    __tablename__ = "provider_states"

    channel: Mapped[Channel] = mapped_column(_enum(Channel), primary_key=True)
    provider: Mapped[str] = mapped_column(String(40), primary_key=True)
    weight: Mapped[int] = mapped_column(Integer)
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str | None] = mapped_column(Text)
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ProviderChange(Base):
    """One change of a provider's share, and why: the history the admin page shows."""

    __tablename__ = "provider_changes"

    id: Mapped[pk]
    at: Mapped[created] = mapped_column(index=True)
    channel: Mapped[Channel] = mapped_column(_enum(Channel))
    provider: Mapped[str] = mapped_column(String(40))
    weight_before: Mapped[int] = mapped_column(Integer)
    weight_after: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(320))


class ProviderError(Base):
    """Failed sends of one batch to a provider (transient, rate-limited, unknown): counted
    over a window by every process's scheduler alike."""

    __tablename__ = "provider_errors"

    id: Mapped[pk]
    at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    provider: Mapped[str] = mapped_column(String(40))
    count: Mapped[int] = mapped_column(Integer)


class Role(enum.StrEnum):
    ADMIN = "admin"
    COORDINATOR = "coordinator"
    ADVISOR = "advisor"
    DESK = "desk"
    """Student Affairs: looks a student up by number and records the membership form."""


class User(Base):
    """Someone using the service: the alumni office (admin), a faculty coordinator, an
    advisor, or the Student Affairs desk."""

    __tablename__ = "users"

    id: Mapped[pk]
    email: Mapped[str] = mapped_column(String(320), unique=True)
    role: Mapped[Role] = mapped_column(_enum(Role))
    faculty: Mapped[optional_text]
    phone: Mapped[str | None] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[created]
    revoked_at: Mapped[stamp]


class SignInLink(Base):
    """A one-time sign-in link sent to a user's email: only its digest is stored."""

    __tablename__ = "sign_in_links"

    id: Mapped[pk]
    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[created]
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    used_at: Mapped[stamp]


class WebSession(Base):
    """A signed-in browser: the cookie holds a random token, the database its digest, so a
    session ends everywhere the moment it is ended here (sign-out, revocation, inactivity)."""

    __tablename__ = "web_sessions"

    id: Mapped[pk]
    user_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[created]
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime())
    ended_at: Mapped[stamp]


class SignInAttempt(Base):
    """A request for a sign-in link, kept to limit them per address and per client: both
    are keyed digests, never the address or the client's IP."""

    __tablename__ = "sign_in_attempts"
    __table_args__ = (
        Index("ix_sign_in_attempts_address_at", "address_key", "at"),
        Index("ix_sign_in_attempts_client_at", "client_key", "at"),
    )

    id: Mapped[pk]
    at: Mapped[created]
    address_key: Mapped[str] = mapped_column(String(64))
    client_key: Mapped[str] = mapped_column(String(64))


class AuditEntry(Base):
    """Who changed what, when."""

    __tablename__ = "audit_log"

    id: Mapped[pk]
    at: Mapped[created] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(320))
    action: Mapped[str] = mapped_column(String(60))
    target: Mapped[str | None] = mapped_column(String(200))
    details: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)


class TemplateText(Base):
    """One version of a message text edited in the web app: it stands in for the file
    ``<template>/<part>.<language>.j2`` from when it is saved (the newest version wins; one
    without a body gives the file back)."""

    __tablename__ = "template_texts"
    __table_args__ = (UniqueConstraint("template", "part", "language", "version"),)

    id: Mapped[pk]
    template: Mapped[str] = mapped_column(String(200))
    part: Mapped[str] = mapped_column(String(40))
    language: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer)
    body: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[created]


class Suppression(Base):
    """An address that must not be contacted on a channel (opt-out, bounce, complaint)."""

    __tablename__ = "suppressions"
    __table_args__ = (UniqueConstraint("channel", "address"),)

    id: Mapped[pk]
    channel: Mapped[Channel] = mapped_column(_enum(Channel))
    address: Mapped[str] = mapped_column(String(320))
    reason: Mapped[str] = mapped_column(String(40))
    source: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[created]


__all__ = [
    "AuditEntry",
    "Base",
    "Campaign",
    "CampaignStatus",
    "Channel",
    "Conversion",
    "ConversionStage",
    "DeliveryEvent",
    "Heartbeat",
    "InboundMessage",
    "Message",
    "MessageStatus",
    "ProviderChange",
    "ProviderError",
    "ProviderState",
    "ReplyAttachment",
    "Role",
    "SkipReason",
    "Student",
    "Suppression",
    "TemplateText",
    "User",
    "UtcDateTime",
    "Wave",
    "WaveStatus",
    "utcnow",
]
