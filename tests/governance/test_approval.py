"""Four eyes: an advisor's campaign in a faculty that asks for approval cannot be launched
until a coordinator of that faculty (or the alumni office), who is not its creator, approves
it as it is; returning needs a comment; a text edited after approval voids it; every step is
audited."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from campaigns.core.actors import Actor
from campaigns.core.db import Database
from campaigns.core.errors import NotAllowedError, NotFoundError, StateError
from campaigns.core.models import AuditEntry, CampaignStatus, Role, utcnow
from campaigns.core.settings import Settings
from campaigns.definitions import drafts
from campaigns.delivery.edited_texts import save
from campaigns.governance import approval
from campaigns.planning import launching
from campaigns.planning.launching import PreflightFailed
from tests.support.api import (
    ADMIN,
    ADVISOR_A,
    COORDINATOR,
    DEFINITION,
    ENGINEERING,
    SCIENCE,
    add_cohort,
)

ADVISOR = Actor(ADVISOR_A, Role.ADVISOR, email=ADVISOR_A)
ENGINEERING_COORDINATOR = Actor(COORDINATOR, Role.COORDINATOR, "muhendislik fakultesi", COORDINATOR)
SCIENCE_COORDINATOR = Actor("fen@universite.example.edu.tr", Role.COORDINATOR, SCIENCE)
OFFICE = Actor(ADMIN, Role.ADMIN, email=ADMIN)
NOW = datetime(2026, 6, 1, 6, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def cohort(db: Database) -> None:
    add_cohort(db)


def ruled(settings: Settings, rule: str = ENGINEERING) -> Settings:
    return settings.model_copy(update={"approval_required": rule})


def drafted(db: Database, settings: Settings, actor: Actor = ADVISOR) -> int:
    with db.session() as session:
        return drafts.create(session, actor, DEFINITION, settings=settings).id


def launch(db: Database, settings: Settings, actor: Actor, campaign_id: int) -> CampaignStatus:
    launched = launching.launch(db, settings, {}, actor, campaign_id, now=utcnow())
    return launched.campaign.status


def review(db: Database, settings: Settings, campaign_id: int) -> approval.Review:
    with db.session() as session:
        campaign = launching.lifecycle.get_campaign(session, campaign_id)
        return approval.review_of(session, settings, campaign)


def test_an_advisors_campaign_waits_for_its_faculty(db: Database, settings: Settings) -> None:
    settings = ruled(settings, "muhendislik fakultesi")  # spelled as people type it
    campaign_id = drafted(db, settings)
    with pytest.raises(PreflightFailed, match="önce onaya gönderin"):
        launch(db, settings, ADVISOR, campaign_id)

    with db.session() as session:
        approval.submit(session, settings, ADVISOR, campaign_id, now=NOW)
    with pytest.raises(PreflightFailed, match="onay bekliyor"):
        launch(db, settings, ADVISOR, campaign_id)
    with db.session() as session:
        waiting = approval.waiting_for(session, ENGINEERING_COORDINATOR)
        assert [c.id for c in waiting] == [campaign_id]
        assert [c.id for c in approval.waiting_for(session, OFFICE)] == [campaign_id]
        assert approval.waiting_for(session, ADVISOR) == []
        approval.approve(session, OFFICE, campaign_id, now=NOW)

    assert review(db, settings, campaign_id).approved
    assert launch(db, settings, ADVISOR, campaign_id) is CampaignStatus.ACTIVE
    with db.session() as session:
        steps = session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert steps == [
        "campaign.create",
        "campaign.submit",
        "campaign.approve",
        "campaign.launch",
    ]


def test_no_rule_or_another_faculty_or_the_office_needs_no_approval(
    db: Database, settings: Settings
) -> None:
    for rule, actor, needed in (
        ("", ADVISOR, False),
        (SCIENCE, ADVISOR, False),
        ("*", ADVISOR, True),
        ("*", OFFICE, False),  # the office's own campaigns are not reviewed
    ):
        campaign_id = drafted(db, settings, actor)
        assert review(db, ruled(settings, rule), campaign_id).required is needed, rule


def test_the_coordinator_of_the_faculty_approves_and_nobody_approves_their_own(
    db: Database, settings: Settings
) -> None:
    settings = ruled(settings, "*")
    engineering = {**DEFINITION, "scope": {"faculty": ENGINEERING}}
    with db.session() as session:
        # An advisor of the faculty drafting for the faculty's students: the coordinator's.
        own = drafts.create(session, OFFICE, engineering, settings=settings)
        own.creator_role, own.created_by = Role.ADVISOR.value, COORDINATOR
        campaign_id = own.id
    with db.session() as session:
        approval.submit(session, settings, OFFICE, campaign_id, now=NOW)
    with db.session() as session:
        with pytest.raises(NotAllowedError, match="kendi kampanyanızı"):
            approval.approve(session, ENGINEERING_COORDINATOR, campaign_id, now=NOW)
        with pytest.raises(NotFoundError):
            approval.approve(session, SCIENCE_COORDINATOR, campaign_id, now=NOW)
        with pytest.raises(NotAllowedError):
            approval.approve(session, ADVISOR, campaign_id, now=NOW)
        approval.approve(session, OFFICE, campaign_id, now=NOW)


def test_returning_needs_a_comment_and_the_creator_submits_again(
    db: Database, settings: Settings
) -> None:
    settings = ruled(settings)
    campaign_id = drafted(db, settings)
    with db.session() as session:
        approval.submit(session, settings, ADVISOR, campaign_id, now=NOW)
        with pytest.raises(approval.CommentRequired):
            approval.return_for_changes(session, OFFICE, campaign_id, "  ", now=NOW)
        approval.return_for_changes(session, OFFICE, campaign_id, "İkinci dalga çok erken", now=NOW)
    returned = review(db, settings, campaign_id)
    assert (returned.state, returned.comment, returned.reviewed_by) == (
        "returned",
        "İkinci dalga çok erken",
        ADMIN,
    )
    with pytest.raises(PreflightFailed, match="İkinci dalga çok erken"):
        launch(db, settings, ADVISOR, campaign_id)
    with db.session() as session:
        with pytest.raises(StateError):
            approval.approve(session, OFFICE, campaign_id, now=NOW)  # not waiting
        approval.submit(session, settings, ADVISOR, campaign_id, now=NOW)
        with pytest.raises(StateError):
            approval.submit(session, settings, ADVISOR, campaign_id, now=NOW)
        comment = session.scalars(
            select(AuditEntry.details).where(AuditEntry.action == "campaign.return")
        ).one()
    assert comment["comment"] == "İkinci dalga çok erken"


def test_a_text_edited_after_approval_sends_it_back(db: Database, settings: Settings) -> None:
    settings = ruled(settings)
    campaign_id = drafted(db, settings)
    with db.session() as session:
        approval.submit(session, settings, ADVISOR, campaign_id, now=NOW)
        seen = approval.fingerprint(session, launching.lifecycle.get_campaign(session, campaign_id))
    with db.session() as session:
        save(
            session,
            OFFICE,
            settings,
            "registration_reminder",
            "sms",
            "tr",
            "Merhaba {{ first_name }}, kayıt için son gün yarın: {{ link }}",
        )
    with db.session() as session:
        with pytest.raises(StateError, match="siz bakarken değişti"):
            approval.approve(session, OFFICE, campaign_id, now=NOW, seen=seen)
        approval.approve(session, OFFICE, campaign_id, now=NOW)
    with db.session() as session:
        save(
            session,
            OFFICE,
            settings,
            "registration_announcement",
            "sms",
            "tr",
            "Merhaba {{ first_name }}, mezun sistemine kaydolun: {{ link }}",
        )
    changed = review(db, settings, campaign_id)
    assert (changed.state, changed.changed, changed.approved) == ("approved", True, False)
    with pytest.raises(PreflightFailed, match="onaydan sonra değişti"):
        launch(db, settings, ADVISOR, campaign_id)
    # Submitted and approved again, it goes.
    with db.session() as session:
        approval.submit(session, settings, ADVISOR, campaign_id, now=NOW)
        approval.approve(session, OFFICE, campaign_id, now=NOW)
    assert launch(db, settings, ADVISOR, campaign_id) is CampaignStatus.ACTIVE


def test_a_campaign_without_need_cannot_be_submitted(db: Database, settings: Settings) -> None:
    campaign_id = drafted(db, settings)
    with db.session() as session, pytest.raises(StateError, match="onay gerektirmiyor"):
        approval.submit(session, settings, ADVISOR, campaign_id, now=NOW)
