"""Finding students: filters that ignore Turkish letters and case, a name or number prefix,
pages with a total, always within a scope."""

from __future__ import annotations

import pytest
from sqlalchemy import select, true

from campaigns.core.db import Database
from campaigns.core.models import (
    Conversion,
    ConversionStage,
    Message,
    MessageStatus,
    Student,
    Suppression,
    utcnow,
)
from campaigns.students.search import search_key, search_students
from channels.base import Channel
from tests.support import factories
from tests.support.api import ADVISOR_A, SCIENCE, add_cohort


@pytest.fixture(autouse=True)
def cohort(db: Database) -> None:
    add_cohort(db)


def numbers(db: Database, **filters: object) -> tuple[int, list[str]]:
    with db.session() as session:
        scope = filters.pop("scope", true())
        page = search_students(session, scope, **filters)  # type: ignore[arg-type]
        return page.total, [s.student_no for s in page.students]


def test_names_match_by_prefix_whatever_the_turkish_letters_and_case(db: Database) -> None:
    assert search_key("IŞIL Çelik") == "isil celik"
    assert numbers(db, q="ışıl") == (1, ["1001"])
    assert numbers(db, q="ISIL C") == (1, ["1001"])
    assert numbers(db, q="şah") == (1, ["1002"])
    assert numbers(db, q="100") == (3, ["1001", "1002", "1003"])
    assert numbers(db, q="%") == (0, [])  # not a wildcard


def test_filters_combine_and_ignore_spelling(db: Database) -> None:
    assert numbers(db, faculty="fen-edebiyat fakultesi") == (1, ["2001"])
    assert numbers(db, degree="YL") == (1, ["2001"])
    assert numbers(db, advisor_email=ADVISOR_A.upper()) == (2, ["1001", "1002"])
    assert numbers(db, advisor_email=ADVISOR_A, consent=True) == (1, ["1001"])
    assert numbers(db, faculty=SCIENCE, q="can") == (0, [])


def test_pages_keep_the_total_and_the_scope_holds(db: Database) -> None:
    assert numbers(db, limit=2, offset=1) == (4, ["1002", "1003"])
    assert numbers(db, limit=None) == (4, ["1001", "1002", "1003", "2001"])
    science = Student.faculty == SCIENCE
    assert numbers(db, scope=science, q="1") == (0, [])
    assert numbers(db, scope=science) == (1, ["2001"])


def test_the_worklist_is_who_has_not_registered_or_handed_in_the_form(db: Database) -> None:
    with db.session() as session:
        now = utcnow()
        session.add_all(
            Conversion(student_no=number, stage=stage, occurred_at=now, source="test")
            for number, stage in (
                ("1001", ConversionStage.REGISTERED),
                ("1001", ConversionStage.FORM_SUBMITTED),
                ("1002", ConversionStage.REGISTERED),
            )
        )
    everyone = numbers(db)[1]
    assert numbers(db, registered=True) == (2, ["1001", "1002"])
    assert numbers(db, registered=False)[1] == [n for n in everyone if n not in ("1001", "1002")]
    assert numbers(db, registered=True, form_submitted=False) == (1, ["1002"])
    assert numbers(db, form_submitted=True) == (1, ["1001"])


def test_reach_opt_outs_and_failed_messages_filter_the_list(db: Database) -> None:
    with db.session() as session:
        session.add_all(
            [
                factories.student(student_no="88001"),
                factories.student(
                    student_no="88002",
                    email=None,
                    personal_email=None,
                    whatsapp_opt_in=False,
                    phone="+905321110002",
                ),
                factories.student(student_no="88003", phone=None, phone_is_mobile=False),
                factories.student(
                    student_no="88004", email=None, personal_email=None, phone_is_mobile=False
                ),
            ]
        )
        session.flush()
        session.add(
            Suppression(channel=Channel.SMS, address="+905321110002", reason="stop", source="t")
        )
        campaign = factories.campaign(session, [{"channels": ["sms"]}])
        wave_id = campaign.waves[0].id
        student = session.scalars(select(Student).where(Student.student_no == "88001")).one()
        session.add(
            Message(
                wave_id=wave_id,
                student_id=student.id,
                status=MessageStatus.FAILED,
                channel=Channel.SMS,
                attempts=1,
            )
        )

    def matching(**filters: object) -> list[str]:
        with db.session() as session:
            found = search_students(session, Student.student_no.startswith("8800"), **filters)  # type: ignore[arg-type]
            return [s.student_no for s in found.students]

    assert matching(reach=Channel.EMAIL) == ["88001", "88003"]
    assert matching(reach=Channel.SMS) == ["88001", "88002"]
    assert matching(reach=Channel.WHATSAPP) == ["88001"]
    assert matching(reach="none") == ["88004"]
    assert matching(stopped=True) == ["88002"]
    assert matching(stopped=False) == ["88001", "88003", "88004"]
    assert matching(failed=True) == ["88001"]
    assert matching(failed=False) == ["88002", "88003", "88004"]
