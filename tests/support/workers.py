"""Real Celery worker processes for tests that kill or outlive them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from campaigns.core.settings import Settings
from tests.support.paths import ROOT


def spawn_worker(
    env: dict[str, str],
    cwd: Path,
    *,
    hostname: str | None = None,
    output: IO[bytes] | None = None,
) -> subprocess.Popen[bytes]:
    """One prefork worker with one child, in a process group of its own (so a test can kill
    the whole group), importing the project from the repository."""
    command = [sys.executable, "-m", "celery", "-A", "worker", "worker"]
    command += ["--pool", "prefork", "--concurrency", "1"]
    if hostname is not None:
        command += ["--hostname", hostname]
    command += ["--without-mingle", "--without-gossip", "--without-heartbeat"]
    command += ["--loglevel", "warning"]
    return subprocess.Popen(
        command,
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT), **env},
        stdout=output,
        stderr=subprocess.STDOUT if output is not None else None,
        start_new_session=True,
    )


def start_campaign_worker(
    settings: Settings, env: dict[str, str], name: str, log: Path
) -> subprocess.Popen[bytes]:
    """A worker configured like ``settings`` (plus provider ``env``), logging to ``log``."""
    variables = {
        **env,
        "CAMPAIGNS_DATABASE_URL": settings.database_url,
        "CAMPAIGNS_BROKER_URL": settings.broker_url or "",
        "CAMPAIGNS_QUEUE": settings.queue,
        "CAMPAIGNS_PUBLIC_URL": settings.public_url,
        "CAMPAIGNS_SMS_ADAPTER": settings.sms_adapter,
        "CAMPAIGNS_EMAIL_ADAPTER": settings.email_adapter,
        "CAMPAIGNS_BATCH_SIZE": str(settings.batch_size),
        "CAMPAIGNS_MAX_ATTEMPTS": str(settings.max_attempts),
        "CAMPAIGNS_RETRY_BASE_SECONDS": str(settings.retry_base_seconds),
        "CAMPAIGNS_RETRY_MAX_SECONDS": str(settings.retry_max_seconds),
        "CAMPAIGNS_TICK_SECONDS": str(settings.tick_seconds),
    }
    with log.open("wb") as output:
        return spawn_worker(variables, log.parent, hostname=f"{name}@%h", output=output)


@contextmanager
def running_workers(
    settings: Settings, env: dict[str, str], logs: Path, count: int = 2
) -> Iterator[list[subprocess.Popen[bytes]]]:
    """``count`` workers logging to ``logs/worker<N>.log``, stopped (and waited for) on exit."""
    workers = [
        start_campaign_worker(settings, env, f"w{i}", logs / f"worker{i}.log")
        for i in range(1, count + 1)
    ]
    try:
        yield workers
    finally:
        for worker in workers:
            os.killpg(worker.pid, signal.SIGTERM)
        for worker in workers:
            worker.wait(timeout=30)
