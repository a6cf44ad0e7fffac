"""Drafting for an actor: checked in their scope, stored with its audit entry or not at all."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from campaigns.core.actors import Actor
from campaigns.core.db import Database
from campaigns.core.errors import InvalidDefinitionError, NotFoundError
from campaigns.core.models import AuditEntry, Campaign, Role
from campaigns.core.settings import Settings
from campaigns.definitions import drafts
from tests.support.api import ADVISOR_A, DEFINITION, ENGINEERING, add_cohort

ADVISOR = Actor(ADVISOR_A, Role.ADVISOR, email=ADVISOR_A)
OPERATOR = Actor.operator()


def stored(db: Database) -> tuple[int, list[tuple[str, str, dict[str, Any]]]]:
    with db.session() as session:
        campaigns = session.scalar(select(func.count()).select_from(Campaign)) or 0
        audit = [(e.actor, e.action, e.details) for e in session.scalars(select(AuditEntry))]
    return campaigns, audit


@pytest.fixture(autouse=True)
def cohort(db: Database) -> None:
    add_cohort(db)


def test_create_stores_the_draft_and_its_audit_entry_together(
    db: Database, settings: Settings
) -> None:
    with db.session() as session:
        campaign = drafts.create(session, ADVISOR, DEFINITION, settings=settings)
        assert (campaign.created_by, campaign.scope_advisor) == (ADVISOR_A, ADVISOR_A)
        session.rollback()  # the face failed afterwards: neither may remain
    assert stored(db) == (0, [])

    with db.session() as session:
        drafts.create(session, ADVISOR, DEFINITION, settings=settings)
    details = {"name": DEFINITION["name"], "waves": 2}
    assert stored(db) == (1, [(ADVISOR_A, "campaign.create", details)])


def test_an_advisor_drafts_for_their_own_students_only(db: Database, settings: Settings) -> None:
    with db.session() as session:
        checked = drafts.validate(session, ADVISOR, DEFINITION, settings=settings)
        everyone = drafts.validate(session, OPERATOR, DEFINITION, settings=settings)
        scoped = {**DEFINITION, "scope": {"faculty": ENGINEERING}}
        refused = drafts.validate(session, ADVISOR, scoped, settings=settings)
    # Advisor A has two of the four students.
    assert (checked.valid, checked.audience_size) == (True, 2)
    assert (everyone.valid, everyone.audience_size) == (True, 4)
    assert [p.location for p in refused.problems] == ["scope"]
    assert stored(db) == (0, [])


def test_problems_and_a_missing_scope_store_nothing(db: Database, settings: Settings) -> None:
    nobody = Actor("koordinator@universite.example.edu.tr", Role.COORDINATOR)
    with db.session() as session:
        with pytest.raises(NotFoundError):
            drafts.create(session, nobody, DEFINITION, settings=settings)
        with pytest.raises(InvalidDefinitionError) as caught:
            drafts.create(session, OPERATOR, {**DEFINITION, "waves": []}, settings=settings)
    assert [p.location for p in caught.value.problems] == ["waves"]
    assert stored(db) == (0, [])
