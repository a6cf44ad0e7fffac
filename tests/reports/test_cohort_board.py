"""The cohort board counts the caller's students per term, in SQL."""

from __future__ import annotations

from sqlalchemy import update

from campaigns.core.actors import Actor
from campaigns.core.db import Database
from campaigns.core.models import (
    Conversion,
    ConversionStage,
    Role,
    Student,
    Suppression,
    utcnow,
)
from campaigns.reports.cohort_board import Breakdown, CohortRow, cohort_board
from channels.base import Channel
from tests.support import factories

ADMIN = Actor.operator()
ADVISOR = Actor("kemal", Role.ADVISOR, None, "kemal.isik@universite.example.edu.tr")


def convert(number: str, *stages: ConversionStage) -> list[Conversion]:
    return [
        Conversion(student_no=number, stage=stage, occurred_at=utcnow(), source="test")
        for stage in stages
    ]


def test_each_term_counts_registration_form_reach_and_opt_outs(db: Database) -> None:
    with db.session() as session:
        spring = [factories.student(graduation_term="2019-2020 Bahar") for _ in range(4)]
        autumn = [factories.student(graduation_term="2020-2021 Güz") for _ in range(2)]
        other = factories.student(
            graduation_term="2020-2021 Güz", advisor_email="baska@universite.example.edu.tr"
        )
        session.add_all([*spring, *autumn, other])
        session.flush()
        # Registered and form handed in; registered only; no address at all; opted out by
        # SMS (its email stays usable); purged (not counted).
        session.add_all(
            convert(
                spring[0].student_no, ConversionStage.REGISTERED, ConversionStage.FORM_SUBMITTED
            )
        )
        session.add_all(convert(autumn[0].student_no, ConversionStage.REGISTERED))
        spring[1].email = spring[1].personal_email = None
        spring[1].phone_is_mobile = False
        session.add(
            Suppression(channel=Channel.SMS, address=spring[2].phone, reason="stop", source="test")
        )
        session.add(
            Suppression(
                channel=Channel.EMAIL,
                address=(autumn[1].personal_email or "").lower(),
                reason="unsubscribe",
                source="test",
            )
        )
        session.execute(
            update(Student).where(Student.id == spring[3].id).values(purged_at=utcnow())
        )

    with db.session() as session:
        everyone = cohort_board(session, ADMIN)
        mine = cohort_board(session, ADVISOR)

        by_advisor = cohort_board(session, ADMIN, Breakdown.advisor)

    assert everyone == [
        CohortRow("2020-2021 Güz", None, 3, 1, 0, 0, 1),
        CohortRow("2019-2020 Bahar", None, 3, 1, 1, 1, 1),
    ]
    # An advisor counts only their own students.
    assert mine == [
        CohortRow("2020-2021 Güz", None, 2, 1, 0, 0, 1),
        CohortRow("2019-2020 Bahar", None, 3, 1, 1, 1, 1),
    ]
    # Within each term, one row per advisor.
    assert by_advisor == [
        CohortRow("2020-2021 Güz", "baska@universite.example.edu.tr", 1, 0, 0, 0, 0),
        CohortRow("2020-2021 Güz", "kemal.isik@universite.example.edu.tr", 2, 1, 0, 0, 1),
        CohortRow("2019-2020 Bahar", "kemal.isik@universite.example.edu.tr", 3, 1, 1, 1, 1),
    ]
    assert everyone[1].rate(1) == 1 / 3
    assert CohortRow("x", None, 0, 0, 0, 0, 0).rate(0) is None


def test_a_user_without_a_scope_sees_an_empty_board(db: Database) -> None:
    with db.session() as session:
        session.add(factories.student())
    nobody = Actor("x", Role.ADVISOR, None, None)
    with db.session() as session:
        assert cohort_board(session, nobody) == []
