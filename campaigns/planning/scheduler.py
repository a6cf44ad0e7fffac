"""The periodic tick: plan waves that are due, recover lost claims, start sending, finish.

Long delays are never broker countdowns (on Redis they re-run after the visibility timeout):
due times live in the database and this tick, run every ``tick_seconds`` by Celery beat or
by ``campaigns run``, turns them into work.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import exists, not_, or_, select, update
from sqlalchemy.orm import Session

from campaigns.core.db import Database
from campaigns.core.dispatch import Dispatcher
from campaigns.core.models import (
    Campaign,
    CampaignStatus,
    Message,
    MessageStatus,
    Wave,
    WaveStatus,
    open_messages,
    utcnow,
)
from campaigns.core.settings import Settings
from campaigns.definitions.send_window import SendWindow
from campaigns.delivery import routing
from campaigns.delivery.adapter_pool import AdapterPool
from campaigns.delivery.costs import refresh_costs
from campaigns.delivery.recovery import RecoveryReport, recover_stale
from campaigns.governance.calendar import AcademicCalendar, due_abroad
from campaigns.governance.caps import FrequencyCaps
from campaigns.planning.heartbeats import SCHEDULER, beat
from campaigns.planning.plan_wave import PlanResult, plan_wave
from campaigns.tracking.digest import send_digests
from campaigns.tracking.polling import PollReport, poll_providers

log = logging.getLogger(__name__)


@dataclass(slots=True)
class TickReport:
    planned: list[PlanResult] = field(default_factory=list)
    recovered: RecoveryReport = field(default_factory=RecoveryReport)
    started: list[int] = field(default_factory=list)
    finished_waves: list[int] = field(default_factory=list)
    finished_campaigns: list[int] = field(default_factory=list)
    priced: int = 0
    polled: PollReport = field(default_factory=PollReport)
    rebalanced: int = 0
    digests: int = 0


def tick(
    db: Database,
    settings: Settings,
    adapters: AdapterPool,
    dispatcher: Dispatcher,
    *,
    now: datetime | None = None,
) -> TickReport:
    """One pass of the scheduler. Safe to run concurrently and repeatedly."""
    now = now or utcnow()
    report = TickReport()
    with db.session() as session:
        due = session.scalars(
            select(Wave.id)
            .join(Campaign)
            .where(
                Campaign.status == CampaignStatus.ACTIVE,
                Wave.status == WaveStatus.WAITING,
                Wave.start_at <= now,
            )
            .order_by(Wave.start_at, Wave.id)
        ).all()
    for wave_id in due:
        result = db.run(functools.partial(plan_wave, wave_id=wave_id, now=now))
        if result.planned:
            log.info(
                "planned wave %s: %d to send, skipped %s",
                wave_id,
                result.pending,
                dict(result.skipped),
            )
            report.planned.append(result)

    report.recovered = db.run(
        lambda session: recover_stale(
            session,
            adapters,
            lease_seconds=settings.sending_lease_seconds,
            now=now,
            caps=FrequencyCaps.of(settings),
        )
    )
    report.priced = refresh_costs(db, adapters, settings, now=now)
    report.polled = poll_providers(db, adapters, now=now)
    changes = db.run(lambda session: routing.rebalance(session, settings, now))
    for change in changes:
        log.info(
            "%s %s share %d -> %d: %s",
            change.channel,
            change.provider,
            change.weight_before,
            change.weight_after,
            change.reason,
        )
    report.rebalanced = len(changes)
    report.digests = send_digests(db, adapters, settings, now)

    for wave_id in _waves_to_start(db, settings, now):
        dispatcher.send_wave(wave_id)
        report.started.append(wave_id)

    report.finished_waves, report.finished_campaigns = db.run(lambda session: _finish(session, now))
    db.run(lambda session: beat(session, SCHEDULER, now, {"planned": len(report.planned)}))
    return report


def _waves_to_start(db: Database, settings: Settings, now: datetime) -> list[int]:
    """Active waves with due messages, inside their send window on an open day (the
    academic calendar; or with due messages to students in a time zone of their own), and
    no send chain working on them in the last two ticks (chains continue by themselves
    while work remains)."""
    due_message = exists().where(
        Message.wave_id == Wave.id,
        Message.status == MessageStatus.PENDING,
        or_(Message.next_attempt_at.is_(None), Message.next_attempt_at <= now),
    )
    recent = now - timedelta(seconds=2 * settings.tick_seconds)
    # A chain is working while it holds claims; a retry waiting in ``pending`` (claimed
    # before) is not a chain, and must not keep the wave from starting when it is due.
    recently_claimed = exists().where(
        Message.wave_id == Wave.id,
        Message.status == MessageStatus.SENDING,
        Message.next_attempt_at.is_(None),  # not a row waiting to be reconciled
        Message.claimed_at > recent,
    )
    with db.session() as session:
        rows = session.execute(
            select(Wave.id, Campaign)
            .join(Campaign)
            .where(
                Campaign.status == CampaignStatus.ACTIVE,
                Wave.status == WaveStatus.SENDING,
                due_message,
                not_(recently_claimed),
            )
            .order_by(Wave.id)
        ).all()
        calendar = AcademicCalendar.load(session, settings, now.date())
        closed = {
            wave_id
            for wave_id, campaign in rows
            if not calendar.is_open(
                now, SendWindow.of(campaign), campaign.timezone, campaign.scope_faculty
            )
        }
        # Closed for the campaign, maybe not for its students abroad: asked only then.
        abroad = (
            set(
                session.scalars(
                    select(Wave.id).where(Wave.id.in_(sorted(closed)), due_abroad(Wave.id, now))
                )
            )
            if closed
            else set()
        )
    return [wave_id for wave_id, _ in rows if wave_id not in closed or wave_id in abroad]


def _finish(session: Session, now: datetime) -> tuple[list[int], list[int]]:
    """Waves with nothing left to send are done; campaigns whose waves are all done too."""
    waves = session.scalars(
        update(Wave)
        .where(Wave.status == WaveStatus.SENDING, not_(open_messages(Wave.id)))
        .values(status=WaveStatus.DONE, finished_at=now)
        .returning(Wave.id)
        .execution_options(synchronize_session=False)
    ).all()
    unfinished_wave = exists().where(
        Wave.campaign_id == Campaign.id,
        Wave.status.in_([WaveStatus.WAITING, WaveStatus.SENDING]),
    )
    campaigns = session.scalars(
        update(Campaign)
        .where(Campaign.status == CampaignStatus.ACTIVE, not_(unfinished_wave))
        .values(status=CampaignStatus.COMPLETED, finished_at=now)
        .returning(Campaign.id)
        .execution_options(synchronize_session=False)
    ).all()
    return list(waves), list(campaigns)
