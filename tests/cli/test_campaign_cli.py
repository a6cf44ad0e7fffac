"""``campaigns campaign …`` end to end, against both database backends."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner, Result

from campaigns.cli import app, main, output
from campaigns.core import dispatch
from campaigns.core.db import Database, database
from campaigns.core.errors import (
    InvalidDefinitionError,
    NotFoundError,
    StateError,
    UnreadableFileError,
)
from campaigns.core.models import Campaign, CampaignStatus, Student
from campaigns.core.rendering import PARTS
from campaigns.core.settings import Settings
from tests.support.paths import EXAMPLE

DEFINITION = """
name = "Mühendislik kayıt"
send_window = "09:00-20:00"
goal_url = "https://mezun.universite.example.edu.tr/kayit"

[audience]
graduation_term = "2019-2020 Bahar"
faculties = ["muhendislik fakultesi"]

[[waves]]
name = "duyuru"
offset = "0s"
channels = ["email"]
template = "registration_announcement"

[[waves]]
name = "sabit"
start = 2030-07-01T10:00:00
channels = ["sms", "email"]
template = "registration_reminder"
"""


@pytest.fixture
def cli(
    cli_env: Settings, db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Settings]:
    """The CLI on the test database, with templates and two engineering students."""
    templates = tmp_path / "templates"
    for template in ("registration_announcement", "registration_reminder"):
        (templates / template).mkdir(parents=True)
        for part in (p for parts in PARTS.values() for p in parts):
            (templates / template / f"{part}.tr.j2").write_text("Merhaba\n", encoding="utf-8")
    monkeypatch.setenv("CAMPAIGNS_TEMPLATES_DIR", str(templates))
    # Wide enough that Rich tables never wrap the values checked, whatever the terminal.
    monkeypatch.setattr(output.console, "_width", 200)
    with db.session() as session:
        for number, term in (("100", "2019-2020 Bahar"), ("101", "2019-2020 Bahar")):
            session.add(
                Student(
                    student_no=number,
                    first_name="Ayşe",
                    last_name="Yılmaz",
                    faculty="Mühendislik Fakültesi",
                    department="Bilgisayar Mühendisliği",
                    degree="lisans",
                    graduation_term=term,
                )
            )
    yield cli_env
    database(cli_env.database_url).dispose()


@pytest.fixture
def notified(monkeypatch: pytest.MonkeyPatch) -> list[Settings]:
    calls: list[Settings] = []
    monkeypatch.setattr(dispatch, "notify_scheduler", calls.append)
    return calls


def squash(text: str) -> str:
    """Terminal output with line wrapping and box drawing undone, to search it for phrases."""
    return " ".join(re.sub(r"[│╭╮╰╯─]", " ", text).split())


def run(*args: str) -> Result:
    return CliRunner().invoke(app, ["campaign", *args])


def run_json(*args: str) -> Any:
    result = run(*args, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def campaign_file(tmp_path: Path, text: str = DEFINITION) -> str:
    path = tmp_path / "kampanya.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def stored_campaigns(db: Database) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(Campaign)) or 0


def test_dry_run_validates_and_stores_nothing(cli: Settings, db: Database, tmp_path: Path) -> None:
    result = run("create", campaign_file(tmp_path), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "Tanım geçerli" in result.stdout
    assert "Mühendislik Fakültesi" in result.stdout  # the audience as the data spells it
    assert stored_campaigns(db) == 0
    data = run_json("create", campaign_file(tmp_path), "--dry-run")
    assert data["dry_run"] is True
    assert data["id"] is None
    assert data["audience_size"] == 2
    assert stored_campaigns(db) == 0


def test_create_stores_a_draft(cli: Settings, db: Database, tmp_path: Path) -> None:
    data = run_json("create", campaign_file(tmp_path))
    assert data["status"] == "draft"
    assert data["audience"]["faculties"] == ["Mühendislik Fakültesi"]
    assert [w["name"] for w in data["waves"]] == ["duyuru", "sabit"]
    assert stored_campaigns(db) == 1
    table = run("create", campaign_file(tmp_path))
    assert table.exit_code == 0
    assert "Kampanya oluşturuldu / campaign created: 2" in table.stdout


def test_create_reports_every_problem(cli: Settings, db: Database, tmp_path: Path) -> None:
    text = DEFINITION.replace('"muhendislik fakultesi"', '"Muhendislk Fakultesi"')
    text = text.replace('offset = "0s"', 'offset = "0"').replace(
        '["sms", "email"]', '["sms", "faks"]'
    )
    result = run("create", campaign_file(tmp_path, text))
    assert isinstance(result.exception, InvalidDefinitionError)
    assert result.exit_code == 1
    assert [p.location for p in result.exception.problems] == [
        "audience.faculties[0]",
        "waves[0].offset",
        "waves[1].channels[1]",
    ]
    assert "Mühendislik Fakültesi" in result.exception.problems[0].reason
    assert stored_campaigns(db) == 0


def test_create_reports_a_toml_syntax_error(cli: Settings, tmp_path: Path) -> None:
    result = run("create", campaign_file(tmp_path, 'name = "x\n'))
    assert isinstance(result.exception, InvalidDefinitionError)
    assert result.exception.problems[0].location.startswith("satır 1")


def test_create_from_a_missing_or_non_utf8_file(cli: Settings, tmp_path: Path) -> None:
    missing = run("create", str(tmp_path / "yok.toml"))
    assert isinstance(missing.exception, UnreadableFileError)
    latin = tmp_path / "latin.toml"
    latin.write_bytes('name = "Mühendislik"\n'.encode("latin-1"))
    result = run("create", str(latin))
    assert isinstance(result.exception, UnreadableFileError)
    assert "UTF-8" in str(result.exception)


def test_the_example_file_passes_a_dry_run(cli: Settings, tmp_path: Path) -> None:
    data = run_json("create", str(EXAMPLE), "--dry-run")
    assert data["audience"]["faculties"] == ["Mühendislik Fakültesi"]
    assert data["audience_size"] == 2
    assert [w["offset"] for w in data["waves"]] == ["0s", "3d", "7d"]


def test_list(cli: Settings, tmp_path: Path) -> None:
    assert run_json("list") == []
    run_json("create", campaign_file(tmp_path))
    rows = run_json("list")
    assert [(r["id"], r["name"], r["status"], r["waves"]) for r in rows] == [
        (1, "Mühendislik kayıt", "draft", 2)
    ]
    table = run("list")
    assert "Mühendislik kayıt" in table.stdout


def test_show_gives_start_times_in_the_campaign_time_zone(cli: Settings, tmp_path: Path) -> None:
    berlin = DEFINITION.replace(
        'name = "Mühendislik', 'timezone = "Europe/Berlin"\nname = "Mühendislik'
    )
    created = run_json("create", campaign_file(tmp_path, berlin))
    data = run_json("show", str(created["id"]))
    fixed = data["waves"][1]
    assert fixed["start_at"] == "2030-07-01T08:00:00+00:00"
    assert fixed["start_local"] == "2030-07-01 10:00 CEST"
    assert data["waves"][0]["start_local"] is None  # offset wave, not launched yet
    assert data["send_window"] == "09:00-20:00"
    table = run("show", str(created["id"]))
    assert "2030-07-01 10:00 CEST" in table.stdout
    assert "başlatma + 0s / launch + 0s" in table.stdout
    assert "Europe/Berlin" in table.stdout


def test_show_unknown_campaign(cli: Settings) -> None:
    result = run("show", "42")
    assert isinstance(result.exception, NotFoundError)
    assert "42" in str(result.exception)


def test_launch_pause_resume_cancel(
    cli: Settings, db: Database, tmp_path: Path, notified: list[Settings]
) -> None:
    campaign_id = str(run_json("create", campaign_file(tmp_path))["id"])

    launched = run_json("launch", campaign_id, "--yes")
    assert launched["status"] == "active"
    assert launched["waves"][0]["start_at"] == launched["launched_at"]
    assert len(notified) == 1
    assert notified[0].database_url == cli.database_url

    paused = run("pause", campaign_id)
    assert paused.exit_code == 0
    assert "duraklatıldı / campaign 1 paused (paused)" in paused.stdout
    assert len(notified) == 1  # pausing needs no tick

    assert run_json("resume", campaign_id)["status"] == "active"
    assert len(notified) == 2

    cancelled = run_json("cancel", campaign_id)
    assert cancelled["status"] == "cancelled"
    assert {w["status"] for w in cancelled["waves"]} == {"cancelled"}
    with db.session() as session:
        assert session.get_one(Campaign, int(campaign_id)).status is CampaignStatus.CANCELLED


def test_forbidden_transition(cli: Settings, tmp_path: Path, notified: list[Settings]) -> None:
    campaign_id = str(run_json("create", campaign_file(tmp_path))["id"])
    result = run("resume", campaign_id)
    assert isinstance(result.exception, StateError)
    assert "draft" in str(result.exception)
    assert notified == []


@pytest.mark.parametrize(
    ("command", "text"),
    [
        ("create", "--dry-run"),
        ("list", "--format"),
        ("show", "time zone"),
        ("launch", "offset"),
        ("pause", "duraklat"),
        ("resume", "sürdür"),
        ("cancel", "cannot be undone"),
    ],
)
def test_help(cli: Settings, command: str, text: str) -> None:
    result = run(command, "--help")
    assert result.exit_code == 0
    assert text in squash(result.stdout)


def test_main_prints_errors_without_a_traceback(
    cli: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "argv", ["campaigns", "campaign", "launch", "7"])
    with pytest.raises(SystemExit) as caught:
        main()
    assert caught.value.code == 1
    error = capsys.readouterr().err
    assert "7 numaralı kampanya bulunamadı / campaign 7 not found" in squash(error)
    assert "Traceback" not in error
