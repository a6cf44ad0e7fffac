"""The pipeline on real Celery workers, PostgreSQL and Redis (not eager mode)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from celery.contrib.testing.worker import start_worker
from sqlalchemy import func, select

import worker
from campaigns.core.db import Database
from campaigns.core.models import (
    CampaignStatus,
    Conversion,
    ConversionStage,
    Message,
    MessageStatus,
    WaveStatus,
    utcnow,
)
from campaigns.core.settings import Settings
from campaigns.runtime import Runtime, build_runtime
from channels.base import Channel
from tests.support import factories
from tests.support.adapters import RecordingAdapter


@pytest.fixture
def adapter() -> RecordingAdapter:
    return RecordingAdapter()


@pytest.fixture
def runtime(celery_settings: Settings, adapter: RecordingAdapter) -> Iterator[Runtime]:
    rt = build_runtime(celery_settings, dict.fromkeys(Channel, adapter))
    worker.configure(celery_settings, runtime=rt)
    with start_worker(worker.app, pool="solo", perform_ping_check=False):
        yield rt
    worker.configure()


def wait_until_sent(db: Database, runtime: Runtime, expected: int, timeout: float = 30) -> None:
    """Tick like beat would until ``expected`` messages have left; fail if they never do."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        runtime.tick()
        with db.session() as session:
            done = session.scalar(select(func.count()).where(Message.status == MessageStatus.SENT))
        if done == expected:
            return
        time.sleep(0.2)
    pytest.fail(f"only {done} of {expected} messages were sent")


def test_waves_are_planned_and_sent_by_workers(
    pg_db: Database, runtime: Runtime, adapter: RecordingAdapter
) -> None:
    now = utcnow()
    with pg_db.session() as session:
        session.add_all([factories.student() for _ in range(1200)])
        campaign = factories.campaign(session, [{"channels": ["email"]}], now=now)
        campaign_id = campaign.id

    wait_until_sent(pg_db, runtime, 1200)

    # Every student got exactly one message (batches of 500 over several task chains).
    assert len(adapter.sent) == 1200
    assert len({m.id for m in adapter.sent}) == 1200
    runtime.tick()
    with pg_db.session() as session:
        campaign = session.get(type(campaign), campaign_id)
        assert campaign is not None
        assert campaign.waves[0].status is WaveStatus.DONE
        assert campaign.status is CampaignStatus.COMPLETED


def test_a_later_wave_skips_students_who_converted(
    pg_db: Database, runtime: Runtime, adapter: RecordingAdapter
) -> None:
    now = utcnow()
    with pg_db.session() as session:
        students = [factories.student() for _ in range(10)]
        session.add_all(students)
        campaign = factories.campaign(
            session,
            [{"channels": ["email"]}, {"channels": ["sms"], "start_at": now}],
            now=now,
        )
        second = campaign.waves[1]
        # The second wave is not due until the first is out.
        second.start_at = now.replace(year=now.year + 1)
        second_id = second.id

    wait_until_sent(pg_db, runtime, 10)
    with pg_db.session() as session:
        for s in students[:4]:
            session.add(
                Conversion(
                    student_no=s.student_no,
                    student_id=s.id,
                    stage=ConversionStage.REGISTERED,
                    occurred_at=utcnow(),
                    source="test",
                )
            )
        wave = session.get(type(second), second_id)
        assert wave is not None
        wave.start_at = utcnow()

    wait_until_sent(pg_db, runtime, 16)
    sms = [m for m in adapter.sent if m.channel is Channel.SMS]
    assert len(sms) == 6
    with pg_db.session() as session:
        skipped = session.scalar(
            select(func.count()).where(
                Message.wave_id == second_id, Message.status == MessageStatus.SKIPPED
            )
        )
    assert skipped == 4
