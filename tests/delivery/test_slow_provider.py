"""A late answer never becomes a second message, and retries start when they are due."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest
from celery.contrib.testing.worker import start_worker
from sqlalchemy import func, select

import worker
from campaigns.core.db import Database
from campaigns.core.models import Message, MessageStatus, utcnow
from campaigns.core.settings import Settings
from campaigns.runtime import Runtime, build_runtime
from channels.base import Channel, OutboundMessage, RateLimitedError
from simulator.core import SimulatorConfig
from simulator.server import simulator_in_background
from tests.support import factories
from tests.support.adapters import RecordingAdapter
from tests.support.stage import twilio_env

STUDENTS = 60


def finished(db: Database, expected: int) -> bool:
    """Every planned message has left pending and sending."""
    with db.session() as session:
        rows = dict(
            session.execute(select(Message.status, func.count()).group_by(Message.status)).all()
        )
    still = rows.get(MessageStatus.PENDING, 0) + rows.get(MessageStatus.SENDING, 0)
    return sum(rows.values()) == expected and still == 0


def test_timed_out_requests_are_reconciled_never_sent_twice(
    db: Database, settings: Settings
) -> None:
    # A third of the requests are taken by the provider, which answers too late. The client
    # waits 0.6 s: long enough that the reconciliation's own listing is answered on a busy
    # machine (at 0.3 s it once was not, and a message was left to a person).
    config = SimulatorConfig(callbacks=False, timeout_rate=0.3, timeout_seconds=1.5, seed=5)
    with simulator_in_background(config) as simulator:
        env = twilio_env(simulator.url, config, TWILIO_TIMEOUT="0.6")
        slow = settings.model_copy(
            update={"sms_adapter": "twilio-sms", "reconcile_after_seconds": 0.5, "batch_size": 20}
        )
        with db.session() as session:
            session.add_all(
                [
                    factories.student(phone=f"+90532{4_000_001 + i:07d}", personal_email=None)
                    for i in range(STUDENTS)
                ]
            )
            factories.campaign(session, [{"channels": ["sms"]}])
        with build_runtime(slow, env=env) as runtime:
            deadline = time.monotonic() + 60
            while not finished(db, STUDENTS) and time.monotonic() < deadline:
                runtime.tick()
                time.sleep(0.2)
        ledger = httpx.get(f"{simulator.url}/_simulator/ledger").json()
    assert finished(db, STUDENTS)
    assert ledger["answers"].get("timeout", 0) > 5, ledger  # the slow answers happened...
    counts = [entry["count"] for entry in ledger["accepted"]]
    # ...and still every student got exactly one message.
    assert len(counts) == STUDENTS
    assert set(counts) == {1}
    with db.session() as session:
        statuses = set(session.scalars(select(Message.status)))
        ids = session.scalar(select(func.count()).where(Message.provider_message_id.is_not(None)))
    assert statuses == {MessageStatus.SENT}
    assert ids == STUDENTS


class FirstTimeRateLimited(RecordingAdapter):
    """Refuses each message once with "try again in a second"."""

    def __init__(self) -> None:
        self.seen: set[int] = set()
        super().__init__(self._answer)

    def _answer(self, message: OutboundMessage) -> RateLimitedError | None:
        if message.id in self.seen:
            return None
        self.seen.add(message.id)
        return RateLimitedError("slow down", code="429", retry_after=1.0)


@pytest.fixture
def limited_runtime(celery_settings: Settings) -> Iterator[tuple[Runtime, FirstTimeRateLimited]]:
    adapter = FirstTimeRateLimited()
    # No periodic tick during the test: only the send chain itself can start the retries.
    quiet = celery_settings.model_copy(update={"tick_seconds": 3600, "batch_size": 50})
    rt = build_runtime(quiet, dict.fromkeys(Channel, adapter))
    worker.configure(quiet, runtime=rt)
    with start_worker(worker.app, pool="solo", perform_ping_check=False):
        yield rt, adapter
    worker.configure()


@pytest.mark.parametrize("students", [50, 30], ids=["full-batch", "partial-batch"])
def test_retries_start_when_due_without_waiting_for_a_tick(
    pg_db: Database, limited_runtime: tuple[Runtime, FirstTimeRateLimited], students: int
) -> None:
    runtime, adapter = limited_runtime
    with pg_db.session() as session:
        session.add_all([factories.student() for _ in range(students)])
        factories.campaign(session, [{"channels": ["email"]}], now=utcnow())
    runtime.tick()  # plans the wave and starts its send chain; never called again
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with pg_db.session() as session:
            sent = session.scalar(select(func.count()).where(Message.status == MessageStatus.SENT))
        if sent == students:
            break
        time.sleep(0.1)
    assert sent == students
    assert len(adapter.sent) == students
