"""Lost outcomes are reconciled with the provider, never resent blindly; a person may send
``unknown`` messages again, but never those the provider has."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import pytest
from sqlalchemy import select

from campaigns.core.actors import Actor
from campaigns.core.db import Database
from campaigns.core.errors import NotFoundError
from campaigns.core.models import (
    AuditEntry,
    CampaignStatus,
    Message,
    MessageStatus,
    Role,
    Wave,
    WaveStatus,
    utcnow,
)
from campaigns.core.settings import Settings
from campaigns.delivery.adapter_pool import AdapterPool
from campaigns.delivery.recovery import recover_stale, requeue, requeue_unknown
from channels.base import Channel, InFlight
from tests.support.adapters import RecordingAdapter
from tests.support.waves import planned_wave


class Reconciling(RecordingAdapter):
    """Knows the first message (sent), certainly never got the second, cannot tell the rest."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: list[InFlight] = []

    def reconcile(self, messages: Sequence[InFlight]) -> dict[int, str | None]:
        self.asked.extend(messages)
        first, second, *_ = sorted(m.message_id for m in messages)
        return {first: "SM-found", second: None}


def stuck(db: Database, count: int, claimed_minutes_ago: int) -> tuple[int, list[int]]:
    """A planned wave whose messages a worker claimed and then lost."""
    wave_id = planned_wave(db, count, channels=["sms"])
    with db.session() as session:
        rows = session.scalars(select(Message).order_by(Message.id)).all()
        for row in rows:
            row.status = MessageStatus.SENDING
            row.claimed_at = utcnow() - timedelta(minutes=claimed_minutes_ago)
        return wave_id, [r.id for r in rows]


def outcomes(db: Database) -> list[tuple[MessageStatus, str | None]]:
    with db.session() as session:
        rows = session.scalars(select(Message).order_by(Message.id))
        return [(r.status, r.provider_message_id) for r in rows]


def test_stale_claims_become_sent_pending_or_unknown_as_the_provider_says(
    db: Database, settings: Settings
) -> None:
    _, ids = stuck(db, 3, claimed_minutes_ago=30)
    adapter = Reconciling()
    pool = AdapterPool(settings, {Channel.SMS: adapter})
    with db.session() as session:
        report = recover_stale(session, pool, lease_seconds=600)

    assert (report.sent, report.requeued, report.unknown) == (1, 1, 1)
    assert outcomes(db) == [
        (MessageStatus.SENT, "SM-found"),
        (MessageStatus.PENDING, None),
        (MessageStatus.UNKNOWN, None),
    ]
    # The provider is asked with the recipient and the message's own link token.
    assert [m.message_id for m in adapter.asked] == ids
    assert all(m.marker and m.to.startswith("+90") for m in adapter.asked)


def test_claims_within_the_lease_are_left_to_their_worker(db: Database, settings: Settings) -> None:
    stuck(db, 2, claimed_minutes_ago=1)
    adapter = Reconciling()
    with db.session() as session:
        report = recover_stale(
            session, AdapterPool(settings, {Channel.SMS: adapter}), lease_seconds=600
        )
    assert (report.sent, report.requeued, report.unknown, adapter.asked) == (0, 0, 0, [])
    assert {s for s, _ in outcomes(db)} == {MessageStatus.SENDING}


def test_requeue_sends_unknown_again_but_refuses_what_the_provider_has(
    db: Database, settings: Settings
) -> None:
    wave_id, ids = stuck(db, 3, claimed_minutes_ago=30)
    with db.session() as session:
        for row in session.scalars(select(Message)):
            row.status = MessageStatus.UNKNOWN
            row.provider_message_id = "SM-late" if row.id == ids[0] else None
        wave = session.get(Wave, wave_id)
        assert wave is not None
        wave.status = WaveStatus.DONE
        wave.campaign.status = CampaignStatus.COMPLETED
        campaign_id = wave.campaign_id
    with db.session() as session:
        result = requeue_unknown(session, campaign_id)
    assert (result.requeued, result.refused) == (2, 1)
    assert [s for s, _ in outcomes(db)] == [
        MessageStatus.UNKNOWN,
        MessageStatus.PENDING,
        MessageStatus.PENDING,
    ]
    with db.session() as session:
        wave = session.get(Wave, wave_id)
        assert wave is not None
        # Reopened, so the scheduler sends them.
        assert (wave.status, wave.campaign.status) == (WaveStatus.SENDING, CampaignStatus.ACTIVE)


def test_a_person_sending_again_is_in_scope_and_audited(db: Database, settings: Settings) -> None:
    wave_id, ids = stuck(db, 2, claimed_minutes_ago=30)
    with db.session() as session:
        for row in session.scalars(select(Message)):
            row.status = MessageStatus.UNKNOWN
        wave = session.get(Wave, wave_id)
        assert wave is not None
        wave.campaign.scope_advisor = "baska.danisman@universite.example.edu.tr"
        campaign_id = wave.campaign_id
    outsider = Actor(
        "danisman@universite.example.edu.tr",
        Role.ADVISOR,
        email="danisman@universite.example.edu.tr",
    )
    with pytest.raises(NotFoundError), db.session() as session:
        requeue(session, outsider, campaign_id)
    with db.session() as session:
        assert requeue(session, Actor.operator(), campaign_id, [ids[0]]).requeued == 1
    with db.session() as session:
        entry = session.scalars(select(AuditEntry)).one()
    assert (entry.actor, entry.action, entry.target) == (
        Actor.operator().name,
        "messages.requeue",
        f"campaign:{campaign_id}",
    )
    assert entry.details == {"requeued": 1, "refused": 0, "chosen": 1}
    assert [s for s, _ in outcomes(db)] == [MessageStatus.PENDING, MessageStatus.UNKNOWN]
