"""The desk's page: a number in, the card out, the form recorded with one button; the desk
sees no other page, and other roles do not see the desk's."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from campaigns.access import users
from campaigns.core.actors import Actor
from campaigns.core.db import Database
from campaigns.core.models import Role
from campaigns.core.settings import Settings
from tests.support import factories
from tests.support.web import client_as, csrf_of

DESK = "masa@universite.example.edu.tr"
ADVISOR = "kemal.isik@universite.example.edu.tr"


@pytest.fixture
def people(db: Database, settings: Settings) -> Iterator[tuple[TestClient, TestClient]]:
    with db.session() as session:
        users.add_user(session, Actor.operator(), email=DESK, role=Role.DESK)
        users.add_user(session, Actor.operator(), email=ADVISOR, role=Role.ADVISOR)
        session.add(factories.student(student_no="3001", first_name="Çağla", last_name="Öztürk"))
        # Another advisor's student: the desk serves every student.
        session.add(factories.student(student_no="3002", advisor_email="baska@example.edu.tr"))
    desk, advisor = client_as(settings, DESK), client_as(settings, ADVISOR)
    yield desk, advisor
    desk.__exit__(None, None, None)
    advisor.__exit__(None, None, None)


def test_the_desk_records_a_form_with_one_button(people: tuple[TestClient, TestClient]) -> None:
    desk, _ = people
    assert desk.get("/").headers["location"] == "/masa"
    card = desk.get("/masa", params={"no": "3002"})
    assert "Öztürk" not in card.text
    card = desk.get("/masa", params={"no": "3001"})
    assert '<h2 id="card-title">Çağla Öztürk</h2>' in card.text
    assert "Üyelik formunu teslim alındı olarak kaydet" in card.text

    forged = desk.post("/masa/form", data={"no": "3001", "csrf_token": "forged"})
    assert forged.status_code == 403
    done = desk.post("/masa/form", data={"no": "3001", "csrf_token": csrf_of(card.text)})
    assert done.status_code == 303
    after = desk.get(done.headers["location"])
    assert "Üyelik formu teslim alındı:" in after.text
    assert "olarak kaydet" not in after.text

    missing = desk.get("/masa", params={"no": "9999"})
    assert "Bu numarada öğrenci yok" in missing.text
    # Nothing else is open to the desk: lists are empty, students are not found.
    assert "0 öğrenci" in desk.get("/ogrenciler").text
    assert desk.get("/ogrenciler/3001").status_code == 404


def test_an_advisor_does_not_see_the_desk(people: tuple[TestClient, TestClient]) -> None:
    _, advisor = people
    assert advisor.get("/masa").status_code == 404
    assert advisor.get("/masa", params={"no": "3001"}).status_code == 404
    board = advisor.get("/")
    refused = advisor.post("/masa/form", data={"no": "3001", "csrf_token": csrf_of(board.text)})
    assert refused.status_code == 404
