"""``campaigns suppressions``: addresses are normalised, listed, added and removed."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from campaigns.cli import app
from campaigns.core.settings import Settings

runner = CliRunner()


def listed(*options: str) -> list[dict[str, str]]:
    result = runner.invoke(app, ["suppressions", "list", "--format", "json", *options])
    assert result.exit_code == 0, result.output
    rows: list[dict[str, str]] = json.loads(result.stdout)
    return rows


def test_add_list_remove(cli_env: Settings) -> None:
    assert runner.invoke(app, ["suppressions", "add", "sms", "0532 111 22 33"]).exit_code == 0
    added = runner.invoke(
        app, ["suppressions", "add", "email", "Ogrenci@Example.COM", "--reason", "istek"]
    )
    assert added.exit_code == 0
    rows = listed()
    assert [(r["channel"], r["address"], r["reason"]) for r in rows] == [
        ("sms", "+905321112233", "manual"),
        ("email", "ogrenci@example.com", "istek"),
    ]
    assert [r["address"] for r in listed("--channel", "sms")] == ["+905321112233"]

    removed = runner.invoke(app, ["suppressions", "remove", "sms", "+90 532 111 22 33"])
    assert removed.exit_code == 0
    assert [r["channel"] for r in listed()] == ["email"]
    again = runner.invoke(app, ["suppressions", "remove", "sms", "+90 532 111 22 33"])
    assert again.exit_code != 0


def test_invalid_addresses_are_refused(cli_env: Settings) -> None:
    assert runner.invoke(app, ["suppressions", "add", "sms", "123"]).exit_code != 0
    assert runner.invoke(app, ["suppressions", "add", "email", "bad@"]).exit_code != 0
    assert listed() == []
