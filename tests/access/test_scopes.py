"""Scopes as SQL: what each actor may see, and that the rest does not exist for them."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from campaigns.access import scopes
from campaigns.core.actors import Actor
from campaigns.core.db import Database
from campaigns.core.errors import NotFoundError
from campaigns.core.models import Role, Student
from tests.support.api import (
    ADMIN,
    ADVISOR_A,
    ADVISOR_B,
    COORDINATOR,
    ENGINEERING,
    SCIENCE,
    add_campaign,
    add_cohort,
)

ADMIN_ACTOR = Actor(ADMIN, Role.ADMIN, email=ADMIN)
ADVISOR_A_ACTOR = Actor(ADVISOR_A, Role.ADVISOR, email=ADVISOR_A)
ADVISOR_B_ACTOR = Actor(ADVISOR_B, Role.ADVISOR, email=ADVISOR_B)
# Spelled as a person types it: faculties match however they are spelled.
COORDINATOR_ACTOR = Actor(COORDINATOR, Role.COORDINATOR, faculty="muhendislik fakultesi")


def visible_students(db: Database, actor: Actor) -> list[str]:
    with db.session() as session:
        condition = scopes.student_condition(session, actor)
        query = select(Student.student_no).where(condition).order_by(Student.student_no)
        return list(session.scalars(query))


@pytest.fixture
def cohort(db: Database) -> None:
    add_cohort(db)


@pytest.mark.usefixtures("cohort")
def test_each_actor_sees_the_students_of_their_scope(db: Database) -> None:
    assert visible_students(db, ADMIN_ACTOR) == ["1001", "1002", "1003", "2001"]
    assert visible_students(db, COORDINATOR_ACTOR) == ["1001", "1002", "1003"]
    # The registrar spelled advisor A's address in capitals once: still theirs.
    assert visible_students(db, ADVISOR_A_ACTOR) == ["1001", "1002"]
    assert visible_students(db, ADVISOR_B_ACTOR) == ["1003"]
    assert visible_students(db, Actor("c", Role.COORDINATOR)) == []


@pytest.mark.usefixtures("cohort")
def test_campaigns_outside_the_scope_do_not_exist(db: Database) -> None:
    mine = add_campaign(db, faculty=ENGINEERING, advisor=ADVISOR_A)
    theirs = add_campaign(db, faculty=ENGINEERING, advisor=ADVISOR_B)
    science = add_campaign(db, faculty=SCIENCE, advisor=None)
    with db.session() as session:
        assert scopes.get_campaign(session, ADVISOR_A_ACTOR, mine).id == mine
        for hidden in (theirs, science):
            with pytest.raises(NotFoundError):
                scopes.get_campaign(session, ADVISOR_A_ACTOR, hidden)
        seen = [c.id for c in scopes.list_campaigns(session, COORDINATOR_ACTOR)]
        assert seen == [mine, theirs]
        assert [c.id for c in scopes.list_campaigns(session, ADMIN_ACTOR)] == [
            mine,
            theirs,
            science,
        ]


@pytest.mark.usefixtures("cohort")
def test_the_chosen_student_is_asked_for_or_the_first_in_scope(db: Database) -> None:
    everyone = add_campaign(db, faculty=None, advisor=None)
    with db.session() as session:
        campaign = scopes.get_campaign(session, ADMIN_ACTOR, everyone)
        assert scopes.chosen_student(session, ADVISOR_B_ACTOR, campaign, None).student_no == "1003"
        assert scopes.chosen_student(session, ADMIN_ACTOR, campaign, "2001").student_no == "2001"
        with pytest.raises(NotFoundError):
            scopes.chosen_student(session, ADVISOR_B_ACTOR, campaign, "1001")
        with pytest.raises(NotFoundError):
            scopes.chosen_student(session, Actor("c", Role.COORDINATOR), campaign, None)
