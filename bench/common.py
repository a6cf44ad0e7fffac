"""Shared pieces of the benchmarks: throwaway databases, workers, and result printing."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import psutil
import psycopg
import redis

from campaigns.core.actors import Actor
from campaigns.core.db import Database
from campaigns.core.models import Role
from campaigns.core.settings import Settings
from campaigns.definitions import drafts
from campaigns.definitions.lifecycle import launch

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_ADMIN_URL = os.environ.get(
    "CAMPAIGNS_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("CAMPAIGNS_BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")


@contextmanager
def throwaway_database() -> Iterator[Database]:
    """A new, migrated PostgreSQL database, dropped afterwards."""
    name = f"campaigns_bench_{secrets.token_hex(4)}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = POSTGRES_ADMIN_URL.rpartition("/")[0]
    db = Database(f"{base}/{name}")
    try:
        db.upgrade()
        yield db
    finally:
        db.dispose()
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def fresh_redis() -> redis.Redis:
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    return client


@contextmanager
def celery_worker(
    app: str, env: dict[str, str], concurrency: int = 2, pool: str = "prefork"
) -> Iterator[subprocess.Popen[bytes]]:
    """A real worker process running ``app`` until the block ends (its log in a temp file)."""
    log = tempfile.NamedTemporaryFile(prefix="bench-worker-", suffix=".log", delete=False)  # noqa: SIM115
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            app,
            "worker",
            "--pool",
            pool,
            "--concurrency",
            str(concurrency),
            "--without-mingle",
            "--without-gossip",
            "--without-heartbeat",
            "--loglevel",
            "warning",
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), **env},
        start_new_session=True,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        yield process
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()


def wait_ready(client: redis.Redis, queue: str, timeout: float = 60) -> None:
    """Wait until a worker consumes from ``queue`` (a ping task disappears from it)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if client.llen(queue) == 0:
            return
        time.sleep(0.05)
    raise RuntimeError("worker did not start")


class RssSampler:
    """Peak resident memory of a process tree, sampled in the background by ``poll``."""

    def __init__(self, pid: int) -> None:
        self.root = psutil.Process(pid)
        self.peak_child = 0

    def poll(self) -> None:
        for child in self.root.children(recursive=True):
            try:
                self.peak_child = max(self.peak_child, child.memory_info().rss)
            except psutil.NoSuchProcess:
                continue


def poll_until(
    done: Callable[[], bool],
    every: float,
    also: Callable[[], None] | None = None,
    timeout: float = 600,
) -> float:
    """Seconds until ``done()`` holds, calling ``also`` between checks."""
    start = time.perf_counter()
    while not done():
        if also:
            also()
        if time.perf_counter() - start > timeout:
            raise RuntimeError("timed out")
        time.sleep(every)
    return time.perf_counter() - start


def verdict(ok: bool) -> str:
    return "OK" if ok else "BELOW TARGET"


@contextmanager
def uvicorn_process(
    app: str, env: dict[str, str] | None = None, *, factory: bool = False, port: int | None = None
) -> Iterator[int]:
    """``app`` (``module:attribute``) served by one uvicorn process; yields its port."""
    port = port or free_port()
    log = tempfile.NamedTemporaryFile(prefix="bench-uvicorn-", suffix=".log", delete=False)  # noqa: SIM115
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        app,
        "--port",
        str(port),
        "--no-access-log",
        "--log-level",
        "warning",
        "--loop",
        "uvloop",
        "--http",
        "httptools",
    ]
    if factory:
        command.append("--factory")
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_for_port(port)
        yield port
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
        log.close()


@contextmanager
def simulator_process(*options: str) -> Iterator[str]:
    """The provider simulator in a process of its own; yields its base URL."""
    port = free_port()
    log = tempfile.NamedTemporaryFile(prefix="bench-simulator-", suffix=".log", delete=False)  # noqa: SIM115
    process = subprocess.Popen(
        [sys.executable, "-m", "campaigns", "simulate-providers", "--port", str(port), *options],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_for_port(port)
        yield f"http://127.0.0.1:{port}"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
        log.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port}")


BENCH = Actor("bench", Role.ADMIN)


def launched_wave(db: Database, term: str, channel: str, *, now: datetime) -> int:
    """The id of a due wave on ``channel`` reaching every student of ``term``, created and
    drafted through the product's own use case and started (setup, not measured)."""
    definition = {
        "name": f"bench {term}",
        "send_window": "00:00-24:00",
        "goal_url": "https://mezun.universite.example.edu.tr/kayit",
        "audience": {"graduation_terms": [term]},
        "waves": [
            {
                "name": "wave-1",
                "offset": "0s",
                "channels": [channel],
                "template": "registration_reminder",
            }
        ],
    }
    with db.session() as session:
        campaign = drafts.create(session, BENCH, definition, settings=Settings())
        launch(session, campaign.id, now=now)
        return campaign.waves[0].id
