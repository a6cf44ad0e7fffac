"""Small SQL pieces that differ between PostgreSQL and SQLite."""

from __future__ import annotations

from typing import Any

from sqlalchemy import String
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import FunctionElement

SECRET_LENGTH = 16


def upsert(session: Session, table: Any) -> postgresql.Insert | sqlite.Insert:
    """An ``INSERT`` that can say what a conflict does (``ON CONFLICT``), for the session's
    database: both spell it alike, each needs its own construct."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


class random_secret(FunctionElement[str]):
    """16 fresh URL-safe random characters computed by the database (at least 64 random
    bits), so planning can give every message its own secret in one statement."""

    type = String()
    inherit_cache = True
    name = "random_secret"


@compiles(random_secret, "postgresql")
def _random_secret_postgresql(element: random_secret, compiler: Any, **kw: Any) -> str:
    # 12 bytes of a v4 UUID (90 random bits) as 16 characters of URL-safe base64.
    return (
        "translate(encode(substring(uuid_send(gen_random_uuid()) from 1 for 12), 'base64'),"
        " '+/', '-_')"
    )


@compiles(random_secret, "sqlite")
def _random_secret_sqlite(element: random_secret, compiler: Any, **kw: Any) -> str:
    # 8 bytes (64 random bits) as 16 hexadecimal characters.
    return "lower(hex(randomblob(8)))"
