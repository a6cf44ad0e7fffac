"""Who sees what, endpoint by endpoint: advisor A only their students and campaigns, advisor
B's are 404 to A, the coordinator their faculty only, the admin everything. Creating a
campaign that reaches outside the caller's scope is 403 and stores nothing; otherwise the
stored audience is narrowed to the scope."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from campaigns.audience import count_audience
from campaigns.db import Database
from campaigns.models import AuditEntry, Campaign, CampaignStatus
from campaigns.settings import Settings
from tests.support import factories
from tests.support.api import (
    ADMIN,
    ADVISOR_A,
    ADVISOR_A_IMPORTED,
    ADVISOR_B,
    ADVISOR_C,
    DEFINITION,
    ENGINEERING,
    SCIENCE,
    TERM,
    Cast,
    add_campaign,
    add_cast,
    add_cohort,
    api_client,
    api_settings,
    bearer,
    campaign_status,
    student_numbers,
)

TRANSITIONS = ("launch", "pause", "resume", "cancel")


@dataclass(frozen=True)
class World:
    client: TestClient
    settings: Settings
    cast: Cast
    campaign_a: int  # advisor A's students (engineering)
    campaign_b: int  # advisor B's student (engineering)
    campaign_science: int  # advisor C's student (science)
    campaign_all: int  # the whole term: no single faculty or advisor

    def get(self, token: str, url: str, **params: Any) -> Any:
        return self.client.get(f"/api/v1{url}", headers=bearer(token), params=params)

    def post(self, token: str, url: str, body: Any = None) -> Any:
        return self.client.post(f"/api/v1{url}", headers=bearer(token), json=body)


@pytest.fixture
def world(pg_db: Database, tmp_path: Path) -> Iterator[World]:
    add_cohort(pg_db)
    cast = add_cast(pg_db)
    settings = api_settings(pg_db, tmp_path)
    ids = (
        add_campaign(
            pg_db,
            faculty=ENGINEERING,
            advisor=ADVISOR_A,
            audience={
                "graduation_terms": [TERM],
                "advisor_emails": [ADVISOR_A_IMPORTED, ADVISOR_A],
            },
        ),
        add_campaign(
            pg_db,
            faculty=ENGINEERING,
            advisor=ADVISOR_B,
            audience={"graduation_terms": [TERM], "advisor_emails": [ADVISOR_B]},
        ),
        add_campaign(pg_db, faculty=SCIENCE, advisor=ADVISOR_C, audience={"faculties": [SCIENCE]}),
        add_campaign(pg_db, faculty=None, advisor=None),
    )
    with api_client(settings) as client:
        yield World(client, settings, cast, *ids)


def not_found(kind: str, key: object) -> dict[str, str]:
    if kind == "student":
        return {"detail": f"öğrenci bulunamadı / student not found: {key}"}
    return {"detail": f"{key} numaralı kampanya bulunamadı / campaign {key} not found"}


def outbox_files(settings: Settings) -> list[Path]:
    return sorted(p for p in settings.outbox_dir.rglob("*") if p.is_file())


# --- students --------------------------------------------------------------------------------


def test_student_lists_hold_only_the_callers_students(world: World) -> None:
    seen = {
        name: student_numbers(world.get(getattr(world.cast, name), "/students").json()["items"])
        for name in ("advisor_a", "advisor_b", "coordinator", "admin")
    }
    assert seen == {
        "advisor_a": ["1001", "1002"],  # 1001's advisor address is in capitals: still A's
        "advisor_b": ["1003"],
        "coordinator": ["1001", "1002", "1003"],
        "admin": ["1001", "1002", "1003", "2001"],
    }
    # A filter naming someone else's students finds nothing rather than widening the scope.
    other = world.get(world.cast.advisor_a, "/students", advisor_email=ADVISOR_B).json()
    assert other["total"] == 0
    assert other["items"] == []
    science = world.get(world.cast.coordinator, "/students", faculty=SCIENCE).json()
    assert science["total"] == 0


@pytest.mark.parametrize(
    ("who", "visible", "hidden"),
    [
        ("advisor_a", ["1001", "1002"], ["1003", "2001"]),
        ("advisor_b", ["1003"], ["1001", "1002", "2001"]),
        ("coordinator", ["1001", "1002", "1003"], ["2001"]),
        ("admin", ["1001", "1002", "1003", "2001"], []),
    ],
)
def test_student_detail_outside_the_scope_is_404_as_if_missing(
    world: World, who: str, visible: list[str], hidden: list[str]
) -> None:
    token = getattr(world.cast, who)
    for number in visible:
        response = world.get(token, f"/students/{number}")
        assert response.status_code == 200
        assert response.json()["student_no"] == number
    for number in [*hidden, "9999"]:
        response = world.get(token, f"/students/{number}")
        assert response.status_code == 404
        assert response.json() == not_found("student", number)


# --- campaigns -------------------------------------------------------------------------------


def test_campaign_lists_hold_only_the_callers_campaigns(world: World) -> None:
    def ids(token: str) -> list[int]:
        return [c["id"] for c in world.get(token, "/campaigns").json()]

    assert ids(world.cast.advisor_a) == [world.campaign_a]
    assert ids(world.cast.advisor_b) == [world.campaign_b]
    assert ids(world.cast.coordinator) == [world.campaign_a, world.campaign_b]
    assert ids(world.cast.admin) == [
        world.campaign_a,
        world.campaign_b,
        world.campaign_science,
        world.campaign_all,
    ]


def visibility(world: World) -> dict[str, tuple[list[int], list[int]]]:
    a, b, science, everyone = (
        world.campaign_a,
        world.campaign_b,
        world.campaign_science,
        world.campaign_all,
    )
    return {
        "advisor_a": ([a], [b, science, everyone]),
        "advisor_b": ([b], [a, science, everyone]),
        "coordinator": ([a, b], [science, everyone]),
        "admin": ([a, b, science, everyone], []),
    }


@pytest.mark.parametrize("who", ["advisor_a", "advisor_b", "coordinator", "admin"])
def test_campaign_reads_outside_the_scope_are_404(world: World, who: str) -> None:
    token = getattr(world.cast, who)
    visible, hidden = visibility(world)[who]
    for campaign_id in visible:
        assert world.get(token, f"/campaigns/{campaign_id}").json()["id"] == campaign_id
        assert world.get(token, f"/campaigns/{campaign_id}/report").status_code == 200
        report = world.get(token, f"/campaigns/{campaign_id}/report", by="wave").json()
        assert report["campaign"]["id"] == campaign_id
    for campaign_id in [*hidden, 987654]:
        for url in (
            f"/campaigns/{campaign_id}",
            f"/campaigns/{campaign_id}/report",
            f"/campaigns/{campaign_id}/waves/duyuru/preview",
        ):
            response = world.get(token, url)
            assert response.status_code == 404, url
            assert response.json() == not_found("campaign", campaign_id)


@pytest.mark.parametrize("who", ["advisor_a", "advisor_b", "coordinator"])
def test_campaign_actions_outside_the_scope_are_404_and_change_nothing(
    pg_db: Database, world: World, who: str
) -> None:
    token = getattr(world.cast, who)
    _, hidden = visibility(world)[who]
    for campaign_id in hidden:
        for action in TRANSITIONS:
            response = world.post(token, f"/campaigns/{campaign_id}/{action}")
            assert response.status_code == 404, (campaign_id, action)
            assert response.json() == not_found("campaign", campaign_id)
        response = world.post(token, f"/campaigns/{campaign_id}/waves/duyuru/test-send")
        assert response.status_code == 404
        assert campaign_status(pg_db, campaign_id) is CampaignStatus.DRAFT
    assert outbox_files(world.settings) == []
    with pg_db.session() as session:
        assert session.scalar(select(func.count()).select_from(AuditEntry)) == 0


@pytest.mark.parametrize("who", ["advisor_a", "advisor_b", "coordinator", "admin"])
def test_campaign_actions_within_the_scope_work(pg_db: Database, world: World, who: str) -> None:
    token = getattr(world.cast, who)
    campaign_id = visibility(world)[who][0][0]
    expected = {"launch": "active", "pause": "paused", "resume": "active", "cancel": "cancelled"}
    for action, status in expected.items():
        response = world.post(token, f"/campaigns/{campaign_id}/{action}")
        assert response.status_code == 200, response.text
        assert response.json()["status"] == status
    assert campaign_status(pg_db, campaign_id) is CampaignStatus.CANCELLED


def test_preview_and_test_send_refuse_students_outside_the_scope(world: World) -> None:
    token = world.cast.advisor_a
    base = f"/campaigns/{world.campaign_a}/waves/duyuru"
    own = world.get(token, f"{base}/preview", student="1001")
    assert own.status_code == 200
    assert own.json()["student_no"] == "1001"
    # Without a student: the first one of the audience within the scope.
    assert world.get(token, f"{base}/preview").json()["student_no"] == "1001"
    for number in ("1003", "2001"):
        response = world.get(token, f"{base}/preview", student=number)
        assert response.status_code == 404
        assert response.json() == not_found("student", number)
        response = world.post(token, f"{base}/test-send", {"student_no": number})
        assert response.status_code == 404
        assert response.json() == not_found("student", number)
    assert outbox_files(world.settings) == []


def test_audit_log_is_for_admins_only(world: World) -> None:
    for who in ("advisor_a", "advisor_b", "coordinator"):
        response = world.get(getattr(world.cast, who), "/audit")
        assert response.status_code == 403
        assert response.json() == {
            "detail": "yalnızca yöneticiler / only administrators may do this"
        }
    assert world.get(world.cast.admin, "/audit").status_code == 200


# --- creating --------------------------------------------------------------------------------


def stored_campaigns(db: Database) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(Campaign)) or 0


@pytest.mark.parametrize(
    ("who", "audience", "outside"),
    [
        ("advisor_a", {"graduation_terms": [TERM]}, 2),
        ("advisor_a", {"advisor_emails": [ADVISOR_A, ADVISOR_B]}, 1),
        ("advisor_b", {"faculties": [ENGINEERING]}, 2),
        ("coordinator", {"graduation_terms": [TERM]}, 1),
        ("coordinator", {"advisor_emails": [ADVISOR_C]}, 1),
    ],
)
def test_creating_a_campaign_reaching_outside_the_scope_is_403_and_stores_nothing(
    pg_db: Database, world: World, who: str, audience: dict[str, list[str]], outside: int
) -> None:
    before = stored_campaigns(pg_db)
    body = {**DEFINITION, "audience": audience}
    response = world.post(getattr(world.cast, who), "/campaigns", body)
    assert response.status_code == 403
    detail = response.json()["detail"]
    assert f"yetki alanınız dışında {outside} öğrenci" in detail
    assert f"includes {outside} student(s) outside your scope" in detail
    assert stored_campaigns(pg_db) == before
    # Validation says the same, and stores nothing either.
    checked = world.post(getattr(world.cast, who), "/campaigns/validate", body).json()
    assert checked["valid"] is False
    assert checked["problems"][0]["loc"] == ["body", "audience"]
    assert stored_campaigns(pg_db) == before
    with pg_db.session() as session:
        assert session.scalar(select(func.count()).select_from(AuditEntry)) == 0


def test_students_without_an_advisor_are_outside_every_advisors_scope(
    pg_db: Database, world: World
) -> None:
    with pg_db.session() as session:
        session.add(
            factories.student(
                student_no="1005", department="Elektrik Mühendisliği", advisor_email=None
            )
        )
    body = {**DEFINITION, "audience": {"departments": ["Elektrik Mühendisliği"]}}
    before = stored_campaigns(pg_db)
    response = world.post(world.cast.advisor_a, "/campaigns", body)
    assert response.status_code == 403
    assert "includes 1 student(s) outside your scope" in response.json()["detail"]
    assert stored_campaigns(pg_db) == before
    assert "1005" not in student_numbers(
        world.get(world.cast.advisor_a, "/students").json()["items"]
    )
    assert world.get(world.cast.coordinator, "/students/1005").status_code == 200


def test_an_advisors_campaign_is_narrowed_to_their_students(pg_db: Database, world: World) -> None:
    body = {**DEFINITION, "audience": {"graduation_terms": [TERM], "advisor_emails": [ADVISOR_A]}}
    response = world.post(world.cast.advisor_a, "/campaigns", body)
    assert response.status_code == 201, response.text
    created = response.json()
    # Both spellings the registrar used for A's address, nobody else's.
    assert created["audience"]["advisor_emails"] == [ADVISOR_A_IMPORTED, ADVISOR_A]
    assert created["audience"]["graduation_terms"] == [TERM]
    assert created["audience_size"] == 2
    assert created["scope_advisor"] == ADVISOR_A
    assert created["scope_faculty"] == ENGINEERING
    assert created["created_by"] == ADVISOR_A

    # A's own campaign is now visible to A and the coordinator, not to B.
    campaign_id = created["id"]
    assert world.get(world.cast.advisor_a, f"/campaigns/{campaign_id}").status_code == 200
    assert world.get(world.cast.coordinator, f"/campaigns/{campaign_id}").status_code == 200
    assert world.get(world.cast.advisor_b, f"/campaigns/{campaign_id}").status_code == 404

    # Students of the same term imported later for another advisor never join it.
    with pg_db.session() as session:
        session.add(factories.student(student_no="1004", advisor_email=ADVISOR_B))
    with pg_db.session() as session:
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None
        assert count_audience(session, campaign.audience) == 2


def test_an_advisor_is_refused_a_shared_department_but_not_their_own_address(
    pg_db: Database, world: World
) -> None:
    # The department holds A's student 1001 as well as B's 1003: B is refused.
    body = {**DEFINITION, "audience": {"departments": ["Bilgisayar Mühendisliği"]}}
    assert world.post(world.cast.advisor_b, "/campaigns", body).status_code == 403
    body = {**DEFINITION, "audience": {"advisor_emails": [ADVISOR_B.upper()]}}
    response = world.post(world.cast.advisor_b, "/campaigns", body)
    assert response.status_code == 201, response.text
    assert response.json()["audience"]["advisor_emails"] == [ADVISOR_B]
    assert response.json()["audience_size"] == 1


def test_a_coordinators_campaign_is_narrowed_to_their_faculty(
    pg_db: Database, world: World
) -> None:
    # Every student of this department is an engineer: in scope, and the faculty is added.
    body = {**DEFINITION, "audience": {"departments": ["Bilgisayar Mühendisliği"]}}
    response = world.post(world.cast.coordinator, "/campaigns", body)
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["audience"]["faculties"] == [ENGINEERING]
    assert created["audience"]["departments"] == ["Bilgisayar Mühendisliği"]
    assert created["scope_faculty"] == ENGINEERING
    assert created["scope_advisor"] is None  # A's and B's students
    assert created["created_by"] == "muh.koordinator@universite.example.edu.tr"

    # A later import of a science student of the same department does not join it.
    with pg_db.session() as session:
        session.add(
            factories.student(
                student_no="2002", faculty=SCIENCE, department="Bilgisayar Mühendisliği"
            )
        )
    with pg_db.session() as session:
        campaign = session.get(Campaign, created["id"])
        assert campaign is not None
        assert count_audience(session, campaign.audience) == 2


def test_an_admins_campaign_keeps_its_audience(pg_db: Database, world: World) -> None:
    response = world.post(world.cast.admin, "/campaigns", DEFINITION)
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["audience"] == {
        "graduation_terms": [TERM],
        "faculties": [],
        "departments": [],
        "degrees": [],
        "advisor_emails": [],
    }
    assert created["audience_size"] == 4
    assert created["scope_faculty"] is None
    assert created["scope_advisor"] is None
    assert created["created_by"] == ADMIN
    # Only the admin sees a campaign spanning faculties.
    assert world.get(world.cast.coordinator, f"/campaigns/{created['id']}").status_code == 404
