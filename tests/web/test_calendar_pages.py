"""The calendar page: everyone reads the closed days; the faculty's coordinator closes its
days (a problem is shown at its field, nothing kept) and reopens them; an advisor may not;
a form without its token does nothing."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from campaigns.access import users
from campaigns.core.actors import Actor
from campaigns.core.db import Database
from campaigns.core.models import ClosedDay, Role, utcnow
from campaigns.core.settings import Settings
from tests.support import factories
from tests.support.web import ADVISOR, client_as, csrf_of

COORDINATOR = "muh.koordinator@universite.example.edu.tr"
FACULTY = "Mühendislik Fakültesi"


@dataclass
class Pair:
    advisor: TestClient
    coordinator: TestClient
    settings: Settings


@pytest.fixture
def pair(db: Database, settings: Settings) -> Iterator[Pair]:
    with db.session() as session:
        users.add_user(session, Actor.operator(), email=ADVISOR, role=Role.ADVISOR)
        users.add_user(
            session, Actor.operator(), email=COORDINATOR, role=Role.COORDINATOR, faculty=FACULTY
        )
        session.add_all([factories.student(), factories.student(faculty="Fen Fakültesi")])
    clients = client_as(settings, ADVISOR), client_as(settings, COORDINATOR)
    yield Pair(*clients, settings)
    for client in clients:
        client.__exit__(None, None, None)


def kept(db: Database) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(ClosedDay)) or 0


def test_the_coordinator_closes_and_reopens_their_facultys_days(pair: Pair, db: Database) -> None:
    today = utcnow().astimezone(pair.settings.zone).date()
    page = pair.coordinator.get("/takvim").text
    assert "Günleri kapat" in page
    assert '<option value="Fen Fakültesi"' not in page  # not theirs to close
    assert "Herkes (tüm üniversite)" not in page  # the alumni office's
    form = {
        "csrf_token": csrf_of(page),
        "first_day": (today + timedelta(days=3)).isoformat(),
        "last_day": today.isoformat(),
        "reason": "Fakülte kurulu",
        "faculty": FACULTY,
    }
    wrong = pair.coordinator.post("/takvim", data=form)
    assert wrong.status_code == 422
    assert 'id="last_day-error"' in wrong.text
    assert 'aria-invalid="true"' in wrong.text
    assert 'value="Fakülte kurulu"' in wrong.text  # what was typed stays
    assert kept(db) == 0
    done = pair.coordinator.post("/takvim", data={**form, "last_day": ""})
    assert (done.status_code, done.headers["location"]) == (303, "/takvim")
    assert kept(db) == 1

    seen = pair.advisor.get("/takvim").text
    assert "Fakülte kurulu" in seen
    assert "Yeniden aç" not in seen
    assert "Günleri kapat" not in seen
    with db.session() as session:
        closed_id = session.scalars(select(ClosedDay.id)).one()
    refused = pair.advisor.post(f"/takvim/{closed_id}/ac", data={"csrf_token": csrf_of(seen)})
    assert refused.status_code == 403
    stale = pair.coordinator.post(f"/takvim/{closed_id}/ac", data={"csrf_token": "x"})
    assert stale.status_code == 403
    assert kept(db) == 1
    page = pair.coordinator.get("/takvim").text
    reopened = pair.coordinator.post(f"/takvim/{closed_id}/ac", data={"csrf_token": csrf_of(page)})
    assert reopened.status_code == 303
    assert kept(db) == 0


def test_an_advisor_cannot_close_days(pair: Pair, db: Database) -> None:
    page = pair.advisor.get("/takvim").text
    today = utcnow().astimezone(pair.settings.zone).date().isoformat()
    answer = pair.advisor.post(
        "/takvim",
        data={
            "csrf_token": csrf_of(page),
            "first_day": today,
            "reason": "Tatil",
            "faculty": FACULTY,
        },
    )
    assert answer.status_code == 403
    assert kept(db) == 0
