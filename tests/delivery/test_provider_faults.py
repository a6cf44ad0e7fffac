"""With a fifth of provider calls failing (half 5xx, half 429), a 2,000-student wave on two
real workers ends with every message sent exactly once and none lost."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from campaigns.core.db import Database
from campaigns.core.models import Message, MessageStatus
from campaigns.core.settings import Settings
from campaigns.runtime import build_runtime
from simulator.core import SimulatorConfig
from tests.support import factories
from tests.support.stage import Stage, twilio_sms_stage
from tests.support.workers import running_workers

STUDENTS = 2000


def phone(i: int) -> str:
    # Distinct mobiles, none ending in 0000 (the simulator's "replied STOP" number).
    return f"+90532{1_000_000 + 7 * (i + 1):07d}"


@pytest.fixture
def stage(celery_settings: Settings) -> Iterator[Stage]:
    config = SimulatorConfig(error_rate=0.10, rate_limit_rate=0.10, callback_delay=0.01, seed=7)
    faults = {"max_attempts": 50, "retry_base_seconds": 0.2, "retry_max_seconds": 1.0}
    with twilio_sms_stage(celery_settings, config, concurrency=16, **faults) as staged:
        yield staged


def test_every_message_is_sent_exactly_once_under_provider_faults(
    pg_db: Database, stage: Stage, tmp_path: Path
) -> None:
    settings = stage.settings
    with pg_db.session() as session:
        session.add_all(
            [
                factories.student(phone=phone(i), personal_email=None, email=None)
                for i in range(STUDENTS)
            ]
        )
        factories.campaign(session, [{"channels": ["sms"]}])
    with (
        running_workers(settings, stage.env, tmp_path),
        closing(
            build_runtime(settings.model_copy(update={"tick_seconds": 1}), env=stage.env)
        ) as scheduler,
    ):
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            scheduler.tick()  # what beat does, every second here
            with pg_db.session() as session:
                open_rows = session.scalar(
                    select(func.count()).where(
                        Message.status.in_([MessageStatus.PENDING, MessageStatus.SENDING])
                    )
                )
            if open_rows == 0:
                break
            time.sleep(1)
        else:
            pytest.fail(f"{open_rows} messages still open; see {tmp_path}/worker*.log")

    # Delivery callbacks are still arriving at the app: wait for them to reach the messages.
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        with pg_db.session() as session:
            reported = session.scalar(
                select(func.count()).where(
                    Message.status.in_([MessageStatus.DELIVERED, MessageStatus.FAILED])
                )
            )
        if reported == STUDENTS:
            break
        time.sleep(0.5)

    ledger = httpx.get(f"{stage.simulator_url}/_simulator/ledger").json()
    accepted = {entry["recipient"]: entry["count"] for entry in ledger["accepted"]}
    # The faults happened...
    assert ledger["answers"]["error"] > STUDENTS * 0.05
    assert ledger["answers"]["rate_limited"] > STUDENTS * 0.05
    # ...and still every student's message reached the provider exactly once.
    assert len(accepted) == STUDENTS
    assert set(accepted.values()) == {1}
    assert set(accepted) == {phone(i) for i in range(STUDENTS)}
    with pg_db.session() as session:
        statuses = {
            row.status: row.count
            for row in session.execute(
                select(Message.status, func.count().label("count")).group_by(Message.status)
            )
        }
        sent = session.scalar(select(func.count()).where(Message.sent_at.is_not(None)))
    assert sent == STUDENTS
    # Every message's final status came back through the signed status callbacks; failed
    # here only means "undelivered" reported after the provider accepted it.
    assert set(statuses) <= {MessageStatus.DELIVERED, MessageStatus.FAILED}
    assert statuses[MessageStatus.DELIVERED] > STUDENTS * 0.8
