"""Two SMS providers, each with its own stand-in: Netgsm starts failing in the middle of a
wave and later recovers. Every student gets exactly one message, Netgsm's share drops to
nothing and comes back in steps, and the history says so, with the reasons."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta

import httpx
import pytest
from sqlalchemy import func, select

from campaigns.core.db import Database
from campaigns.core.models import Message, MessageStatus, ProviderChange, utcnow
from campaigns.core.settings import Settings
from campaigns.delivery import routing
from campaigns.delivery.adapter_pool import AdapterPool
from campaigns.delivery.sending import WaveSender
from channels.base import Channel
from simulator.core import SimulatorConfig
from simulator.server import BackgroundServer, simulator_in_background
from tests.support.stage import twilio_env
from tests.support.waves import planned_wave

STUDENTS = 240


@pytest.fixture
def stand_ins() -> Iterator[tuple[SimulatorConfig, BackgroundServer, BackgroundServer]]:
    netgsm = SimulatorConfig(callbacks=False, undelivered_rate=0.0, seed=1)
    twilio = SimulatorConfig(callbacks=False, undelivered_rate=0.0, seed=2)
    with simulator_in_background(netgsm) as a, simulator_in_background(twilio) as b:
        yield netgsm, a, b


def accepted(server: BackgroundServer) -> Counter[str]:
    ledger = httpx.get(f"{server.url}/_simulator/ledger", timeout=5).json()
    return Counter({e["recipient"]: e["count"] for e in ledger["accepted"]})


def test_a_failing_provider_is_demoted_and_comes_back_without_doubling_anyone(
    db: Database,
    settings: Settings,
    stand_ins: tuple[SimulatorConfig, BackgroundServer, BackgroundServer],
) -> None:
    netgsm_config, netgsm, twilio = stand_ins
    staged = settings.model_copy(
        update={
            "sms_adapter": "netgsm:70,twilio-sms:30",
            "batch_size": 20,
            "failover_errors": 10,
            "failover_window_seconds": 60,
            # No delivery callbacks here: slowness is not what this test is about.
            "slow_delivery_minutes": 10_000,
        }
    )
    env = {
        **twilio_env(twilio.url, SimulatorConfig()),
        "NETGSM_USERNAME": netgsm_config.netgsm_username,
        "NETGSM_PASSWORD": netgsm_config.netgsm_password,
        "NETGSM_MSGHEADER": netgsm_config.netgsm_msgheader,
        "NETGSM_API_URL": netgsm.url,
    }
    pool = AdapterPool(staged, env=env)
    sender = WaveSender(db, staged, pool, rng=random.Random(4))
    wave_id = planned_wave(db, STUDENTS, channels=["sms"])
    clock = utcnow()

    def send(batches: int) -> None:
        nonlocal clock
        for _ in range(batches):
            sender.send_batch(wave_id, now=clock)
            with db.session() as session:
                routing.rebalance(session, staged, clock)
            clock += timedelta(seconds=5)

    send(3)  # both providers share the work
    netgsm_config.error_rate = 1.0  # Netgsm fails from here on
    send(4)
    with db.session() as session:
        listed = routing.shares(session, Channel.SMS, staged.providers_for("sms"))
    assert {s.provider: s.current for s in listed} == {"netgsm": 0, "twilio-sms": 30}

    netgsm_config.error_rate = 0.0  # and recovers; its share comes back once quiet
    for _ in range(8):
        clock += timedelta(seconds=61)
        send(2)
    send_until_done(sender, db, wave_id, clock)

    with db.session() as session:
        statuses = Counter(session.scalars(select(Message.status)))
        providers = Counter(session.scalars(select(Message.provider)))
        changes = session.scalars(
            select(ProviderChange)
            .where(ProviderChange.provider == "netgsm")
            .order_by(ProviderChange.id)
        ).all()
    assert statuses == {MessageStatus.SENT: STUDENTS}
    # Every student exactly once, across both providers.
    together = accepted(netgsm) + accepted(twilio)
    assert len(together) == STUDENTS
    assert set(together.values()) == {1}
    assert providers["netgsm"] > 0
    assert providers["twilio-sms"] > 0
    # The switch and the return, with their reasons.
    assert [(c.weight_before, c.weight_after) for c in changes] == [(70, 0), (0, 35), (35, 70)]
    assert "failed sends" in changes[0].reason
    assert "recovered" in changes[-1].reason
    # Netgsm took messages again once it was back.
    with db.session() as session:
        after_return = session.scalar(
            select(func.count()).where(
                Message.provider == "netgsm", Message.sent_at > changes[1].at
            )
        )
    assert after_return
    pool.close()


def send_until_done(sender: WaveSender, db: Database, wave_id: int, clock: datetime) -> None:
    """Send what is left (retries included, their backoff waited out)."""
    for _ in range(100):
        with db.session() as session:
            waiting = session.scalar(
                select(func.count()).where(
                    Message.wave_id == wave_id,
                    Message.status.in_([MessageStatus.PENDING, MessageStatus.SENDING]),
                )
            )
        if not waiting:
            return
        clock += timedelta(minutes=5)
        sender.send_batch(wave_id, now=clock)
    raise AssertionError("the wave did not finish")
