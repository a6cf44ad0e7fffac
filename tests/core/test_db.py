"""Errors never bring students' data into the logs: engines hide statement parameters, and
error logs withhold the exception's message (a database quotes the failing row)."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, StatementError

from campaigns.core.db import Database
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
