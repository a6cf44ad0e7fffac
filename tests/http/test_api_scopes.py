"""Who sees what, endpoint by endpoint: advisor A only their students and campaigns, advisor
B's are 404 to A, the coordinator their faculty only, the admin everything. A campaign is
declared for its creator's scope (an admin may choose one) and reaches only that scope's
students, whatever is imported later; nothing outside the scope is counted or suggested."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from campaigns.core.db import Database
from campaigns.core.models import AuditEntry, Campaign, CampaignStatus, Message, Student, utcnow
from campaigns.core.settings import Settings
from campaigns.planning.plan_wave import plan_wave
from campaigns.students.audience import count_campaign_audience
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
        campaign_entries = AuditEntry.target.like("campaign:%")
        assert session.scalar(select(func.count()).where(campaign_entries)) == 0


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


def planned_students(db: Database, campaign_id: int) -> list[str]:
    """Plan the launched campaign's first wave now; the students it planned for."""
    with db.session() as session:
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None
        wave_id = campaign.waves[0].id
    with db.session() as session:
        assert plan_wave(session, wave_id, now=utcnow()).planned
    with db.session() as session:
        return sorted(
            session.scalars(
                select(Student.student_no)
                .join(Message, Message.student_id == Student.id)
                .where(Message.wave_id == wave_id)
            )
        )


def reach(db: Database, campaign_id: int) -> int:
    """How many students the campaign reaches now (its audience within its scope)."""
    with db.session() as session:
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None
        return count_campaign_audience(session, campaign)


@pytest.mark.parametrize(
    ("who", "audience", "location", "value"),
    [
        ("advisor_a", {"advisor_emails": [ADVISOR_A, ADVISOR_B]}, "advisor_emails[1]", ADVISOR_B),
        ("advisor_b", {"departments": ["Fizik"]}, "departments[0]", "Fizik"),
        ("coordinator", {"advisor_emails": [ADVISOR_C]}, "advisor_emails[0]", ADVISOR_C),
        ("coordinator", {"faculties": [SCIENCE]}, "faculties[0]", SCIENCE),
    ],
)
def test_values_found_only_outside_the_scope_are_not_found_and_nothing_is_counted(
    pg_db: Database,
    world: World,
    who: str,
    audience: dict[str, list[str]],
    location: str,
    value: str,
) -> None:
    before = stored_campaigns(pg_db)
    body = {**DEFINITION, "audience": {"graduation_terms": [TERM], **audience}}
    response = world.post(getattr(world.cast, who), "/campaigns", body)
    assert response.status_code == 422
    [problem] = response.json()["detail"]
    key, index = location.rstrip("]").split("[")
    assert problem["loc"] == ["body", "audience", key, int(index)]
    # What a value nobody has gets: no count, and no name from outside the scope (a
    # suggestion, if any, is one of the caller's own values).
    message = problem["msg"]
    assert message.startswith(f"kapsamınızdaki hiçbir öğrencide yok: {value!r}")
    assert f"no student within your scope has {value!r}" in message
    assert not any(character.isdigit() for character in message.replace(value, ""))
    visible = {
        "advisor_a": {ADVISOR_A, ENGINEERING},
        "advisor_b": {ADVISOR_B, ENGINEERING},
        "coordinator": {ADVISOR_A, ADVISOR_B, ENGINEERING},
    }[who]
    for outside in {ADVISOR_A, ADVISOR_B, ADVISOR_C, SCIENCE, "Fizik"} - visible - {value}:
        assert outside not in message
    checked = world.post(getattr(world.cast, who), "/campaigns/validate", body).json()
    assert checked["valid"] is False
    assert checked["problems"] == [problem]
    assert stored_campaigns(pg_db) == before
    with pg_db.session() as session:
        campaign_entries = AuditEntry.target.like("campaign:%")
        assert session.scalar(select(func.count()).where(campaign_entries)) == 0


def test_suggestions_come_only_from_inside_the_scope(world: World) -> None:
    # A typo one letter from advisor B's address: A is not told that B exists.
    typo = ADVISOR_B.replace("mehmet", "mehmat")
    body = {**DEFINITION, "audience": {"advisor_emails": [typo]}}
    [problem] = world.post(world.cast.advisor_a, "/campaigns/validate", body).json()["problems"]
    assert ADVISOR_B not in problem["msg"]
    assert "mehmet" not in problem["msg"]
    # The admin, who may see B, is offered the correction.
    [problem] = world.post(world.cast.admin, "/campaigns/validate", body).json()["problems"]
    assert repr(ADVISOR_B) in problem["msg"]


def test_an_advisors_campaign_reaches_only_their_students_whatever_comes_later(
    pg_db: Database, world: World
) -> None:
    body = {**DEFINITION, "audience": {"graduation_terms": [TERM]}}
    response = world.post(world.cast.advisor_a, "/campaigns", body)
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["audience"]["graduation_terms"] == [TERM]
    assert created["audience_size"] == 2  # A's two students of the term, not B's or C's
    assert created["scope_advisor"] == ADVISOR_A
    # All of A's students are engineering's: the campaign is declared for it too.
    assert created["scope_faculty"] == ENGINEERING
    assert created["created_by"] == ADVISOR_A

    # A's own campaign is visible to A, the faculty's coordinator and the admin, not to B.
    campaign_id = created["id"]
    assert world.get(world.cast.advisor_a, f"/campaigns/{campaign_id}").status_code == 200
    assert world.get(world.cast.coordinator, f"/campaigns/{campaign_id}").status_code == 200
    assert world.get(world.cast.admin, f"/campaigns/{campaign_id}").status_code == 200
    assert world.get(world.cast.advisor_b, f"/campaigns/{campaign_id}").status_code == 404

    # Students of the same term imported later for another advisor never join it: planning
    # reaches only A's students, at every wave.
    with pg_db.session() as session:
        session.add(factories.student(student_no="1004", advisor_email=ADVISOR_B))
        session.add(factories.student(student_no="2002", faculty=SCIENCE, advisor_email=None))
    assert reach(pg_db, campaign_id) == 2
    assert world.post(world.cast.advisor_a, f"/campaigns/{campaign_id}/launch").status_code == 200
    planned = planned_students(pg_db, campaign_id)
    assert planned == ["1001", "1002"]


def test_an_admins_campaign_is_theirs_until_they_declare_a_scope(
    pg_db: Database, world: World
) -> None:
    # The term's students are all advisor A's today: the campaign is still not A's.
    with pg_db.session() as session:
        session.add(
            factories.student(
                student_no="3001", graduation_term="2020-2021 Güz", advisor_email=ADVISOR_A
            )
        )
    body = {**DEFINITION, "audience": {"graduation_terms": ["2020-2021 Güz"]}}
    everyone = world.post(world.cast.admin, "/campaigns", body).json()
    assert (everyone["scope_faculty"], everyone["scope_advisor"]) == (None, None)
    assert world.get(world.cast.advisor_a, f"/campaigns/{everyone['id']}").status_code == 404
    assert (
        world.post(world.cast.advisor_a, f"/campaigns/{everyone['id']}/launch").status_code == 404
    )

    # Declared for A: A sees it, and it stays A's when other students of the term arrive.
    scoped = world.post(
        world.cast.admin, "/campaigns", {**body, "scope": {"advisor_email": ADVISOR_A.upper()}}
    ).json()
    assert scoped["scope_advisor"] == ADVISOR_A
    with pg_db.session() as session:
        session.add(
            factories.student(
                student_no="3002",
                graduation_term="2020-2021 Güz",
                faculty=SCIENCE,
                advisor_email=ADVISOR_C,
            )
        )
    assert world.post(world.cast.advisor_a, f"/campaigns/{scoped['id']}/launch").status_code == 200
    assert planned_students(pg_db, scoped["id"]) == ["3001"]


def test_only_administrators_choose_a_scope(pg_db: Database, world: World) -> None:
    body = {**DEFINITION, "scope": {"faculty": SCIENCE}}
    response = world.post(world.cast.coordinator, "/campaigns", body)
    assert response.status_code == 422
    assert [p["loc"] for p in response.json()["detail"]] == [["body", "scope"]]
    # Naming one's own scope is allowed (and changes nothing).
    own = world.post(
        world.cast.coordinator, "/campaigns", {**body, "scope": {"faculty": ENGINEERING}}
    )
    assert own.status_code == 201, own.text
    assert own.json()["scope_faculty"] == ENGINEERING
    unknown = world.post(
        world.cast.admin, "/campaigns", {**DEFINITION, "scope": {"faculty": "Tıp"}}
    )
    assert unknown.status_code == 422
    assert [p["loc"] for p in unknown.json()["detail"]] == [["body", "scope", "faculty"]]


def test_students_without_an_advisor_are_outside_every_advisors_scope(
    pg_db: Database, world: World
) -> None:
    with pg_db.session() as session:
        session.add(
            factories.student(
                student_no="1005", department="Elektrik Mühendisliği", advisor_email=None
            )
        )
    # The department has A's student 1002 and 1005, who has no advisor.
    body = {**DEFINITION, "audience": {"departments": ["Elektrik Mühendisliği"]}}
    response = world.post(world.cast.advisor_a, "/campaigns", body)
    assert response.status_code == 201, response.text
    assert response.json()["audience_size"] == 1
    assert "1005" not in student_numbers(
        world.get(world.cast.advisor_a, "/students").json()["items"]
    )
    assert world.get(world.cast.coordinator, "/students/1005").status_code == 200


def test_a_shared_department_reaches_only_the_advisors_own_students(
    pg_db: Database, world: World
) -> None:
    # The department holds A's student 1001 as well as B's 1003.
    body = {**DEFINITION, "audience": {"departments": ["Bilgisayar Mühendisliği"]}}
    response = world.post(world.cast.advisor_b, "/campaigns", body)
    assert response.status_code == 201, response.text
    assert response.json()["audience_size"] == 1
    body = {**DEFINITION, "audience": {"advisor_emails": [ADVISOR_B.upper()]}}
    response = world.post(world.cast.advisor_b, "/campaigns", body)
    assert response.status_code == 201, response.text
    assert response.json()["audience"]["advisor_emails"] == [ADVISOR_B]
    assert response.json()["audience_size"] == 1


def test_a_coordinators_campaign_stays_in_their_faculty(pg_db: Database, world: World) -> None:
    body = {**DEFINITION, "audience": {"departments": ["Bilgisayar Mühendisliği"]}}
    response = world.post(world.cast.coordinator, "/campaigns", body)
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["audience"]["departments"] == ["Bilgisayar Mühendisliği"]
    assert created["scope_faculty"] == ENGINEERING
    assert created["scope_advisor"] is None
    assert created["created_by"] == "muh.koordinator@universite.example.edu.tr"
    assert created["audience_size"] == 2

    # A later import of a science student of the same department does not join it.
    with pg_db.session() as session:
        session.add(
            factories.student(
                student_no="2002", faculty=SCIENCE, department="Bilgisayar Mühendisliği"
            )
        )
    assert reach(pg_db, created["id"]) == 2


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
