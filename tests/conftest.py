"""Shared fixtures: real PostgreSQL and SQLite databases, settings pointing at them.

The suite talks to the local PostgreSQL and Redis over real connections (and to a Dovecot of
its own for IMAP). When one is missing,
tests that need it fail under CI (``CI=true``) and are skipped on a developer machine.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import text

from campaigns.core.db import Database
from campaigns.core.models import Base
from campaigns.core.settings import Settings, get_settings
from tests.support.imap_server import DOVECOT, Dovecot, dovecot
from tests.support.smtp_server import Inbox, smtp_server

POSTGRES_ADMIN_URL = os.environ.get(
    "CAMPAIGNS_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("CAMPAIGNS_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
# Tests must not depend on the day they run on: no public holidays unless a test sets them
# (subprocesses, workers and every Settings read this too).
os.environ["CAMPAIGNS_HOLIDAYS"] = ""
# One queue per test session (Celery caches its queue declarations per app), emptied per test.
TEST_QUEUE = f"campaigns-test-{secrets.token_hex(4)}"


def service_missing(what: str, exc: BaseException) -> None:
    """Fail under CI, skip elsewhere: CI must never pass by skipping what it cannot reach."""
    message = f"{what} is not reachable: {exc}"
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[Database]:
    """A throwaway PostgreSQL database, migrated, dropped at the end of the session."""
    name = f"campaigns_test_{secrets.token_hex(4)}"
    try:
        admin = psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        service_missing("PostgreSQL", exc)
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base, _, _ = POSTGRES_ADMIN_URL.rpartition("/")
    db = Database(f"{base}/{name}")
    db.upgrade()
    yield db
    db.dispose()
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _truncate(db: Database) -> None:
    tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
    with db.engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture
def pg_db(postgres_database: Database) -> Iterator[Database]:
    """The session's PostgreSQL database, emptied after each test."""
    yield postgres_database
    _truncate(postgres_database)


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Database]:
    db = Database(f"sqlite:///{tmp_path / 'campaigns.core.db'}")
    db.upgrade()
    yield db
    db.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest) -> Database:
    """Each test using it runs on both backends."""
    fixture = "sqlite_db" if request.param == "sqlite" else "pg_db"
    database: Database = request.getfixturevalue(fixture)
    return database


@pytest.fixture
def settings(db: Database, tmp_path: Path) -> Settings:
    return Settings(
        database_url=db.url,
        outbox_dir=tmp_path / "outbox",
        public_url="https://kampanya.example.edu.tr",
        _env_file=None,  # type: ignore[call-arg]
    )


@pytest.fixture
def pg_settings(pg_db: Database, tmp_path: Path) -> Settings:
    """Settings on PostgreSQL only, for tests of what SQLite cannot show (concurrency)."""
    return Settings(
        database_url=pg_db.url,
        outbox_dir=tmp_path / "outbox",
        public_url="https://kampanya.example.edu.tr",
        _env_file=None,  # type: ignore[call-arg]
    )


@pytest.fixture
def cli_env(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[Settings]:
    """Environment for CLI tests: the CLI reads the same database as the test."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CAMPAIGNS_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("CAMPAIGNS_OUTBOX_DIR", str(settings.outbox_dir))
    monkeypatch.setenv("CAMPAIGNS_PUBLIC_URL", settings.public_url)
    monkeypatch.delenv("CAMPAIGNS_BROKER_URL", raising=False)
    get_settings.cache_clear()
    yield settings
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def imap_server() -> Iterator[Dovecot]:
    """A Dovecot of the session's own (every test uses a mailbox of its own)."""
    if not Path(DOVECOT).exists():
        service_missing("Dovecot", FileNotFoundError(DOVECOT))
    with dovecot() as server:
        yield server


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    """A local SMTP server: what it received, and its port."""
    with smtp_server() as server:
        yield server


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The local Redis (a database of its own); fails under CI when it is not reachable."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        service_missing("Redis", exc)
    finally:
        client.close()
    return REDIS_URL


@pytest.fixture
def celery_settings(pg_db: Database, redis_url: str, tmp_path: Path) -> Iterator[Settings]:
    """Settings for a real Celery pipeline on PostgreSQL and Redis, on a queue of its own."""
    import redis

    queue = TEST_QUEUE
    yield Settings(
        database_url=pg_db.url,
        broker_url=redis_url,
        queue=queue,
        outbox_dir=tmp_path / "outbox",
        public_url="https://kampanya.example.edu.tr",
        tick_seconds=1,
        _env_file=None,  # type: ignore[call-arg]
    )
    client = redis.Redis.from_url(redis_url)
    client.delete(queue, f"{queue}\x06\x161", f"{queue}\x06\x162", f"{queue}\x06\x163")
    client.close()
