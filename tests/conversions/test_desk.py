"""The Student Affairs desk: any student by number, the membership form recorded once,
audited, credited like any conversion; nothing else reachable."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from campaigns.conversions import desk
from campaigns.core.actors import Actor
from campaigns.core.db import Database
from campaigns.core.errors import NotAllowedError, NotFoundError
from campaigns.core.models import AuditEntry, Conversion, ConversionStage, Role, Student, utcnow
from campaigns.reports.cohort_board import cohort_board
from tests.support import factories

DESK = Actor("masa@universite.example.edu.tr", Role.DESK, None, "masa@universite.example.edu.tr")
WINDOW = timedelta(days=14)


@pytest.fixture(autouse=True)
def students(db: Database) -> None:
    with db.session() as session:
        session.add(factories.student(student_no="3001", first_name="Çağla", last_name="Öztürk"))
        session.add(factories.student(student_no="3002"))
        session.execute(
            update(Student).where(Student.student_no == "3002").values(purged_at=utcnow())
        )


def test_the_form_is_recorded_once_and_audited(db: Database) -> None:
    now = utcnow()
    with db.session() as session:
        card = desk.look_up(session, DESK, " 3001 ")
        assert (card.name, card.form_received_at) == ("Çağla Öztürk", None)
        recorded = desk.record_form_received(session, DESK, "3001", window=WINDOW, now=now)
    with db.session() as session:
        again = desk.record_form_received(
            session, DESK, "3001", window=WINDOW, now=now + timedelta(days=1)
        )
        rows = session.execute(select(Conversion.stage, Conversion.source)).all()
        audited = session.scalars(select(AuditEntry.action)).all()
    assert recorded.form_received_at == again.form_received_at == now
    assert [(r.stage, r.source) for r in rows] == [(ConversionStage.FORM_SUBMITTED, "desk")]
    assert audited.count("conversion.form_received") == 1


def test_unknown_and_purged_numbers_are_not_found(db: Database) -> None:
    with db.session() as session:
        for number in ("9999", "3002"):
            with pytest.raises(NotFoundError, match="öğrenci bulunamadı"):
                desk.look_up(session, DESK, number)


@pytest.mark.parametrize("role", [Role.ADVISOR, Role.COORDINATOR])
def test_only_the_desk_and_the_alumni_office_record_forms(db: Database, role: Role) -> None:
    someone = Actor("x", role, "Mühendislik Fakültesi", "kemal.isik@universite.example.edu.tr")
    with db.session() as session, pytest.raises(NotAllowedError):
        desk.record_form_received(session, someone, "3001", window=WINDOW)
    with db.session() as session:
        assert desk.look_up(session, Actor.operator(), "3001").student_no == "3001"


def test_the_desk_reaches_no_list_of_students(db: Database) -> None:
    assert DESK.scope is None
    with db.session() as session:
        assert cohort_board(session, DESK) == []
