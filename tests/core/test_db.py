"""The database layer: errors never bring students' data into the logs (engines hide statement
parameters, error logs withhold the exception's message: a database quotes the failing row),
and work promised for after a commit runs only after one."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, StatementError

from campaigns.core.db import Database, on_commit
from campaigns.core.redacted_errors import WithholdExceptionMessages

SECRET = "ogrenci20000001@example.com-Ab12Cd34Ef56Gh78"


def failing_insert(db: Database) -> BaseException:
    with pytest.raises((DBAPIError, StatementError)) as caught, db.session() as session:
        session.execute(
            text("INSERT INTO messages (id, wave_id, student_id, address) VALUES (1, 1, 1, :s)"),
            {"s": SECRET},
        )
    return caught.value


def test_engines_hide_statement_parameters(db: Database) -> None:
    error = failing_insert(db)
    assert "[SQL parameters hidden due to hide_parameters=True]" in str(error)


def test_error_logs_keep_the_traceback_not_the_message(db: Database) -> None:
    error = failing_insert(db)
    record = logging.LogRecord(
        "uvicorn.error",
        logging.ERROR,
        __file__,
        1,
        "Exception in ASGI application",
        None,
        (type(error), error, error.__traceback__),
    )
    assert WithholdExceptionMessages().filter(record)
    written = logging.Formatter().format(record)
    assert SECRET not in written
    assert "Traceback (most recent call last)" in written
    assert type(error).__name__ in written
    assert "failing_insert" in written  # the frames that find the fault are kept


def test_postgresql_quotes_the_failing_row(pg_db: Database) -> None:
    # Why the message is withheld: the database itself quotes the row it refused.
    assert SECRET in str(failing_insert(pg_db))


def test_work_after_commit_runs_once_after_the_commit_and_never_after_a_rollback(
    db: Database,
) -> None:
    done: list[str] = []
    with db.session() as session:
        session.execute(text("SELECT 1"))
        on_commit(session, lambda: done.append("rolled back"))
        session.rollback()
        on_commit(session, lambda: done.append("committed"))
        session.execute(text("SELECT 1"))
        assert done == []
    assert done == ["committed"]
    with db.session() as session:
        session.execute(text("SELECT 1"))
    assert done == ["committed"]
