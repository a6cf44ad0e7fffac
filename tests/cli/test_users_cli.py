"""``campaigns users``: add (token shown once), list, revoke, token; on both backends."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner, Result

from campaigns.access import users
from campaigns.cli import app, output
from campaigns.core.db import Database
from campaigns.core.models import Role, User
from campaigns.core.settings import Settings

runner = CliRunner()
TOKEN = re.compile(r"mbs_[A-Za-z0-9_-]{43}")


@pytest.fixture(autouse=True)
def wide_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    # Wide enough that Rich tables never wrap the values checked, whatever the terminal.
    monkeypatch.setattr(output.console, "_width", 200)


def invoke(*args: str) -> Result:
    return runner.invoke(app, list(args))


def refusal(result: Result) -> str:
    """What the user is told when a command is refused (``main`` prints user errors)."""
    assert result.exit_code != 0
    return result.output + str(result.exception or "")


def added(*args: str) -> dict[str, Any]:
    result = invoke("users", "add", *args, "--format", "json")
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def active_user(db: Database, token: str) -> str | None:
    with db.session() as session:
        user = users.authenticate(session, token)
        return None if user is None else user.email


def test_add_prints_a_working_token_once(cli_env: Settings, db: Database) -> None:
    result = invoke("users", "add", "--email", "Mezun@Universite.example.edu.tr", "--role", "admin")
    assert result.exit_code == 0, result.output
    [token] = TOKEN.findall(result.stdout)
    assert "yalnızca şimdi gösterilir" in result.stdout
    assert active_user(db, token) == "mezun@universite.example.edu.tr"
    listed = invoke("users", "list", "--format", "json")
    assert listed.exit_code == 0
    assert token not in listed.stdout
    [row] = json.loads(listed.stdout)
    assert (row["email"], row["role"], row["revoked_at"]) == (
        "mezun@universite.example.edu.tr",
        "admin",
        None,
    )
    table = invoke("users", "list")
    assert "mezun@universite.example.edu.tr" in table.stdout
    assert token not in table.stdout


def test_roles_faculties_and_phones(cli_env: Settings, db: Database) -> None:
    coordinator = added(
        "--email", "koord@universite.example.edu.tr", "--role", "coordinator",
        "--faculty", "  Mühendislik   Fakültesi ",
    )  # fmt: skip
    assert coordinator["faculty"] == "Mühendislik Fakültesi"
    advisor = added(
        "--email", "danisman@universite.example.edu.tr", "--role", "advisor",
        "--phone", "0532 123 45 67",
    )  # fmt: skip
    assert advisor["phone"] == "+905321234567"
    assert advisor["faculty"] is None
    assert TOKEN.fullmatch(advisor["token"])
    with db.session() as session:
        stored = {u.email: u for u in session.scalars(select(User))}
    assert stored["koord@universite.example.edu.tr"].role is Role.COORDINATOR
    assert stored["danisman@universite.example.edu.tr"].phone == "+905321234567"


def test_bad_input_is_refused_and_stores_nothing(cli_env: Settings, db: Database) -> None:
    added("--email", "var@universite.example.edu.tr", "--role", "advisor")
    cases = [
        (("--email", "koord@universite.example.edu.tr", "--role", "coordinator"), "--faculty"),
        (
            ("--email", "d@universite.example.edu.tr", "--role", "admin", "--faculty", "Fen"),
            "not for them",
        ),
        (("--email", "not-an-address", "--role", "admin"), "invalid email"),
        (("--email", "x@universite.example.edu.tr", "--role", "dekan"), "dekan"),
        (
            ("--email", "y@universite.example.edu.tr", "--role", "admin", "--phone", "0312 1"),
            "mobile",
        ),
        (
            ("--email", "z@universite.example.edu.tr", "--role", "admin", "--phone", "03122101000"),
            "mobile",
        ),
        (("--email", "VAR@universite.example.edu.tr", "--role", "admin"), "already exists"),
    ]
    for args, reason in cases:
        assert reason in refusal(invoke("users", "add", *args)), args
    with db.session() as session:
        assert list(session.scalars(select(User.email))) == ["var@universite.example.edu.tr"]


def test_revoke_and_reissue(cli_env: Settings, db: Database) -> None:
    first = added("--email", "danisman@universite.example.edu.tr", "--role", "advisor")["token"]
    revoked = invoke("users", "revoke", "DANISMAN@universite.example.edu.tr")
    assert revoked.exit_code == 0, revoked.output
    assert active_user(db, first) is None
    [row] = json.loads(invoke("users", "list", "--format", "json").stdout)
    assert row["revoked_at"] is not None

    reissued = invoke("users", "token", "danisman@universite.example.edu.tr")
    assert reissued.exit_code == 0, reissued.output
    [second] = TOKEN.findall(reissued.stdout)
    assert second != first
    assert active_user(db, second) == "danisman@universite.example.edu.tr"
    assert active_user(db, first) is None
    [row] = json.loads(invoke("users", "list", "--format", "json").stdout)
    assert row["revoked_at"] is None

    # A new token replaces the old one even without a revoke.
    third = json.loads(
        invoke("users", "token", "danisman@universite.example.edu.tr", "--format", "json").stdout
    )["token"]
    assert active_user(db, third) is not None
    assert active_user(db, second) is None


def test_unknown_users_cannot_be_revoked_or_reissued(cli_env: Settings) -> None:
    for command in ("revoke", "token"):
        result = invoke("users", command, "kimse@universite.example.edu.tr")
        assert "user not found" in refusal(result)
