"""The audit log: CLI and API changes leave entries (in the change's own transaction, with no
personal data); only admins list it through the API."""

from __future__ import annotations

import getpass
import hashlib
import hmac
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner, Result

from campaigns.cli import app, output
from campaigns.core.actors import Actor
from campaigns.core.db import Database
from campaigns.core.models import AuditEntry, Campaign
from campaigns.core.settings import Settings, get_settings
from tests.support.api import (
    ADMIN,
    ADVISOR_A,
    DEFINITION,
    Cast,
    add_cast,
    add_cohort,
    api_client,
    api_settings,
    bearer,
    cli_on,
)

runner = CliRunner()
CLI_ACTOR = f"cli:{getpass.getuser()}"

COLUMNS = (
    "student_no,first_name,last_name,faculty,department,degree,advisor_email,email,"
    "personal_email,mobile,whatsapp_opt_in,contact_consent,graduation_term"
)
ENGINEERING = (
    "Mühendislik Fakültesi,Bilgisayar Mühendisliği,lisans,ayse.kaya@universite.example.edu.tr"
)
STUDENTS_CSV = "\n".join(
    [
        COLUMNS,
        f"1001,Zeynep,İnce,{ENGINEERING},1001@stu.universite.example.edu.tr,"
        "zeynep.ince@example.com,05359277127,evet,evet,2019-2020 Bahar",
        f"1002,Kaan,Kaya,{ENGINEERING},1002@stu.universite.example.edu.tr,"
        "kaan.kaya@example.com,05513809893,hayır,evet,2019-2020 Bahar",
        f"1003,Ece,Yıldırım,{ENGINEERING},geçersiz,,05063938880,evet,evet,2019-2020 Bahar",
    ]
)
CAMPAIGN_TOML = """
name = "Kayıt"
send_window = "09:00-20:00"
goal_url = "https://mezun.universite.example.edu.tr/kayit"

[scope]
faculty = "muhendislik fakultesi"

[audience]
graduation_term = "2019-2020 Bahar"

[[waves]]
name = "duyuru"
offset = "0s"
channels = ["email"]
template = "registration_announcement"
"""
PERSONAL = ("Zeynep", "İnce", "zeynep.ince@example.com", "+905359277127", "1001@stu")


def cli(*args: str) -> Result:
    return runner.invoke(app, list(args))


def entries(db: Database) -> list[AuditEntry]:
    with db.session() as session:
        return list(session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


def summary(db: Database) -> list[tuple[str, str, str | None]]:
    return [(e.actor, e.action, e.target) for e in entries(db)]


@pytest.fixture
def wide(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(output.console, "_width", 250)


SECRET_KEY = "denetim-anahtari-uzun-ve-rastgele"


def test_cli_changes_are_audited(
    cli_env: Settings,
    db: Database,
    tmp_path: Path,
    wide: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CAMPAIGNS_SECRET_KEY", SECRET_KEY)
    get_settings.cache_clear()
    students = tmp_path / "mezunlar.csv"
    students.write_text(STUDENTS_CSV, encoding="utf-8")
    assert cli("students", "import", str(students)).exit_code == 0
    definition = tmp_path / "kampanya.toml"
    definition.write_text(CAMPAIGN_TOML, encoding="utf-8")
    created = cli("campaign", "create", str(definition), "--format", "json")
    assert created.exit_code == 0, created.output
    assert json.loads(created.stdout)["id"] == 1
    assert cli("campaign", "launch", "1", "--yes").exit_code == 0
    for action in ("pause", "resume", "cancel"):
        assert cli("campaign", action, "1").exit_code == 0
    assert cli("suppressions", "add", "sms", "0535 927 71 27", "--reason", "istek").exit_code == 0
    assert cli("suppressions", "remove", "sms", "+905359277127").exit_code == 0
    assert cli("users", "add", "--email", ADVISOR_A, "--role", "advisor").exit_code == 0
    assert cli("users", "token", ADVISOR_A).exit_code == 0
    assert cli("users", "revoke", ADVISOR_A).exit_code == 0

    assert summary(db) == [
        (CLI_ACTOR, "students.import", "mezunlar.csv"),
        (CLI_ACTOR, "campaign.create", "campaign:1"),
        (CLI_ACTOR, "campaign.launch", "campaign:1"),
        (CLI_ACTOR, "campaign.pause", "campaign:1"),
        (CLI_ACTOR, "campaign.resume", "campaign:1"),
        (CLI_ACTOR, "campaign.cancel", "campaign:1"),
        (CLI_ACTOR, "suppression.add", "suppression:sms"),
        (CLI_ACTOR, "suppression.remove", "suppression:sms"),
        (CLI_ACTOR, "user.add", f"user:{ADVISOR_A}"),
        (CLI_ACTOR, "user.token", f"user:{ADVISOR_A}"),
        (CLI_ACTOR, "user.revoke", f"user:{ADVISOR_A}"),
    ]
    recorded = entries(db)
    assert recorded[0].details == {"imported": 3, "updated": 0, "unchanged": 0, "rejected": 0}
    assert recorded[1].details == {"name": "Kayıt", "waves": 1}
    assert [e.details for e in recorded[2:6]] == [
        {"status": "active"},
        {"status": "paused"},
        {"status": "active"},
        {"status": "cancelled"},
    ]
    # The suppressed number is referred to by a keyed fingerprint, identical for add and
    # remove, that nobody without the key can recompute from a list of numbers.
    assert recorded[6].details["address"] == recorded[7].details["address"]
    keyed = hmac.new(SECRET_KEY.encode(), b"+905359277127", hashlib.sha256).hexdigest()
    assert recorded[6].details["address"] == keyed
    unkeyed = hashlib.sha256(b"+905359277127").hexdigest()
    assert unkeyed[:16] not in json.dumps([e.details for e in recorded])
    assert recorded[8].details == {"role": "advisor", "faculty": None}
    everything = json.dumps([e.details for e in recorded], ensure_ascii=False)
    for value in PERSONAL:
        assert value not in everything
    # The campaign remembers who created it, and the scope its file declares.
    with db.session() as session:
        campaign = session.get(Campaign, 1)
        assert campaign is not None
        assert campaign.created_by == CLI_ACTOR
        assert campaign.scope_faculty == "Mühendislik Fakültesi"  # as the students spell it
        assert campaign.scope_advisor is None


def test_a_refused_change_leaves_no_entry(cli_env: Settings, db: Database, tmp_path: Path) -> None:
    students = tmp_path / "mezunlar.csv"
    students.write_text(STUDENTS_CSV, encoding="utf-8")
    cli("students", "import", str(students))
    definition = tmp_path / "kampanya.toml"
    definition.write_text(CAMPAIGN_TOML, encoding="utf-8")
    cli("campaign", "create", str(definition))
    cli("campaign", "cancel", "1")
    before = summary(db)
    for args in (
        ("campaign", "launch", "1"),
        ("campaign", "pause", "1"),
        ("campaign", "cancel", "7"),
        ("suppressions", "remove", "sms", "05359277127"),
        ("users", "revoke", "kimse@universite.example.edu.tr"),
        ("users", "add", "--email", "k@universite.example.edu.tr", "--role", "coordinator"),
    ):
        assert cli(*args).exit_code != 0, args
    assert summary(db) == before


def test_campaigns_audit_lists_newest_first(
    cli_env: Settings, db: Database, tmp_path: Path, wide: None
) -> None:
    for number in range(3):
        cli("users", "add", "--email", f"u{number}@universite.example.edu.tr", "--role", "admin")
    listed = cli("audit", "--format", "json")
    assert listed.exit_code == 0
    rows: list[dict[str, Any]] = json.loads(listed.stdout)
    assert [r["target"] for r in rows] == [
        "user:u2@universite.example.edu.tr",
        "user:u1@universite.example.edu.tr",
        "user:u0@universite.example.edu.tr",
    ]
    assert {r["actor"] for r in rows} == {CLI_ACTOR}
    limited = json.loads(cli("audit", "--limit", "1", "--format", "json").stdout)
    assert [r["target"] for r in limited] == ["user:u2@universite.example.edu.tr"]
    table = cli("audit")
    assert table.exit_code == 0
    assert "user.add" in table.stdout
    assert "u0@universite.example.edu.tr" in table.stdout
    assert cli("audit", "--limit", "0").exit_code == 2


# --- through the API -------------------------------------------------------------------------


@pytest.fixture
def client(pg_db: Database, tmp_path: Path) -> Iterator[tuple[TestClient, Cast]]:
    add_cohort(pg_db)
    cast = add_cast(pg_db)
    with api_client(api_settings(pg_db, tmp_path)) as client:
        yield client, cast


def test_api_changes_are_audited_and_only_admins_list_them(
    pg_db: Database, client: tuple[TestClient, Cast]
) -> None:
    http, cast = client
    body = {**DEFINITION, "audience": {"advisor_emails": [ADVISOR_A]}}
    created = http.post("/api/v1/campaigns", headers=bearer(cast.advisor_a), json=body).json()
    campaign = f"/api/v1/campaigns/{created['id']}"
    for action in ("launch", "pause", "resume", "cancel"):
        assert http.post(f"{campaign}/{action}", headers=bearer(cast.advisor_a)).status_code == 200
    assert http.post(f"{campaign}/launch", headers=bearer(cast.advisor_a)).status_code == 409
    sent = http.post(f"{campaign}/waves/duyuru/test-send", headers=bearer(cast.advisor_a))
    assert sent.status_code == 200
    # Reading changes nothing and leaves nothing.
    http.get(campaign, headers=bearer(cast.advisor_a))
    http.get("/api/v1/students", headers=bearer(cast.admin))

    target = f"campaign:{created['id']}"
    expected = [
        (ADVISOR_A, "campaign.create", target),
        (ADVISOR_A, "campaign.launch", target),
        (ADVISOR_A, "campaign.pause", target),
        (ADVISOR_A, "campaign.resume", target),
        (ADVISOR_A, "campaign.cancel", target),
        (ADVISOR_A, "campaign.test_send", target),
    ]
    # The users were added before (by the operator): the rest is the advisor's doing.
    assert [e for e in summary(pg_db) if not e[1].startswith("user.")] == expected
    assert {e[0] for e in summary(pg_db) if e[1] == "user.add"} == {Actor.operator().name}

    for token in (cast.advisor_a, cast.advisor_b, cast.coordinator):
        refused = http.get("/api/v1/audit", headers=bearer(token))
        assert refused.status_code == 403
    listed = http.get("/api/v1/audit", headers=bearer(cast.admin))
    assert listed.status_code == 200
    newest = [(e["actor"], e["action"], e["target"]) for e in listed.json()]
    assert newest[: len(expected)] == expected[::-1]
    assert listed.json()[0]["details"] == {
        "wave": "duyuru",
        "channel": "email",
        "student_no": "1001",
    }
    launched = http.get(
        "/api/v1/audit", headers=bearer(cast.admin), params={"action": "campaign.launch"}
    ).json()
    assert [e["action"] for e in launched] == ["campaign.launch"]
    mine = http.get(
        "/api/v1/audit", headers=bearer(cast.admin), params={"actor": ADMIN, "limit": 5}
    ).json()
    assert mine == []
    page = http.get(
        "/api/v1/audit", headers=bearer(cast.admin), params={"limit": 2, "offset": 1}
    ).json()
    assert [e["action"] for e in page] == ["campaign.cancel", "campaign.resume"]
    bad = http.get("/api/v1/audit", headers=bearer(cast.admin), params={"limit": 0})
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["query", "limit"]


def test_cli_and_api_entries_share_one_log(
    pg_db: Database,
    client: tuple[TestClient, Cast],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    http, cast = client
    with cli_on(monkeypatch, api_settings(pg_db, tmp_path), tmp_path):
        added = cli("users", "add", "--email", "yeni@universite.example.edu.tr", "--role", "admin")
        assert added.exit_code == 0
        created = http.post("/api/v1/campaigns", headers=bearer(cast.admin), json=DEFINITION)
        assert created.status_code == 201
        # The newest two: the users the test started with were added (and audited) before.
        listed = http.get("/api/v1/audit", headers=bearer(cast.admin), params={"limit": 2}).json()
        assert [(e["actor"], e["action"]) for e in listed] == [
            (ADMIN, "campaign.create"),
            (CLI_ACTOR, "user.add"),
        ]
        from_cli = json.loads(cli("audit", "--limit", "2", "--format", "json").stdout)
        assert [e["action"] for e in from_cli] == ["campaign.create", "user.add"]


def test_without_a_secret_key_no_fingerprint_is_kept(cli_env: Settings, db: Database) -> None:
    assert cli("suppressions", "add", "sms", "0535 927 71 27").exit_code == 0
    [entry] = entries(db)
    assert entry.details == {"reason": "manual"}
