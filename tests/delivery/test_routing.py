"""Shares of a channel's providers: chosen by weight, demoted on errors or slow deliveries
(never all of them), pinned by an administrator with a reason, and a row claimed for one
provider asked about only there."""

from __future__ import annotations

import random
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from campaigns.core.actors import Actor
from campaigns.core.db import Database
from campaigns.core.errors import CampaignsError, NotAllowedError
from campaigns.core.models import Message, MessageStatus, Role, utcnow
from campaigns.core.settings import Settings
from campaigns.delivery import routing
from campaigns.delivery.adapter_pool import AdapterPool
from campaigns.delivery.recovery import recover_stale
from channels.base import Channel
from simulator.core import SimulatorConfig
from simulator.server import simulator_in_background
from tests.support.stage import twilio_env
from tests.support.waves import planned_wave

ADMIN = Actor("mezun.ofisi@universite.example.edu.tr", Role.ADMIN)
SMS = [("netgsm", 70), ("twilio-sms", 30)]


@pytest.fixture
def two(settings: Settings) -> Settings:
    return settings.model_copy(
        update={"sms_adapter": "netgsm:70,twilio-sms:30", "failover_errors": 10}
    )


def test_batches_follow_the_shares(db: Database) -> None:
    rng = random.Random(1)
    with db.session() as session:
        picks = Counter(
            routing.choose(session, Channel.SMS, SMS, ["netgsm", "twilio-sms"], rng)
            for _ in range(1000)
        )
        alone = routing.choose(session, Channel.SMS, SMS, ["twilio-sms"], rng)
        nobody = routing.choose(session, Channel.SMS, SMS, [], rng)
    assert 620 < picks["netgsm"] < 780
    assert alone == "twilio-sms"
    assert nobody is None


def test_errors_demote_but_never_the_last_provider_standing(db: Database, two: Settings) -> None:
    now = utcnow()
    with db.session() as session:
        routing.record_errors(session, {"netgsm": 12, "twilio-sms": 15}, now)
        changes = routing.rebalance(session, two, now)
        listed = {s.provider: s.current for s in routing.shares(session, Channel.SMS, SMS)}
    # Netgsm (checked first) goes; Twilio, then the only one up, stays.
    assert [(c.provider, c.weight_after) for c in changes] == [("netgsm", 0)]
    assert listed == {"netgsm": 0, "twilio-sms": 30}
    with db.session() as session:
        # All at nothing would stop the channel: the largest configured share is used.
        pick = routing.choose(session, Channel.SMS, SMS, ["netgsm"], random.Random(0))
    assert pick == "netgsm"


def test_slow_deliveries_demote(db: Database, two: Settings) -> None:
    planned_wave(db, 30, channels=["sms"])
    now = utcnow()
    sent = now - timedelta(minutes=two.slow_delivery_minutes + 1)
    with db.session() as session:
        session.execute(
            update(Message).values(status=MessageStatus.SENT, sent_at=sent, provider="twilio-sms")
        )
        changes = routing.rebalance(session, two, now)
    assert [(c.provider, c.weight_after) for c in changes] == [("twilio-sms", 0)]
    assert "slow deliveries: 100%" in changes[0].reason


def test_an_administrator_pins_the_split_with_a_reason(db: Database, two: Settings) -> None:
    now = utcnow()
    advisor = Actor("kemal", Role.ADVISOR, email="kemal@example.edu.tr")
    with db.session() as session:
        with pytest.raises(NotAllowedError):
            routing.pin(session, two, advisor, Channel.SMS, {"netgsm": 100}, "test", now)
        with pytest.raises(CampaignsError, match="neden"):
            routing.pin(session, two, ADMIN, Channel.SMS, {"netgsm": 100}, " ", now)
        with pytest.raises(CampaignsError, match="not configured"):
            routing.pin(session, two, ADMIN, Channel.SMS, {"vodafone": 100}, "x", now)
        routing.pin(session, two, ADMIN, Channel.SMS, {"twilio-sms": 100}, "Netgsm bakımda", now)
        # Errors do not move a pinned split.
        routing.record_errors(session, {"twilio-sms": 50}, now)
        assert routing.rebalance(session, two, now) == []
        listed = {s.provider: s.current for s in routing.shares(session, Channel.SMS, SMS)}
        assert listed == {"netgsm": 0, "twilio-sms": 100}
        routing.unpin(session, two, ADMIN, Channel.SMS, now)
        listed = {s.provider: s.current for s in routing.shares(session, Channel.SMS, SMS)}
        history = [(c.provider, c.weight_after, c.actor) for c in routing.history(session)]
    assert listed == {"netgsm": 70, "twilio-sms": 30}
    assert ("netgsm", 0, ADMIN.name) in history
    assert history[0][2] == ADMIN.name


def test_a_row_claimed_for_one_provider_is_asked_about_only_there(
    db: Database, settings: Settings
) -> None:
    # Twilio has the larger share: the channel's default adapter. It never had the row.
    two = settings.model_copy(update={"sms_adapter": "netgsm:30,twilio-sms:70"})
    planned_wave(db, 1, channels=["sms"])
    now = utcnow()
    with db.session() as session:
        # Claimed for Netgsm, its answer lost (a timeout); Netgsm is then demoted.
        session.execute(
            update(Message).values(
                status=MessageStatus.SENDING,
                provider="netgsm",
                claimed_at=now - timedelta(hours=1),
            )
        )
        routing.pin(session, two, ADMIN, Channel.SMS, {"twilio-sms": 100}, "Netgsm down", now)
    config = SimulatorConfig(callbacks=False)
    with simulator_in_background(config) as twilio:
        env = {
            "NETGSM_USERNAME": "u",
            "NETGSM_PASSWORD": "p",
            "NETGSM_MSGHEADER": "H",
            **twilio_env(twilio.url, config),
        }
        pool = AdapterPool(two, env=env)
        with db.session() as session:
            recover_stale(session, pool, lease_seconds=60, now=now)
    with db.session() as session:
        status, provider = session.execute(select(Message.status, Message.provider)).one()
    pool.close()
    # Netgsm cannot tell: a person decides. Asking Twilio (which never had it) would have
    # put it back in the queue, and sent it a second time.
    assert (status, provider) == (MessageStatus.UNKNOWN, "netgsm")
