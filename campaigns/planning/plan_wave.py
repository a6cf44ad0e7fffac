"""Plan a due wave: decide, for every student in the audience, one outcome in one statement.

Planning is a single ``INSERT … SELECT`` that writes one row per (wave, student): a message
to send (``pending``, with its channel and address) or a skip with its reason (no consent,
converted, suppressed, unreachable). The unique (wave, student) constraint makes
re-planning a no-op, and skipped students stay visible in the reports.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    exists,
    false,
    func,
    literal,
    null,
    or_,
    select,
    true,
)
from sqlalchemy.orm import QueryableAttribute, Session, aliased

from campaigns.core.dialects import random_secret, upsert
from campaigns.core.errors import NotFoundError
from campaigns.core.models import (
    Campaign,
    CampaignStatus,
    Conversion,
    ConversionStage,
    Message,
    MessageStatus,
    SkipReason,
    Student,
    Suppression,
    Wave,
    WaveStatus,
    utcnow,
)
from campaigns.governance import privacy
from campaigns.students.audience import campaign_condition
from channels.base import Channel


@dataclass(frozen=True, slots=True)
class PlanResult:
    """What planning decided for a wave."""

    wave_id: int
    planned: bool
    pending: int = 0
    skipped: Mapping[str, int] = field(default_factory=dict)

    @property
    def audience(self) -> int:
        return self.pending + sum(self.skipped.values())


Address = ColumnElement[Any] | QueryableAttribute[Any]


def channel_candidates(channels: Sequence[str]) -> list[tuple[Channel, Address]]:
    """Addresses to try, in order. Email tries the personal address first: student accounts
    close after graduation. SMS needs a mobile; WhatsApp a mobile and the student's opt-in."""
    mobile = case((Student.phone_is_mobile == true(), Student.phone), else_=null())
    whatsapp = case(
        (and_(Student.phone_is_mobile == true(), Student.whatsapp_opt_in == true()), Student.phone),
        else_=null(),
    )
    found: list[tuple[Channel, Address]] = []
    for name in channels:
        channel = Channel(name)
        if channel is Channel.EMAIL:
            found += [(channel, Student.personal_email), (channel, Student.email)]
        elif channel is Channel.SMS:
            found.append((channel, mobile))
        else:
            found.append((channel, whatsapp))
    return found


def suppression_key(channel: Channel, address: Address) -> Address:
    """How an address is compared with suppressions: email case-insensitively."""
    return func.lower(address) if channel is Channel.EMAIL else address


def converted_condition(stage: ConversionStage) -> ColumnElement[bool]:
    return exists().where(Conversion.student_id == Student.id, Conversion.stage == stage.value)


def plan_wave(session: Session, wave_id: int, *, now: datetime | None = None) -> PlanResult:
    """Plan a wave that is due. A wave that is not waiting (already planned) is left alone."""
    now = now or utcnow()
    wave = session.scalars(select(Wave).where(Wave.id == wave_id).with_for_update()).first()
    if wave is None:
        raise NotFoundError(f"dalga bulunamadı / wave {wave_id} not found")
    campaign = wave.campaign
    if (
        wave.status is not WaveStatus.WAITING
        or campaign.status is not CampaignStatus.ACTIVE
        or wave.start_at is None
        or wave.start_at > now
    ):
        return PlanResult(wave_id, planned=False)

    rows = _plan_rows(wave, campaign_condition(session, campaign), now)
    # Re-planning inserts nothing: rows that exist for (wave, student) are kept.
    session.execute(
        upsert(session, Message)
        .from_select(PLANNED_COLUMNS, rows)
        .on_conflict_do_nothing(index_elements=["wave_id", "student_id"])
    )
    wave.status = WaveStatus.SENDING
    wave.planned_at = now
    session.flush()
    return _summarise(session, wave_id)


def plan_student(
    session: Session, wave: Wave, student_id: int, now: datetime
) -> tuple[Message | None, bool]:
    """Plan one student of the wave's campaign (by the same rule as a whole wave): their
    row (None when the student is not within the campaign's reach), and whether it is new
    (a student already planned keeps their row)."""
    audience = and_(campaign_condition(session, wave.campaign), Student.id == student_id)
    inserted = session.execute(
        upsert(session, Message)
        .from_select(PLANNED_COLUMNS, _plan_rows(wave, audience, now))
        .on_conflict_do_nothing(index_elements=["wave_id", "student_id"])
        .returning(Message.id)
    ).first()
    row = session.scalars(
        select(Message).where(Message.wave_id == wave.id, Message.student_id == student_id)
    ).first()
    return row, inserted is not None


@dataclass(frozen=True, slots=True)
class Forecast:
    """What planning a wave now would decide: students per channel, and skips by reason."""

    by_channel: Mapping[str, int]
    skipped: Mapping[str, int]

    @property
    def sending(self) -> int:
        return sum(self.by_channel.values())


def forecast_wave(session: Session, wave: Wave, campaign: Campaign, now: datetime) -> Forecast:
    """Planning's decision for every student, counted instead of written (for a launch to
    say what it will do). Later waves will differ by whoever converts meanwhile."""
    rows = _plan_rows(wave, campaign_condition(session, campaign), now).subquery("planned")
    counts = session.execute(
        select(rows.c.channel, rows.c.skip_reason, func.count()).group_by(
            rows.c.channel, rows.c.skip_reason
        )
    ).all()
    return Forecast(
        by_channel={channel: n for channel, reason, n in counts if channel is not None},
        skipped={reason: n for channel, reason, n in counts if reason is not None},
    )


PLANNED_COLUMNS = [
    "wave_id",
    "student_id",
    "status",
    "skip_reason",
    "channel",
    "address",
    "secret",
    "attempts",
    "created_at",
]


def _plan_rows(wave: Wave, audience: ColumnElement[bool], now: datetime) -> Select[Any]:
    """One row per student of ``audience``: a message to send, or a skip and its reason."""
    candidates = channel_candidates(wave.channels)
    joins = []
    usable: list[ColumnElement[bool]] = []
    for channel, address in candidates:
        suppression = aliased(Suppression)
        joins.append(
            (
                suppression,
                and_(
                    suppression.channel == channel.value,
                    suppression.address == suppression_key(channel, address),
                ),
            )
        )
        usable.append(and_(address.is_not(None), suppression.id.is_(None)))

    chosen_channel = case(
        *[(ok, literal(c.value)) for ok, (c, _) in zip(usable, candidates, strict=True)],
        else_=null(),
    )
    chosen_address = case(
        *[(ok, a) for ok, (_, a) in zip(usable, candidates, strict=True)], else_=null()
    )
    any_address = or_(*(a.is_not(None) for _, a in candidates))
    stage = ConversionStage(wave.options.get("goal_stage", ConversionStage.REGISTERED.value))
    converted = converted_condition(stage) if wave.only_unconverted else false()
    required = wave.options.get("requires_stage")
    reached = converted_condition(ConversionStage(required)) if required else true()

    # A commercial campaign needs the student's commercial consent (İYS) as well.
    commercial_ok = (
        Student.commercial_consent == true() if privacy.is_commercial(wave.campaign) else true()
    )
    inner = select(
        Student.id.label("student_id"),
        (Student.contact_consent == true()).label("consent"),
        commercial_ok.label("commercial_ok"),
        converted.label("converted"),
        reached.label("reached"),
        chosen_channel.label("channel"),
        chosen_address.label("address"),
        any_address.label("any_address"),
    ).select_from(Student)
    for suppression, on in joins:
        inner = inner.outerjoin(suppression, on)
    # The audience within the campaign's declared scope, as it is now (at every wave).
    cand = inner.where(audience).subquery("candidate")

    consent = cand.c.consent == true()
    not_converted = cand.c.converted == false()
    reached_stage = cand.c.reached == true()
    commercial = cand.c.commercial_ok == true()
    sendable = and_(consent, commercial, not_converted, reached_stage, cand.c.channel.is_not(None))
    skip_reason = case(
        (~consent, literal(SkipReason.NO_CONSENT.value)),
        (~commercial, literal(SkipReason.NO_COMMERCIAL_CONSENT.value)),
        (~not_converted, literal(SkipReason.CONVERTED.value)),
        (~reached_stage, literal(SkipReason.NOT_YET.value)),
        (cand.c.channel.is_(None) & (cand.c.any_address == true()), SkipReason.SUPPRESSED.value),
        (cand.c.channel.is_(None), literal(SkipReason.UNREACHABLE.value)),
        else_=null(),
    )
    return select(
        literal(wave.id).label("wave_id"),
        cand.c.student_id,
        case(
            (sendable, literal(MessageStatus.PENDING.value)),
            else_=literal(MessageStatus.SKIPPED.value),
        ).label("status"),
        skip_reason.label("skip_reason"),
        case((sendable, cand.c.channel), else_=null()).label("channel"),
        case((sendable, cand.c.address), else_=null()).label("address"),
        case((sendable, random_secret()), else_=null()).label("secret"),
        literal(0).label("attempts"),
        literal(now, Message.created_at.type).label("created_at"),
    ).where(true())


def _summarise(session: Session, wave_id: int) -> PlanResult:
    counts = session.execute(
        select(Message.status, Message.skip_reason, func.count())
        .where(Message.wave_id == wave_id)
        .group_by(Message.status, Message.skip_reason)
    ).all()
    pending = sum(n for status, _, n in counts if status is not MessageStatus.SKIPPED)
    skipped = {reason.value: n for status, reason, n in counts if reason is not None}
    return PlanResult(wave_id, planned=True, pending=pending, skipped=skipped)
