"""Small SQL pieces that differ between PostgreSQL and SQLite."""

from __future__ import annotations

from typing import Any

from sqlalchemy import String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement


class random_token(FunctionElement[str]):
    """A fresh URL-safe random token computed by the database (at least 90 random bits)."""

    type = String()
    inherit_cache = True
    name = "random_token"


@compiles(random_token, "postgresql")
def _random_token_postgresql(element: random_token, compiler: Any, **kw: Any) -> str:
    # 12 bytes of a v4 UUID (90 random bits) as 16 characters of URL-safe base64.
    return (
        "translate(encode(substring(uuid_send(gen_random_uuid()) from 1 for 12), 'base64'),"
        " '+/', '-_')"
    )


@compiles(random_token, "sqlite")
def _random_token_sqlite(element: random_token, compiler: Any, **kw: Any) -> str:
    return "lower(hex(randomblob(12)))"
