"""A worker killed between claim and result never causes a message to be sent twice."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from campaigns.core.db import Database
from campaigns.core.models import Message, MessageStatus, utcnow
from campaigns.core.settings import Settings
from campaigns.runtime import build_runtime
from channels.base import Channel
from tests.support import factories
from tests.support.blocking_adapter import BlockingAdapter
from tests.support.workers import spawn_worker


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}")


@pytest.fixture
def worker_env(celery_settings: Settings, tmp_path: Path) -> dict[str, str]:
    return {
        "CAMPAIGNS_DATABASE_URL": celery_settings.database_url,
        "CAMPAIGNS_BROKER_URL": celery_settings.broker_url or "",
        "CAMPAIGNS_QUEUE": celery_settings.queue,
        "CAMPAIGNS_EMAIL_ADAPTER": "tests.support.blocking_adapter:BlockingAdapter",
        "CAMPAIGNS_BATCH_SIZE": "10",
        "CAMPAIGNS_SEND_PARALLELISM": "1",
        "BLOCKING_ADAPTER_DIR": str(tmp_path),
    }


@pytest.fixture
def start_worker(
    worker_env: dict[str, str], tmp_path: Path
) -> Iterator[Callable[[], subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []

    def start() -> subprocess.Popen[bytes]:
        process = spawn_worker(worker_env, tmp_path)
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)


def test_killed_worker_does_not_double_send(
    pg_db: Database,
    celery_settings: Settings,
    start_worker: Callable[[], subprocess.Popen[bytes]],
    tmp_path: Path,
) -> None:
    with pg_db.session() as session:
        session.add_all([factories.student() for _ in range(30)])
        factories.campaign(session, [{"channels": ["email"]}])
    provider = BlockingAdapter(tmp_path)
    settings = celery_settings.model_copy(
        update={"batch_size": 10, "send_parallelism": 1, "sending_lease_seconds": 2}
    )
    scheduler = build_runtime(settings, {Channel.EMAIL: provider})

    (tmp_path / "block").touch()
    first = start_worker()
    scheduler.tick()
    wait_for(lambda: (tmp_path / "blocked").exists(), "the first batch to reach the provider")
    assert len(provider.received()) == 10
    os.killpg(first.pid, signal.SIGKILL)
    first.wait(timeout=30)
    (tmp_path / "block").unlink()

    start_worker()

    def settled() -> bool:
        scheduler.tick()
        with pg_db.session() as session:
            open_rows = session.scalars(
                select(Message.id).where(
                    Message.status.in_([MessageStatus.PENDING, MessageStatus.SENDING])
                )
            ).all()
        return not open_rows

    wait_for(settled, "every message to be sent or set aside")

    received = Counter(provider.received())
    assert len(received) == 30, "every student's message reached the provider"
    assert max(received.values()) == 1, "no message reached the provider twice"
    with pg_db.session() as session:
        rows = session.execute(select(Message.id, Message.status)).all()
    by_status = Counter(status.value for _, status in rows)
    assert by_status == {"sent": 20, "unknown": 10}
    # The lost batch is exactly the one the killed worker handed over, set aside for a person.
    first_batch = set(list(provider.received())[:10])
    assert {i for i, s in rows if s is MessageStatus.UNKNOWN} == first_batch
    assert utcnow()  # the clock is real: leases expired on their own
