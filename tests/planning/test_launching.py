"""Moving a campaign along for an actor: in scope, audited with the change, the scheduler woken
only once the change is committed."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from campaigns.core.actors import Actor
from campaigns.core.db import Database
from campaigns.core.errors import NotFoundError, StateError
from campaigns.core.models import AuditEntry, Campaign, CampaignStatus, Role, utcnow
from campaigns.core.settings import Settings
from campaigns.planning import launching
from tests.support.api import ADVISOR_A, ADVISOR_B, ENGINEERING, add_campaign, add_cohort

ADVISOR = Actor(ADVISOR_A, Role.ADVISOR, email=ADVISOR_A)


@pytest.fixture
def wakes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The scheduler's wake-ups, recorded instead of sent to a broker."""
    woken: list[str] = []
    monkeypatch.setattr(launching, "wake_scheduler", lambda settings: woken.append("tick"))
    return woken


def campaign(db: Database, advisor: str, status: CampaignStatus) -> int:
    add_cohort(db)
    return add_campaign(db, faculty=ENGINEERING, advisor=advisor, status=status)


def state(db: Database, campaign_id: int) -> tuple[CampaignStatus, list[tuple[str, str]]]:
    with db.session() as session:
        row = session.get(Campaign, campaign_id)
        assert row is not None
        entries = session.execute(select(AuditEntry.actor, AuditEntry.action)).all()
        return row.status, [tuple(e) for e in entries]


def test_pause_resume_cancel_are_audited_as_the_actor(
    db: Database, settings: Settings, wakes: list[str]
) -> None:
    campaign_id = campaign(db, ADVISOR_A, CampaignStatus.ACTIVE)
    with db.session() as session:
        launching.pause(session, ADVISOR, campaign_id)
    with db.session() as session:
        launching.resume(session, settings, ADVISOR, campaign_id)
    with db.session() as session:
        launching.cancel(session, ADVISOR, campaign_id, now=utcnow())
    assert state(db, campaign_id) == (
        CampaignStatus.CANCELLED,
        [
            (ADVISOR_A, "campaign.pause"),
            (ADVISOR_A, "campaign.resume"),
            (ADVISOR_A, "campaign.cancel"),
        ],
    )
    assert wakes == ["tick"]


def test_resume_wakes_the_scheduler_only_after_the_commit(
    db: Database, settings: Settings, wakes: list[str]
) -> None:
    campaign_id = campaign(db, ADVISOR_A, CampaignStatus.PAUSED)
    with db.session() as session:
        launching.resume(session, settings, ADVISOR, campaign_id)
        assert wakes == []  # the tick would not see the change yet
        session.rollback()
    assert wakes == []
    assert state(db, campaign_id) == (CampaignStatus.PAUSED, [])


def test_outside_the_scope_nothing_changes_and_nothing_is_written(
    db: Database, settings: Settings, wakes: list[str]
) -> None:
    campaign_id = campaign(db, ADVISOR_B, CampaignStatus.PAUSED)
    for change in (
        lambda s: launching.resume(s, settings, ADVISOR, campaign_id),
        lambda s: launching.cancel(s, ADVISOR, campaign_id, now=utcnow()),
    ):
        with pytest.raises(NotFoundError), db.session() as session:
            change(session)
    assert state(db, campaign_id) == (CampaignStatus.PAUSED, [])
    assert wakes == []


def test_a_change_that_does_not_fit_the_state_is_refused(
    db: Database, settings: Settings, wakes: list[str]
) -> None:
    campaign_id = campaign(db, ADVISOR_A, CampaignStatus.DRAFT)
    with pytest.raises(StateError), db.session() as session:
        launching.pause(session, ADVISOR, campaign_id)
    assert state(db, campaign_id) == (CampaignStatus.DRAFT, [])
