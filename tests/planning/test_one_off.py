"""A one-off reminder from a student's page: one row through the usual pipeline, never two
the same day, the usual skips, a completed campaign reopened for it and only for it."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from campaigns.core.actors import Actor
from campaigns.core.db import Database
from campaigns.core.errors import NotFoundError, StateError
from campaigns.core.models import (
    AuditEntry,
    Campaign,
    CampaignStatus,
    Message,
    MessageStatus,
    Role,
    SkipReason,
    Student,
    Wave,
    utcnow,
)
from campaigns.core.settings import Settings
from campaigns.delivery.adapter_pool import AdapterPool
from campaigns.delivery.sending import WaveSender
from campaigns.planning import one_off
from campaigns.planning.plan_wave import plan_wave
from campaigns.tracking.suppressions import suppress
from channels.base import Channel
from tests.support import factories
from tests.support.adapters import RecordingAdapter

ADVISOR = Actor(
    "kemal.isik@universite.example.edu.tr",
    Role.ADVISOR,
    email="kemal.isik@universite.example.edu.tr",
)


@pytest.fixture
def campaign_id(db: Database) -> int:
    """A completed one-wave SMS campaign that reached three students of the advisor."""
    now = utcnow()
    with db.session() as session:
        session.add_all([factories.student(student_no=f"900{i}") for i in range(3)])
        campaign = factories.campaign(
            session, [{"name": "sms", "channels": ["sms", "email"]}], now=now
        )
        campaign.scope_advisor = ADVISOR.name
        wave_id, found = campaign.waves[0].id, campaign.id
    with db.session() as session:
        plan_wave(session, wave_id, now=now)
        session.execute(
            Message.__table__.update().values(status=MessageStatus.DELIVERED, sent_at=now)
        )
        completed = session.get(Campaign, found)
        assert completed is not None
        completed.status = CampaignStatus.COMPLETED
    return found


def remind(db: Database, settings: Settings, student_no: str, campaign_id: int) -> one_off.Reminder:
    with db.session() as session:
        return one_off.remind(
            session,
            settings,
            ADVISOR,
            student_no=student_no,
            campaign_id=campaign_id,
            wave_name="sms",
            now=utcnow(),
        )


def test_one_reminder_is_sent_once_and_the_campaign_completes_again(
    db: Database, settings: Settings, campaign_id: int
) -> None:
    with db.session() as session:
        assert [c.wave for c in one_off.choices(session, ADVISOR, "9000")] == ["sms"]
    first = remind(db, settings, "9000", campaign_id)
    assert first.created
    assert first.message.status is MessageStatus.PENDING
    again = remind(db, settings, "9000", campaign_id)
    assert not again.created
    with db.session() as session:
        waves = session.scalars(select(Wave).where(Wave.campaign_id == campaign_id)).all()
        reminder_wave = next(w for w in waves if one_off.is_one_off(w))
        assert reminder_wave.name.startswith("sms · bireysel ")
        assert (
            session.scalar(
                select(func.count()).select_from(Message).where(Message.wave_id == reminder_wave.id)
            )
            == 1
        )
        reopened = session.get(Campaign, campaign_id)
        assert reopened is not None
        assert reopened.status is CampaignStatus.ACTIVE
        # A reminder's wave is not offered as a source of reminders.
        assert [c.wave for c in one_off.choices(session, ADVISOR, "9000")] == ["sms"]
        assert (
            len(
                session.scalars(
                    select(AuditEntry).where(AuditEntry.action == "message.one_off")
                ).all()
            )
            == 2
        )

    adapter = RecordingAdapter()
    sender = WaveSender(db, settings, AdapterPool(settings, dict.fromkeys(Channel, adapter)))
    sender.send_batch(reminder_wave.id)
    assert [m.channel for m in adapter.sent] == [Channel.SMS]
    with db.session() as session:
        student = session.scalars(select(Student).where(Student.student_no == "9000")).one()
        assert adapter.sent[0].to == student.phone


def test_an_opted_out_student_gets_nothing_and_the_advisor_is_told_why(
    db: Database, settings: Settings, campaign_id: int
) -> None:
    with db.session() as session:
        student = session.scalars(select(Student).where(Student.student_no == "9001")).one()
        suppress(session, Channel.SMS, student.phone or "", reason="stop", source="test")
        suppress(
            session, Channel.EMAIL, (student.email or "").lower(), reason="stop", source="test"
        )
        suppress(
            session,
            Channel.EMAIL,
            (student.personal_email or "").lower(),
            reason="stop",
            source="test",
        )
    reminder = remind(db, settings, "9001", campaign_id)
    assert reminder.skipped is SkipReason.SUPPRESSED
    with db.session() as session:
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None
        assert campaign.status is CampaignStatus.COMPLETED  # nothing to send: not reopened


def test_reminders_stay_within_scope_and_state(
    db: Database, settings: Settings, campaign_id: int
) -> None:
    with db.session() as session:
        session.add(factories.student(student_no="9100", graduation_term="2021-2022 Güz"))
        session.add(factories.student(student_no="9200", advisor_email="baska@example.edu.tr"))
    with pytest.raises(NotFoundError):  # not in the campaign's audience
        remind(db, settings, "9100", campaign_id)
    with pytest.raises(NotFoundError):  # another advisor's student
        remind(db, settings, "9200", campaign_id)
    with db.session() as session:
        paused = session.get(Campaign, campaign_id)
        assert paused is not None
        paused.status = CampaignStatus.PAUSED
    with pytest.raises(StateError):
        remind(db, settings, "9000", campaign_id)
