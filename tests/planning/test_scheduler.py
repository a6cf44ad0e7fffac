"""The scheduler's tick: plan what is due, start sending inside the window, finish what is
done, and say that it ran."""

from __future__ import annotations

from datetime import time, timedelta

from sqlalchemy import select

from campaigns.core.db import Database
from campaigns.core.models import (
    Campaign,
    CampaignStatus,
    Message,
    MessageStatus,
    Wave,
    WaveStatus,
    utcnow,
)
from campaigns.core.settings import Settings
from campaigns.delivery.adapter_pool import AdapterPool
from campaigns.planning.heartbeats import SCHEDULER, last_beat
from campaigns.planning.scheduler import tick
from tests.support import factories


class Recorder:
    """A dispatcher that only remembers which waves it was asked to send."""

    def __init__(self) -> None:
        self.waves: list[int] = []

    def send_wave(self, wave_id: int) -> None:
        self.waves.append(wave_id)


def statuses(db: Database) -> tuple[list[WaveStatus], CampaignStatus]:
    with db.session() as session:
        waves = list(session.scalars(select(Wave.status).order_by(Wave.position)))
        return waves, session.scalars(select(Campaign.status)).one()


def test_a_due_wave_is_planned_and_started_a_later_one_waits(
    db: Database, settings: Settings
) -> None:
    now = utcnow()
    with db.session() as session:
        session.add_all([factories.student() for _ in range(2)])
        campaign = factories.campaign(session, [{}, {"start_at": now + timedelta(days=3)}], now=now)
        first = campaign.waves[0].id
    dispatcher = Recorder()
    report = tick(db, settings, AdapterPool(settings), dispatcher, now=now)

    assert [(p.wave_id, p.pending) for p in report.planned] == [(first, 2)]
    assert report.started == dispatcher.waves == [first]
    assert statuses(db) == ([WaveStatus.SENDING, WaveStatus.WAITING], CampaignStatus.ACTIVE)
    with db.session() as session:
        assert last_beat(session, SCHEDULER) == now

    # No chain claimed anything (the task was lost): the next tick starts the wave again.
    again = tick(db, settings, AdapterPool(settings), dispatcher, now=now)
    assert (again.planned, again.started) == ([], [first])
    # A chain working on it (holding fresh claims) is left alone.
    with db.session() as session:
        claimed = session.scalars(select(Message).order_by(Message.id)).first()
        assert claimed is not None
        claimed.status, claimed.claimed_at = MessageStatus.SENDING, now
    busy = tick(db, settings, AdapterPool(settings), dispatcher, now=now)
    assert busy.started == []


def test_outside_the_send_window_nothing_starts(db: Database, settings: Settings) -> None:
    now = utcnow()
    closed = ((now + timedelta(hours=2)).time(), (now + timedelta(hours=3)).time())
    with db.session() as session:
        session.add(factories.student())
        factories.campaign(session, [{}], window=closed, timezone="UTC", now=now)
    report = tick(db, settings, AdapterPool(settings), Recorder(), now=now)
    assert len(report.planned) == 1
    assert report.started == []


def test_done_waves_and_campaigns_are_finished(db: Database, settings: Settings) -> None:
    now = utcnow()
    with db.session() as session:
        session.add_all([factories.student(), factories.student()])
        factories.campaign(session, [{}], window=(time(0), time(0)), now=now)
    tick(db, settings, AdapterPool(settings), Recorder(), now=now)

    def set_statuses(*values: MessageStatus) -> None:
        with db.session() as session:
            rows = session.scalars(select(Message).order_by(Message.id)).all()
            for message, status in zip(rows, values, strict=True):
                message.status = status

    # A message still waiting or still with a worker keeps its wave open.
    for unfinished in (MessageStatus.PENDING, MessageStatus.SENDING):
        set_statuses(MessageStatus.SENT, unfinished)
        later = tick(db, settings, AdapterPool(settings), Recorder(), now=now)
        assert later.finished_waves == []
    set_statuses(MessageStatus.SENT, MessageStatus.FAILED)
    report = tick(db, settings, AdapterPool(settings), Recorder(), now=now + timedelta(minutes=1))
    assert (len(report.finished_waves), len(report.finished_campaigns)) == (1, 1)
    assert statuses(db) == ([WaveStatus.DONE], CampaignStatus.COMPLETED)


def test_a_paused_campaign_is_neither_planned_nor_started(db: Database, settings: Settings) -> None:
    now = utcnow()
    with db.session() as session:
        session.add(factories.student())
        factories.campaign(session, [{}], status=CampaignStatus.PAUSED, now=now)
    report = tick(db, settings, AdapterPool(settings), Recorder(), now=now)
    assert (report.planned, report.started) == ([], [])
    assert statuses(db) == ([WaveStatus.WAITING], CampaignStatus.PAUSED)
