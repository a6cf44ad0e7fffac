"""Test sends: composed for a student in scope, addressed to the actor, audited, and never a
campaign message."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from campaigns.core.actors import Actor
from campaigns.core.db import Database
from campaigns.core.errors import NotFoundError
from campaigns.core.models import AuditEntry, Message, Role
from campaigns.core.settings import Settings
from campaigns.delivery.adapter_pool import AdapterPool
from campaigns.delivery.trial_send import TrialChannelError, prepare_trial, send_trial
from channels.base import Channel, PermanentError
from tests.support.adapters import RecordingAdapter
from tests.support.api import ADVISOR_A, ENGINEERING, add_campaign, add_cohort

ADVISOR = Actor(ADVISOR_A, Role.ADVISOR, email=ADVISOR_A, phone="+905321000001")


@pytest.fixture
def campaign_id(db: Database) -> int:
    add_cohort(db)
    return add_campaign(db, faculty=ENGINEERING, advisor=ADVISOR_A)


def test_a_test_send_goes_to_the_actor_and_is_audited(
    db: Database, settings: Settings, campaign_id: int
) -> None:
    adapter = RecordingAdapter()
    with db.session() as session:
        trial = prepare_trial(
            session, settings, ADVISOR, campaign_id=campaign_id, wave_name="hatirlatma"
        )
    result = send_trial(AdapterPool(settings, {Channel.SMS: adapter}), trial)

    # The wave's first channel, to the advisor's own phone, for their first student.
    assert (result.channel, result.to, result.student_no) == (Channel.SMS, ADVISOR.phone, "1001")
    assert [m.to for m in adapter.sent] == [ADVISOR.phone]
    with db.session() as session:
        entry = session.scalars(select(AuditEntry)).one()
        assert session.scalar(select(func.count()).select_from(Message)) == 0
    assert (entry.actor, entry.action, entry.target) == (
        ADVISOR_A,
        "campaign.test_send",
        f"campaign:{campaign_id}",
    )
    assert entry.details == {"wave": "hatirlatma", "channel": "sms", "student_no": "1001"}
    assert trial.message.id == -entry.id == -result.audit_id


def test_a_refused_test_send_raises_the_providers_error(
    db: Database, settings: Settings, campaign_id: int
) -> None:
    refusing = RecordingAdapter(lambda m: PermanentError("unverified number", code="21608"))
    with db.session() as session:
        trial = prepare_trial(
            session, settings, ADVISOR, campaign_id=campaign_id, wave_name="duyuru"
        )
    with pytest.raises(PermanentError, match="unverified number"):
        send_trial(AdapterPool(settings, {Channel.EMAIL: refusing}), trial)


@pytest.mark.parametrize(
    ("actor", "asked", "error"),
    [
        (ADVISOR, {"channel": Channel.WHATSAPP}, TrialChannelError),
        (Actor(ADVISOR_A, Role.ADVISOR, email=ADVISOR_A), {}, TrialChannelError),
        (ADVISOR, {"student_no": "1003"}, NotFoundError),
        (ADVISOR, {"wave_name": "yok"}, NotFoundError),
    ],
    ids=["channel-not-in-wave", "no-phone", "student-out-of-scope", "no-such-wave"],
)
def test_what_cannot_be_sent_is_refused_and_leaves_nothing(
    db: Database,
    settings: Settings,
    campaign_id: int,
    actor: Actor,
    asked: dict[str, object],
    error: type[Exception],
) -> None:
    chosen = {"wave_name": "hatirlatma", **asked}
    with pytest.raises(error), db.session() as session:
        prepare_trial(session, settings, actor, campaign_id=campaign_id, **chosen)  # type: ignore[arg-type]
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(AuditEntry)) == 0
