"""Campaigns through HTTP: create, validate, launch/pause/resume/cancel, preview, test-send,
report; bad input answered 422 with key paths, bad transitions 409, large bodies 413."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from email import message_from_bytes
from email.message import Message as EmailMessage
from email.policy import default as email_policy
from pathlib import Path
from typing import Any

import pytest
from fastapi.encoders import jsonable_encoder
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from campaigns.core.db import Database
from campaigns.core.models import AuditEntry, Campaign, CampaignStatus, Message, Wave, WaveStatus
from campaigns.core.settings import Settings
from campaigns.reports.funnel import Dimension, campaign_report
from campaigns.runtime import build_runtime
from tests.support.api import (
    ADMIN,
    ADVISOR_A,
    DEFINITION,
    ENGINEERING,
    TERM,
    Cast,
    add_cast,
    add_cohort,
    api_client,
    api_settings,
    bearer,
)


@dataclass(frozen=True)
class Api:
    client: TestClient
    settings: Settings
    cast: Cast

    def post(self, url: str, body: Any = None, *, token: str | None = None) -> Any:
        headers = bearer(token or self.cast.admin)
        return self.client.post(f"/api/v1{url}", headers=headers, json=body)

    def get(self, url: str, *, token: str | None = None, **params: Any) -> Any:
        headers = bearer(token or self.cast.admin)
        return self.client.get(f"/api/v1{url}", headers=headers, params=params)


def make_api(db: Database, tmp_path: Path, **settings: Any) -> Iterator[Api]:
    add_cohort(db)
    cast = add_cast(db)
    configured = api_settings(db, tmp_path, **settings)
    with api_client(configured) as client:
        yield Api(client, configured, cast)


@pytest.fixture
def api(pg_db: Database, tmp_path: Path) -> Iterator[Api]:
    yield from make_api(pg_db, tmp_path)


CAMPAIGN_ENTRIES = AuditEntry.target.like("campaign:%")


def counts(db: Database) -> tuple[int, int, int]:
    """Campaigns, waves and audit entries about campaigns stored (adding the users who call
    is audited too)."""
    with db.session() as session:
        return (
            session.scalar(select(func.count()).select_from(Campaign)) or 0,
            session.scalar(select(func.count()).select_from(Wave)) or 0,
            session.scalar(select(func.count()).where(CAMPAIGN_ENTRIES)) or 0,
        )


def create(api: Api, **changes: Any) -> dict[str, Any]:
    response = api.post("/campaigns", {**DEFINITION, **changes})
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


# --- creating and validating -----------------------------------------------------------------


def test_create_stores_a_draft_from_the_json_definition(pg_db: Database, api: Api) -> None:
    created = create(
        api, audience={"graduation_term": TERM, "faculties": ["muhendislik fakultesi"]}
    )
    assert created["status"] == "draft"
    assert created["timezone"] == "Europe/Istanbul"  # the configured default
    assert created["send_window"] == "00:00-24:00"
    assert created["audience"]["faculties"] == [ENGINEERING]
    assert created["audience_size"] == 3
    # An administrator's campaign is declared for the whole university unless it says else.
    assert created["scope_faculty"] is None
    assert created["scope_advisor"] is None
    assert created["created_by"] == ADMIN
    assert [
        (w["name"], w["offset"], w["channels"], w["only_unconverted"]) for w in created["waves"]
    ] == [
        ("duyuru", "0s", ["email", "sms"], False),
        ("hatirlatma", "3d", ["sms", "email"], True),
    ]
    shown = api.get(f"/campaigns/{created['id']}").json()
    assert shown == created
    assert [c["id"] for c in api.get("/campaigns").json()] == [created["id"]]
    assert counts(pg_db) == (1, 2, 1)


def test_validate_reports_the_audience_and_stores_nothing(pg_db: Database, api: Api) -> None:
    response = api.post("/campaigns/validate", DEFINITION)
    assert response.status_code == 200
    assert response.json() == {"valid": True, "problems": [], "audience_size": 4}
    assert counts(pg_db) == (0, 0, 0)


BROKEN: dict[str, Any] = {
    **DEFINITION,
    "send_window": "25:00-26:00",
    "audience": {"faculties": ["Muhendislik Fakultsi"]},
    "waves": [
        {"name": "duyuru", "offset": "0s", "channels": ["email", "faks"], "template": "yok"},
        {"name": "duyuru", "channels": ["sms"], "template": "registration_reminder", "tipo": 1},
    ],
}
BROKEN_LOCATIONS = [
    ["body", "audience", "faculties", 0],
    ["body", "send_window"],
    ["body", "waves", 0, "channels", 1],
    ["body", "waves", 0, "template"],
    ["body", "waves", 1],
    ["body", "waves", 1, "name"],
    ["body", "waves", 1, "tipo"],
]


def test_an_invalid_definition_gets_every_problem_with_its_key_path(
    pg_db: Database, api: Api
) -> None:
    response = api.post("/campaigns", BROKEN)
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert [problem["loc"] for problem in detail] == BROKEN_LOCATIONS
    assert {problem["type"] for problem in detail} == {"definition"}
    by_location = {tuple(p["loc"]): p["msg"] for p in detail}
    assert (
        "'Mühendislik Fakültesi' mi demek istediniz?"
        in by_location[("body", "audience", "faculties", 0)]
    )
    assert "unknown channel 'faks'" in by_location[("body", "waves", 0, "channels", 1)]
    assert "already used by waves[0]" in by_location[("body", "waves", 1, "name")]
    assert counts(pg_db) == (0, 0, 0)

    checked = api.post("/campaigns/validate", BROKEN).json()
    assert checked["valid"] is False
    assert checked["audience_size"] is None
    assert checked["problems"] == detail


@pytest.mark.parametrize(
    ("body", "location"),
    [
        ([DEFINITION], ["body"]),
        ("kampanya", ["body"]),
        ({**DEFINITION, "name": "kayıt\x00"}, ["body", "name"]),
        (
            {**DEFINITION, "audience": {"faculties": ["a\x00b"]}},
            ["body", "audience", "faculties", 0],
        ),
        ({**DEFINITION, "waves": "duyuru"}, ["body", "waves"]),
        (
            {**DEFINITION, "waves": [{**DEFINITION["waves"][0], "only_unconverted": "no"}]},
            ["body", "waves", 0, "only_unconverted"],
        ),
    ],
    ids=["list", "string", "nul-name", "nul-faculty", "waves-string", "bool-as-text"],
)
def test_malformed_bodies_get_422_with_the_field(
    pg_db: Database, api: Api, body: Any, location: list[Any]
) -> None:
    response = api.post("/campaigns", body)
    assert response.status_code == 422
    assert location in [problem["loc"] for problem in response.json()["detail"]]
    assert counts(pg_db) == (0, 0, 0)


def test_unreadable_json_gets_422(pg_db: Database, api: Api) -> None:
    response = api.client.post(
        "/api/v1/campaigns",
        headers={**bearer(api.cast.admin), "Content-Type": "application/json"},
        content=b'{"name": "kay',
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "json_invalid"
    assert counts(pg_db) == (0, 0, 0)


@pytest.mark.parametrize(
    ("changes", "location", "said"),
    [
        (
            {"waves": [{**DEFINITION["waves"][0], "template": "t" * 300}]},
            ["body", "waves", 0, "template"],
            "at most 100 characters",
        ),
        (
            {"waves": [{**DEFINITION["waves"][0], "offset": None, "start": "9999-12-31T23:59"}]},
            ["body", "waves", 0, "start"],
            "between 2000 and 2100",
        ),
        (
            {"audience": {"advisor_emails": [f"d{i}@u.example.edu.tr" for i in range(50_000)]}},
            ["body", "audience", "advisor_emails"],
            "at most 200 items",
        ),
    ],
    ids=["template", "start", "advisors"],
)
def test_definitions_at_the_limits_get_422_naming_the_key(
    pg_db: Database, api: Api, changes: dict[str, Any], location: list[Any], said: str
) -> None:
    for path in ("/campaigns", "/campaigns/validate"):
        response = api.post(path, {**DEFINITION, **changes})
        problems = (
            response.json()["detail"]
            if response.status_code == 422
            else response.json()["problems"]
        )
        assert response.status_code in (200, 422), response.text
        found = {tuple(p["loc"]): p["msg"] for p in problems}
        assert said in found[tuple(location)]
    assert counts(pg_db) == (0, 0, 0)


def test_deeply_nested_json_gets_a_clear_400(pg_db: Database, api: Api) -> None:
    response = api.client.post(
        "/api/v1/campaigns",
        headers={**bearer(api.cast.admin), "Content-Type": "application/json"},
        content=b'{"name": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
    )
    assert response.status_code == 400
    assert response.json() == {
        "detail": "gövde okunamadı: JSON çok derin iç içe / unreadable body: the JSON is "
        "nested too deeply"
    }
    assert counts(pg_db) == (0, 0, 0)


def test_a_body_above_the_limit_gets_413_and_stores_nothing(
    pg_db: Database, tmp_path: Path
) -> None:
    for api in make_api(pg_db, tmp_path, max_request_bytes=4096):
        small = api.post("/campaigns/validate", DEFINITION)
        assert small.status_code == 200
        large = api.post("/campaigns", {**DEFINITION, "name": "x" * 5000})
        assert large.status_code == 413
        assert large.text == "istek çok büyük / request body too large"
        # Sent without a length (chunked), the body is measured as it arrives.
        body = json.dumps({**DEFINITION, "name": "x" * 5000}).encode()
        streamed = api.client.post(
            "/api/v1/campaigns",
            headers={**bearer(api.cast.admin), "Content-Type": "application/json"},
            content=(body[i : i + 1000] for i in range(0, len(body), 1000)),
        )
        assert streamed.status_code == 413
        small_streamed = api.client.post(
            "/api/v1/campaigns/validate",
            headers={**bearer(api.cast.admin), "Content-Type": "application/json"},
            content=iter([json.dumps(DEFINITION).encode()]),
        )
        assert small_streamed.status_code == 200, small_streamed.text
        assert counts(pg_db) == (0, 0, 0)


def test_unknown_campaigns_are_404(api: Api) -> None:
    for response in (
        api.get("/campaigns/42"),
        api.post("/campaigns/42/launch"),
        api.get("/campaigns/42/report"),
        api.get("/campaigns/42/waves/duyuru/preview"),
        api.post("/campaigns/42/waves/duyuru/test-send"),
    ):
        assert response.status_code == 404
        assert response.json() == {
            "detail": "42 numaralı kampanya bulunamadı / campaign 42 not found"
        }


@pytest.mark.parametrize("campaign_id", ["0", "-1", "abc", str(2**64)])
def test_bad_campaign_ids_get_422(api: Api, campaign_id: str) -> None:
    response = api.get(f"/campaigns/{campaign_id}")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["path", "campaign_id"]


# --- transitions -----------------------------------------------------------------------------


def test_launch_pause_resume_cancel_and_conflicts(pg_db: Database, api: Api) -> None:
    campaign_id = create(api)["id"]
    steps = [
        ("pause", 409, "draft"),
        ("launch", 200, "active"),
        ("launch", 409, "active"),
        ("resume", 409, "active"),
        ("pause", 200, "paused"),
        ("pause", 409, "paused"),
        ("resume", 200, "active"),
        ("cancel", 200, "cancelled"),
        ("launch", 409, "cancelled"),
        ("resume", 409, "cancelled"),
        ("cancel", 409, "cancelled"),
    ]
    for action, status, state in steps:
        response = api.post(f"/campaigns/{campaign_id}/{action}")
        assert response.status_code == status, (action, response.text)
        if status == 200:
            assert response.json()["status"] == state
        else:
            assert response.json() == {"detail": response.json()["detail"]}
            assert f"campaign {campaign_id} is {state}" in response.json()["detail"]
        assert api.get(f"/campaigns/{campaign_id}").json()["status"] == state
    launched = api.get(f"/campaigns/{campaign_id}").json()
    assert launched["launched_at"] is not None
    assert launched["finished_at"] is not None
    assert [w["status"] for w in launched["waves"]] == ["cancelled", "cancelled"]
    # One audit entry per change that happened; refused ones left none.
    with pg_db.session() as session:
        actions = list(
            session.scalars(
                select(AuditEntry.action).where(CAMPAIGN_ENTRIES).order_by(AuditEntry.id)
            )
        )
    assert actions == [
        "campaign.create",
        "campaign.launch",
        "campaign.pause",
        "campaign.resume",
        "campaign.cancel",
    ]


# --- preview, test sends, report ------------------------------------------------------------


def test_preview_renders_every_part_for_the_student(api: Api) -> None:
    campaign_id = create(api)["id"]
    response = api.get(f"/campaigns/{campaign_id}/waves/duyuru/preview", student="1001")
    assert response.status_code == 200
    preview = response.json()
    assert (preview["student_no"], preview["full_name"]) == ("1001", "Işıl Çelik")
    assert preview["errors"] == []
    channels = {c["channel"]: c for c in preview["channels"]}
    assert list(channels) == ["email", "sms"]
    assert [p["part"] for p in channels["email"]["parts"]] == [
        "email.subject",
        "email.txt",
        "email.html",
    ]
    assert "Işıl" in channels["sms"]["parts"][0]["text"]
    assert channels["sms"]["sms"]["segments"] >= 1
    missing_wave = api.get(f"/campaigns/{campaign_id}/waves/yok/preview", student="1001")
    assert missing_wave.status_code == 404
    assert "wave not found" in missing_wave.json()["detail"]
    missing_student = api.get(f"/campaigns/{campaign_id}/waves/duyuru/preview", student="7")
    assert missing_student.status_code == 404


def outbox_email(settings: Settings, audit_id: int) -> EmailMessage:
    raw = (settings.outbox_dir / "email" / f"-{audit_id}.eml").read_bytes()
    parsed: EmailMessage = message_from_bytes(raw, policy=email_policy)
    return parsed


def message_rows(db: Database) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(Message)) or 0


def test_test_send_reaches_the_callers_own_address(pg_db: Database, api: Api) -> None:
    campaign_id = create(api)["id"]
    token = api.cast.advisor_a
    url = f"/campaigns/{campaign_id}/waves/duyuru/test-send"
    # A's campaign would be A's; the admin's campaign is not visible to A.
    assert api.post(url, token=token).status_code == 404

    response = api.post(url, {"student_no": "1003"})  # the admin's own address
    assert response.status_code == 200, response.text
    sent = response.json()
    assert (sent["channel"], sent["to"], sent["student_no"]) == ("email", ADMIN, "1003")
    assert sent["provider"] == "outbox"
    mail = outbox_email(api.settings, sent["audit_id"])
    assert mail["To"] == ADMIN
    body = mail.get_body(preferencelist=("plain",))
    assert body is not None
    assert "Can Ateş" in body.get_content()

    sms = api.post(url, {"channel": "sms"}).json()  # default student: the first of the audience
    assert (sms["to"], sms["student_no"]) == ("+905321000009", "1001")
    stored = json.loads((api.settings.outbox_dir / "sms" / f"-{sms['audit_id']}.json").read_text())
    assert stored["to"] == "+905321000009"
    assert "Işıl" in stored["body"]

    # Nothing is a campaign message; each send is audited.
    assert message_rows(pg_db) == 0
    with pg_db.session() as session:
        entries = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "campaign.test_send")
        ).all()
    assert [(e.id, e.actor, e.target, e.details) for e in entries] == [
        (
            sent["audit_id"],
            ADMIN,
            f"campaign:{campaign_id}",
            {"wave": "duyuru", "channel": "email", "student_no": "1003"},
        ),
        (
            sms["audit_id"],
            ADMIN,
            f"campaign:{campaign_id}",
            {"wave": "duyuru", "channel": "sms", "student_no": "1001"},
        ),
    ]


def test_test_send_input_problems_get_422(pg_db: Database, api: Api) -> None:
    body = {**DEFINITION, "audience": {"advisor_emails": [ADVISOR_A]}}
    response = api.post("/campaigns", body, token=api.cast.coordinator)
    campaign_id = response.json()["id"]
    url = f"/campaigns/{campaign_id}/waves/duyuru/test-send"
    coordinator = api.cast.coordinator

    no_phone = api.post(url, {"channel": "sms"}, token=coordinator)
    assert no_phone.status_code == 422
    assert no_phone.json()["detail"][0]["loc"] == ["body", "channel"]
    assert "no mobile number on record" in no_phone.json()["detail"][0]["msg"]

    not_in_wave = api.post(url, {"channel": "whatsapp"}, token=coordinator)
    assert not_in_wave.status_code == 422
    assert "does not use the whatsapp channel" in not_in_wave.json()["detail"][0]["msg"]

    for bad in ({"channel": "faks"}, {"student_no": ""}, {"student_no": "1\x00"}, {"x": 1}):
        response = api.post(url, bad, token=coordinator)
        assert response.status_code == 422, bad
        assert response.json()["detail"][0]["loc"][0] == "body"
    assert api.post(url.replace("duyuru", "yok"), token=coordinator).status_code == 404
    assert not (api.settings.outbox_dir / "sms").exists() or not any(
        (api.settings.outbox_dir / "sms").iterdir()
    )
    with pg_db.session() as session:
        assert (
            session.scalar(
                select(func.count())
                .select_from(AuditEntry)
                .where(AuditEntry.action == "campaign.test_send")
            )
            == 0
        )


def test_report_serves_the_funnel_of_the_campaign(pg_db: Database, api: Api) -> None:
    campaign_id = create(api)["id"]
    assert api.post(f"/campaigns/{campaign_id}/launch").status_code == 200
    with build_runtime(api.settings) as runtime:
        runtime.tick()
    with pg_db.session() as session:
        first = session.scalars(select(Wave).where(Wave.position == 1)).one()
        assert first.status is WaveStatus.DONE

    totals = api.get(f"/campaigns/{campaign_id}/report").json()["totals"]
    assert totals["audience"] == 4
    assert totals["no_consent"] == 1  # 1002
    assert totals["sent"] == 3
    for by in Dimension:
        response = api.get(f"/campaigns/{campaign_id}/report", by=by.value)
        assert response.status_code == 200
        with pg_db.session() as session:
            report = campaign_report(session, campaign_id, by, currency=api.settings.cost_currency)
            expected = jsonable_encoder(report.as_dict())
        assert response.json() == expected
    faculties = api.get(f"/campaigns/{campaign_id}/report", by="faculty").json()["rows"]
    assert [(row["key"], row["audience"]) for row in faculties] == [
        ("Fen-Edebiyat Fakültesi", 1),
        (ENGINEERING, 3),
    ]
    bad = api.get(f"/campaigns/{campaign_id}/report", by="renk")
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["query", "by"]


def test_launching_from_the_api_leaves_a_campaign_the_scheduler_runs(
    pg_db: Database, api: Api
) -> None:
    campaign_id = create(api)["id"]
    api.post(f"/campaigns/{campaign_id}/launch")
    with pg_db.session() as session:
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None
        assert campaign.status is CampaignStatus.ACTIVE
        assert [w.start_at is not None for w in campaign.waves] == [True, True]
