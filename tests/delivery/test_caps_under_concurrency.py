"""The frequency caps hold under real concurrency: two campaigns send SMS to the same 300
students at the same time, on two Celery workers, in small batches; with a cap of one SMS
a day no student gets two, and every student's second SMS waits for tomorrow."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import func, select

from campaigns.core.db import Database
from campaigns.core.models import ContactCount, Message, MessageStatus, Student, utcnow
from campaigns.core.settings import Settings
from campaigns.governance.caps import Periods
from campaigns.runtime import build_runtime
from simulator.core import SimulatorConfig
from tests.support import factories
from tests.support.stage import Stage, twilio_sms_stage
from tests.support.workers import running_workers

STUDENTS = 300


def phone(i: int) -> str:
    return f"+90533{2_000_000 + 7 * (i + 1):07d}"


def midday_zone() -> str:
    """A time zone where it is about noon now: the test's day does not end while it runs."""
    offset = 12 - utcnow().hour  # -11 … +12
    return "Etc/UTC" if offset == 0 else f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"


@pytest.fixture
def stage(celery_settings: Settings) -> Iterator[Stage]:
    config = SimulatorConfig(callback_delay=0.01, undelivered_rate=0.0, seed=11)
    caps = {"CAMPAIGNS_FREQUENCY_CAPS": "sms=1/day", "CAMPAIGNS_TIMEZONE": midday_zone()}
    # Small batches and several chains per wave: the two campaigns' claims interleave.
    with twilio_sms_stage(
        celery_settings,
        config,
        concurrency=8,
        batch_size=10,
        send_parallelism=4,
        frequency_caps=caps["CAMPAIGNS_FREQUENCY_CAPS"],
        timezone=caps["CAMPAIGNS_TIMEZONE"],
    ) as staged:
        yield Stage(staged.settings, {**staged.env, **caps}, staged.simulator_url)


def test_two_campaigns_on_two_workers_never_take_the_same_last_slot(
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
        for _ in range(2):
            factories.campaign(session, [{"channels": ["sms"]}])
    with pg_db.session() as session:
        # Today's ledger rows exist already (a slot taken and given back earlier): only the
        # rows' locks keep the two campaigns from both counting a student's last slot.
        now = Periods.at(utcnow(), ZoneInfo(settings.timezone))
        session.add_all(
            ContactCount(
                student_id=student_id,
                channel="sms",
                day=now.day,
                day_count=0,
                week=now.week,
                week_count=0,
            )
            for student_id in session.scalars(select(Student.id))
        )
    env = {**stage.env, "CAMPAIGNS_SEND_PARALLELISM": "4"}
    with (
        running_workers(settings, env, tmp_path),
        closing(build_runtime(settings.model_copy(update={"tick_seconds": 1}), env=env)) as beat,
    ):
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            beat.tick()
            with pg_db.session() as session:
                busy = session.scalar(
                    select(func.count()).where(
                        (Message.status == MessageStatus.SENDING)
                        | (
                            (Message.status == MessageStatus.PENDING)
                            & (
                                Message.next_attempt_at.is_(None)
                                | (Message.next_attempt_at <= utcnow())
                            )
                        )
                    )
                )
            if busy == 0:
                break
            time.sleep(1)
        else:
            pytest.fail(f"{busy} messages still due; see {tmp_path}/worker*.log")

    ledger = httpx.get(f"{stage.simulator_url}/_simulator/ledger", timeout=5).json()
    accepted = {entry["recipient"]: entry["count"] for entry in ledger["accepted"]}
    assert set(accepted) == {phone(i) for i in range(STUDENTS)}
    assert set(accepted.values()) == {1}  # nobody got two SMS today
    tomorrow = Periods.at(utcnow(), ZoneInfo(settings.timezone)).day_ends
    with pg_db.session() as session:
        sent_per_student = session.execute(
            select(Message.student_id, func.count())
            .where(Message.sent_at.is_not(None))
            .group_by(Message.student_id)
        ).all()
        waiting = session.execute(
            select(Message.next_attempt_at, func.count())
            .where(Message.status == MessageStatus.PENDING)
            .group_by(Message.next_attempt_at)
        ).all()
        counted = set(session.scalars(select(ContactCount.day_count)))
    assert len(sent_per_student) == STUDENTS
    assert {count for _, count in sent_per_student} == {1}
    # Each student's other SMS waits for tomorrow's first slot; the ledger says one each.
    assert waiting == [(tomorrow, STUDENTS)]
    assert counted == {1}
