"""Engines, sessions and migrations for PostgreSQL (production) and SQLite (embedded default)."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any, Final, TypeVar

from alembic import command
from alembic.config import Config
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Engine,
    any_,
    bindparam,
    create_engine,
    event,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import QueryableAttribute, Session, sessionmaker
from sqlalchemy.types import TypeEngine

log = logging.getLogger(__name__)
T = TypeVar("T")

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# Deadlock victim and serialization failure: the transaction did nothing and can run again.
RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})
TRANSACTION_ATTEMPTS = 6


def is_retryable(exc: BaseException) -> bool:
    """Whether PostgreSQL rolled the transaction back only because of another one."""
    return getattr(getattr(exc, "orig", None), "sqlstate", None) in RETRYABLE_SQLSTATES


def among(
    session: Session,
    key: ColumnElement[Any] | QueryableAttribute[Any],
    values: Collection[Any],
    type_: TypeEngine[Any] | None = None,
) -> ColumnElement[bool]:
    """``key`` is one of ``values``: on PostgreSQL one array parameter (``= ANY``), which a
    batch of a thousand ids passes far faster than a thousand ``IN`` parameters."""
    if session.get_bind().dialect.name == "postgresql":
        array = ARRAY(type_ if type_ is not None else BigInteger())
        return key == any_(bindparam(None, list(values), type_=array))
    return key.in_(list(values))


def lock_in_order(
    session: Session,
    key: ColumnElement[int] | QueryableAttribute[int],
    condition: ColumnElement[bool],
) -> list[int]:
    """Lock the rows matching ``condition`` in the order of ``key`` before a bulk update, so
    that two transactions touching the same rows wait for each other instead of deadlocking.
    (SQLite has one writer at a time and no row locks: there it only reads the keys.)"""
    return list(session.scalars(select(key).where(condition).order_by(key).with_for_update()))


def normalize_url(url: str) -> str:
    """Accept the usual spellings of a PostgreSQL URL and pick the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def make_engine(url: str) -> Engine:
    """An engine with the settings this service relies on for each backend."""
    url = normalize_url(url)
    if make_url(url).get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"timeout": 30}, hide_parameters=True)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # Statement parameters stay out of error messages and logs: they are students' data
    # and link secrets.
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5, hide_parameters=True)


def on_commit(session: Session, callback: Callable[[], None]) -> None:
    """Run ``callback`` once the session's transaction has committed (not before: others
    would not see the change yet); drop it if the transaction rolls back."""
    session.info.setdefault(_ON_COMMIT, []).append(callback)


_ON_COMMIT: Final = "campaigns.on_commit"


def _run_on_commit(session: Session) -> None:
    for callback in session.info.pop(_ON_COMMIT, []):
        callback()


def _drop_on_commit(session: Session) -> None:
    session.info.pop(_ON_COMMIT, None)


class Database:
    """An engine and its session factory."""

    def __init__(self, url: str) -> None:
        self.url = normalize_url(url)
        self.engine = make_engine(self.url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        event.listen(self.sessions, "after_commit", _run_on_commit)
        event.listen(self.sessions, "after_rollback", _drop_on_commit)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session committed on success and rolled back on error."""
        with self.sessions() as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def rehearse(self, work: Callable[[Session], T]) -> T:
        """``work`` in a transaction that is always rolled back: what it would do, nothing
        kept (a check page before an import)."""
        with self.sessions() as session:
            try:
                return work(session)
            finally:
                session.rollback()

    def run(self, work: Callable[[Session], T], *, attempts: int = TRANSACTION_ATTEMPTS) -> T:
        """``work`` in a committed transaction, run again from the start when PostgreSQL
        rolled it back as a deadlock victim or a serialization failure: the work is never
        lost to a collision with another transaction. ``work`` must be safe to repeat."""
        for attempt in range(1, attempts + 1):
            try:
                with self.session() as session:
                    return work(session)
            except DBAPIError as exc:
                if attempt == attempts or not is_retryable(exc):
                    raise
                log.info(
                    "transaction retried after %s (attempt %d)", type(exc.orig).__name__, attempt
                )
                time.sleep(random.uniform(0, 0.02 * 2**attempt))  # noqa: S311 - jitter
        raise AssertionError("unreachable")

    def upgrade(self, revision: str = "head") -> None:
        """Apply the migrations up to ``revision``."""
        with self.engine.begin() as connection:
            config = alembic_config()
            config.attributes["connection"] = connection
            command.upgrade(config, revision)

    def dispose(self) -> None:
        self.engine.dispose()


def alembic_config(url: str | None = None) -> Config:
    """Alembic's configuration pointing at the packaged migrations."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if url:
        config.set_main_option("sqlalchemy.url", normalize_url(url))
    return config


@lru_cache(maxsize=4)
def database(url: str) -> Database:
    """The process-wide ``Database`` for a URL."""
    return Database(url)
