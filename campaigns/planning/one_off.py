"""A one-off reminder: an advisor sends one student the message of a wave they choose,
now. It goes through the pipeline like any message (one row, the same checks of consent,
suppression and reach, the same sending, tracking and report), in a wave of its own per
source wave and day, so a second click the same day sends nothing twice."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from campaigns.access import scopes
from campaigns.core import audit
from campaigns.core.actors import Actor
from campaigns.core.db import on_commit
from campaigns.core.errors import NotFoundError, StateError
from campaigns.core.models import (
    Campaign,
    CampaignStatus,
    Message,
    MessageStatus,
    SkipReason,
    Wave,
    WaveStatus,
)
from campaigns.core.settings import Settings
from campaigns.delivery.preview import wave_named
from campaigns.planning.launching import wake_scheduler
from campaigns.planning.plan_wave import plan_student

ONE_OFF_MARK = "bireysel"
MESSAGE_ONE_OFF = "message.one_off"
REOPENED = (CampaignStatus.ACTIVE, CampaignStatus.COMPLETED)


@dataclass(frozen=True, slots=True)
class Choice:
    campaign_id: int
    campaign_name: str
    wave: str


@dataclass(frozen=True, slots=True)
class Reminder:
    message: Message
    created: bool
    """False when this student already had this reminder today: nothing new is sent."""

    @property
    def skipped(self) -> SkipReason | None:
        return self.message.skip_reason if self.message.status is MessageStatus.SKIPPED else None


def is_one_off(wave: Wave) -> bool:
    return ONE_OFF_MARK in wave.options


def choices(session: Session, actor: Actor, student_no: str) -> list[Choice]:
    """The waves ``actor`` may remind the student with: those of campaigns that reached
    the student, within the actor's scope, still active or completed."""
    student = scopes.get_student(session, actor, student_no)
    rows = session.execute(
        select(Campaign.id, Campaign.name, Wave.name, Wave.options)
        .join(Wave, Wave.campaign_id == Campaign.id)
        .where(
            scopes.campaign_condition(session, actor),
            Campaign.status.in_(REOPENED),
            Campaign.id.in_(
                select(Wave.campaign_id)
                .join(Message, Message.wave_id == Wave.id)
                .where(Message.student_id == student.id)
            ),
        )
        .order_by(Campaign.id, Wave.position)
    )
    return [Choice(c, name, wave) for c, name, wave, options in rows if ONE_OFF_MARK not in options]


def remind(
    session: Session,
    settings: Settings,
    actor: Actor,
    *,
    student_no: str,
    campaign_id: int,
    wave_name: str,
    now: datetime,
) -> Reminder:
    """Plan the reminder (sent by the scheduler's next pass, which is woken after commit)."""
    if actor.scope is None:
        raise NotFoundError("öğrenci bulunamadı / student not found")
    student = scopes.get_student(session, actor, student_no)
    campaign = scopes.get_campaign(session, actor, campaign_id)
    source = wave_named(campaign, wave_name)
    if campaign.status not in REOPENED or is_one_off(source):
        raise StateError(
            "bu kampanyadan hatırlatma gönderilemez (taslak, duraklatılmış ya da iptal) / "
            "this campaign cannot send a reminder (a draft, paused or cancelled)"
        )
    wave = _one_off_wave(session, campaign, source, now)
    message, created = plan_student(session, wave, student.id, now)
    if message is None:
        raise NotFoundError(
            "öğrenci bu kampanyanın kitlesinde değil / the student is not in this campaign's "
            "audience"
        )
    if created and message.status is MessageStatus.PENDING:
        wave.status = WaveStatus.SENDING
        wave.finished_at = None
        if campaign.status is CampaignStatus.COMPLETED:
            campaign.status, campaign.finished_at = CampaignStatus.ACTIVE, None
        on_commit(session, lambda: wake_scheduler(settings))
    audit.record(
        session,
        actor.name,
        MESSAGE_ONE_OFF,
        f"student:{student.student_no}",
        {"campaign": campaign.id, "wave": source.name, "new": created},
    )
    session.flush()
    return Reminder(message, created)


def _one_off_wave(session: Session, campaign: Campaign, source: Wave, now: datetime) -> Wave:
    """The campaign's wave for reminders with ``source``'s message on ``now``'s local day."""
    day = now.astimezone(ZoneInfo(campaign.timezone)).date().isoformat()
    name = f"{source.name[:70]} · {ONE_OFF_MARK} {day}"
    query = select(Wave).where(Wave.campaign_id == campaign.id, Wave.name == name)
    found = session.scalars(query.with_for_update()).first()
    if found is not None:
        return found
    position = session.scalar(
        select(func.max(Wave.position)).where(Wave.campaign_id == campaign.id)
    )
    wave = Wave(
        campaign_id=campaign.id,
        position=(position or 0) + 1,
        name=name,
        start_at=now,
        offset_seconds=None,
        channels=list(source.channels),
        template=source.template,
        only_unconverted=source.only_unconverted,
        options={**source.options, ONE_OFF_MARK: source.name},
        status=WaveStatus.SENDING,
        planned_at=now,
    )
    try:
        with session.begin_nested():
            session.add(wave)
    except IntegrityError:  # another request made it first: use theirs
        return session.scalars(query).one()
    return wave
