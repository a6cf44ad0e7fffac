"""Nothing is sent before it is checked: ``campaigns check``, the checks and forecast of every
launch, a channel that cannot send holding only its own waves, the scheduler's heartbeat."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner, Result

from campaigns.cli import app, output
from campaigns.core.db import Database
from campaigns.core.models import (
    Campaign,
    CampaignStatus,
    Message,
    MessageStatus,
    Role,
    Wave,
    utcnow,
)
from campaigns.core.settings import Settings, get_settings
from campaigns.delivery.adapter_pool import adapter_env
from campaigns.planning.plan_wave import plan_wave
from campaigns.planning.preflight import check_setup, preflight
from campaigns.runtime import build_runtime
from tests.support import factories
from tests.support.api import ADMIN, add_user, api_client, bearer

runner = CliRunner()

CAMPAIGN_TOML = """
name = "Kayıt"
send_window = "00:00-24:00"
goal_url = "https://mezun.universite.example.edu.tr/kayit"

[audience]
graduation_term = "2019-2020 Bahar"

[[waves]]
name = "duyuru"
offset = "0s"
channels = ["email"]
template = "registration_announcement"

[[waves]]
name = "sms"
offset = "1d"
channels = ["sms"]
template = "registration_reminder"
"""


def cli(*args: str, answer: str | None = None) -> Result:
    return runner.invoke(app, list(args), input=answer)


@pytest.fixture
def wide(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(output.console, "_width", 250)


@pytest.fixture
def campaign_id(cli_env: Settings, db: Database, tmp_path: Path) -> int:
    with db.session() as session:
        session.add_all([factories.student() for _ in range(3)])
        session.add(factories.student(personal_email=None, email=None))  # SMS only
    path = tmp_path / "kampanya.toml"
    path.write_text(CAMPAIGN_TOML, encoding="utf-8")
    created = cli("campaign", "create", str(path), "--format", "json")
    assert created.exit_code == 0, created.output
    return int(json.loads(created.stdout)["id"])


def status(db: Database, campaign_id: int) -> CampaignStatus:
    with db.session() as session:
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None
        return campaign.status


def test_check_lists_every_problem_at_once(
    cli_env: Settings, db: Database, monkeypatch: pytest.MonkeyPatch, wide: None
) -> None:
    monkeypatch.setenv("CAMPAIGNS_SMS_ADAPTER", "twilio-sms")  # without any TWILIO_* setting
    monkeypatch.setenv("CAMPAIGNS_WHATSAPP_ADAPTER", "twilio-whatsap")  # a typo
    monkeypatch.setenv("CAMPAIGNS_PUBLIK_URL", "https://kampanya.example.edu.tr")  # a typo
    get_settings.cache_clear()
    result = cli("check", "--format", "json")
    assert result.exit_code == 1
    findings = {
        f["subject"]: (f["level"], f["text"]) for f in json.loads(result.stdout)["findings"]
    }
    assert findings["veritabanı / database"][0] == "ok"
    assert findings["kuyruk / broker"][0] == "ok"  # none: tasks run in this process
    assert findings["email (outbox)"] == (
        "warning",
        f"mesajlar {cli_env.outbox_dir} klasörüne yazılır, kimseye ulaşmaz; gerçek sağlayıcı "
        f"için CAMPAIGNS_EMAIL_ADAPTER ayarlayın / messages are written to the folder "
        f"{cli_env.outbox_dir}: nobody receives them; set CAMPAIGNS_EMAIL_ADAPTER for a real "
        "provider",
    )
    level, text = findings["sms (twilio-sms)"]
    assert level == "error"
    assert "TWILIO_ACCOUNT_SID is not set" in text
    level, text = findings["whatsapp (twilio-whatsap)"]
    assert level == "error"
    assert "did you mean 'twilio-whatsapp'?" in text
    level, text = findings["CAMPAIGNS_PUBLIK_URL"]
    assert level == "warning"
    assert text.endswith("did you mean CAMPAIGNS_PUBLIC_URL?")
    assert findings["zamanlayıcı / scheduler"][0] == "warning"
    table = cli("check")
    assert table.exit_code == 1
    assert "TWILIO_ACCOUNT_SID is not set" in table.stdout


def test_real_providers_are_not_given_the_example_url_or_sender(
    db: Database, settings: Settings
) -> None:
    env = {
        "SENDGRID_API_KEY": "SG.test",
        "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
        "TWILIO_AUTH_TOKEN": "x",
        "TWILIO_SMS_FROM": "+15005550006",
    }
    real = settings.model_copy(
        update={
            "email_adapter": "sendgrid",
            "sms_adapter": "twilio-sms",
            "public_url": "http://localhost:8000",
        }
    )
    findings = {f.subject: f for f in check_setup(db, real, adapter_env(real, env), now=utcnow())}
    assert findings["sms (twilio-sms)"].level == "error"
    assert "CAMPAIGNS_PUBLIC_URL is the example" in findings["sms (twilio-sms)"].text
    ready = real.model_copy(update={"public_url": "https://kampanya.example.edu.tr"})
    findings = {f.subject: f for f in check_setup(db, ready, adapter_env(ready, env), now=utcnow())}
    assert findings["sms (twilio-sms)"].level == "ok"
    assert findings["email (sendgrid)"].level == "error"
    assert "CAMPAIGNS_EMAIL_FROM is the example address" in findings["email (sendgrid)"].text
    sender = {**env, "CAMPAIGNS_EMAIL_FROM": "Mezunlar <mezun@omu.edu.tr>"}
    findings = {
        f.subject: f for f in check_setup(db, ready, adapter_env(ready, sender), now=utcnow())
    }
    assert findings["email (sendgrid)"].level == "ok"


def test_a_launch_that_fails_its_checks_starts_nothing(
    campaign_id: int, db: Database, monkeypatch: pytest.MonkeyPatch, wide: None
) -> None:
    monkeypatch.setenv("CAMPAIGNS_SMS_ADAPTER", "twilio-sms")
    get_settings.cache_clear()
    for args in (
        ("campaign", "launch", str(campaign_id)),
        ("campaign", "launch", str(campaign_id), "--yes"),
    ):
        result = cli(*args, answer="e\n")
        assert result.exit_code != 0
        assert "TWILIO_ACCOUNT_SID is not set" in str(result.exception) + result.stdout
        assert status(db, campaign_id) is CampaignStatus.DRAFT


def test_a_launch_says_what_will_happen_and_asks(
    campaign_id: int, db: Database, monkeypatch: pytest.MonkeyPatch, wide: None
) -> None:
    monkeypatch.setenv("CAMPAIGNS_EMAIL_PRICE_PER_MESSAGE", "0.01")
    monkeypatch.setenv("CAMPAIGNS_SMS_PRICE_PER_SEGMENT", "0.05")
    get_settings.cache_clear()
    declined = cli("campaign", "launch", str(campaign_id), answer="h\n")
    assert declined.exit_code != 0
    assert status(db, campaign_id) is CampaignStatus.DRAFT
    text = declined.stdout
    assert "duyuru:" in text
    assert "3 e-posta / email" in text  # three with an email address, one skipped
    assert "atlanan / skipped 1" in text
    assert "sms:" in text
    assert "4 SMS" in text
    assert "İlk mesaj / first message:" in text
    assert "Tahmini maliyet / estimated cost:" in text
    accepted = cli("campaign", "launch", str(campaign_id), answer="evet\n")
    assert accepted.exit_code == 0, accepted.output
    assert status(db, campaign_id) is CampaignStatus.ACTIVE


def test_the_forecast_matches_what_planning_then_does(db: Database, settings: Settings) -> None:
    now = utcnow()
    priced = settings.model_copy(
        update={
            "sms_price_per_segment": Decimal("0.05"),
            "email_price_per_message": Decimal("0.01"),
        }
    )
    with db.session() as session:
        session.add_all([factories.student() for _ in range(5)])
        session.add(factories.student(contact_consent=False))
        session.add(factories.student(personal_email=None, email=None))
        session.add(factories.student(personal_email=None, email=None, phone=None))
        campaign = factories.campaign(
            session, [{"channels": ["email", "sms"]}], status=CampaignStatus.DRAFT, now=now
        )
        campaign_id, wave_id = campaign.id, campaign.waves[0].id
    checked = preflight(db, priced, {}, campaign_id, now=now)
    [wave] = checked.waves
    assert dict(wave.by_channel) == {"email": 5, "sms": 1}
    assert dict(wave.skipped) == {"no_consent": 1, "unreachable": 1}
    assert wave.cost > Decimal("0.05")  # five emails and an SMS of at least one segment
    with db.session() as session:
        session.get_one(Campaign, campaign_id).status = CampaignStatus.ACTIVE
    with db.session() as session:
        plan_wave(session, wave_id, now=now)
        planned = dict(
            session.execute(
                select(Message.channel, func.count())
                .where(Message.status == MessageStatus.PENDING)
                .group_by(Message.channel)
            ).all()
        )
    assert {c.value: n for c, n in planned.items()} == dict(wave.by_channel)


def test_a_channel_that_cannot_send_holds_its_wave_and_the_run_goes_on(
    campaign_id: int, db: Database, monkeypatch: pytest.MonkeyPatch, wide: None
) -> None:
    assert cli("campaign", "launch", str(campaign_id), "--yes").exit_code == 0
    with db.session() as session:
        for wave in session.scalars(select(Wave)):
            wave.start_at = utcnow()  # both waves due now
    # The SMS adapter breaks after the launch (a setting removed, a key revoked).
    monkeypatch.setenv("CAMPAIGNS_SMS_ADAPTER", "twilio-sms")
    get_settings.cache_clear()
    for _ in range(2):
        assert cli("tick").exit_code == 0
    with db.session() as session:
        statuses = dict(
            session.execute(
                select(Wave.name, func.count())
                .join(Message, Message.wave_id == Wave.id)
                .where(Message.status == MessageStatus.SENT)
                .group_by(Wave.name)
            ).all()
        )
        hold = session.scalar(select(Wave.hold_reason).where(Wave.name == "sms"))
    assert statuses == {"duyuru": 3}  # the email wave went out
    assert hold is not None
    assert "TWILIO_ACCOUNT_SID is not set" in hold
    shown = cli("campaign", "show", str(campaign_id))
    assert "sms gönderemiyor / cannot send: sms: TWILIO_ACCOUNT_SID is not set" in shown.stdout


@pytest.fixture
def admin_api(pg_db: Database, tmp_path: Path) -> Iterator[tuple[TestClient, str, Settings]]:
    settings = Settings(
        database_url=pg_db.url,
        outbox_dir=tmp_path / "outbox",
        public_url="https://kampanya.example.edu.tr",
        sms_adapter="twilio-sms",
        _env_file=None,  # type: ignore[call-arg]
    )
    token = add_user(pg_db, ADMIN, Role.ADMIN)
    with api_client(settings) as client:
        yield client, token, settings


def test_the_api_shows_the_checks_and_refuses_a_launch_that_fails_them(
    pg_db: Database, admin_api: tuple[TestClient, str, Settings]
) -> None:
    client, token, settings = admin_api
    with pg_db.session() as session:
        session.add_all([factories.student() for _ in range(2)])
        campaign = factories.campaign(session, [{"channels": ["sms"]}], status=CampaignStatus.DRAFT)
        campaign_id = campaign.id
    checked = client.get(f"/api/v1/campaigns/{campaign_id}/preflight", headers=bearer(token))
    assert checked.status_code == 200
    body: dict[str, Any] = checked.json()
    assert body["ok"] is False
    assert body["waves"][0]["by_channel"] == {"sms": 2}
    launched = client.post(f"/api/v1/campaigns/{campaign_id}/launch", headers=bearer(token))
    assert launched.status_code == 409
    [problem] = [p for p in launched.json()["detail"] if p["loc"][1] == "sms (twilio-sms)"]
    assert "TWILIO_ACCOUNT_SID is not set" in problem["msg"]
    assert status(pg_db, campaign_id) is CampaignStatus.DRAFT
    # Without a scheduler the launch still works, and says so.
    with pg_db.session() as session:
        session.get_one(Campaign, campaign_id).waves[0].channels = ["email"]
    launched = client.post(f"/api/v1/campaigns/{campaign_id}/launch", headers=bearer(token))
    assert launched.status_code == 200, launched.text
    warnings = [
        f["subject"] for f in launched.json()["preflight"]["findings"] if f["level"] == "warning"
    ]
    assert "zamanlayıcı / scheduler" in warnings
    assert client.get("/healthz").json()["scheduler"] == {
        "last_tick": None,
        "age_seconds": None,
        "running": False,
    }
    with build_runtime(settings) as runtime:
        runtime.tick()
    assert client.get("/healthz").json()["scheduler"]["running"] is True


def test_the_first_message_waits_for_the_send_window(db: Database, settings: Settings) -> None:
    now = utcnow()
    zone = ZoneInfo("Europe/Istanbul")
    local = now.astimezone(zone)
    opens = (local + timedelta(hours=3)).time().replace(second=0, microsecond=0)
    closes = (local + timedelta(hours=4)).time().replace(second=0, microsecond=0)
    with db.session() as session:
        session.add(factories.student())
        campaign = factories.campaign(
            session, [{}], status=CampaignStatus.DRAFT, window=(opens, closes), now=now
        )
        campaign_id = campaign.id
    checked = preflight(db, settings, {}, campaign_id, now=now)
    [wave] = checked.waves
    assert wave.waits_for_window
    assert wave.sends_from.astimezone(zone).time() == opens
    assert checked.first_message == wave.sends_from
