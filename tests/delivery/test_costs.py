"""Twilio's prices, set after sending, replace the estimates made at send time."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from campaigns.core.db import Database
from campaigns.core.models import Message, MessageStatus, utcnow
from campaigns.core.settings import Settings
from campaigns.delivery.adapter_pool import AdapterPool
from campaigns.delivery.costs import refresh_costs
from campaigns.delivery.sending import WaveSender
from campaigns.demo.stage import provider_env
from campaigns.planning.plan_wave import plan_wave
from channels.base import Channel
from simulator.core import SimulatorConfig
from simulator.server import BackgroundServer, simulator_in_background
from tests.support import factories


@pytest.fixture
def simulator() -> Iterator[tuple[BackgroundServer, SimulatorConfig]]:
    config = SimulatorConfig(callbacks=False, undelivered_rate=0.0)
    with simulator_in_background(config) as server:
        yield server, config


def sent_sms(
    db: Database, settings: Settings, env: dict[str, str], count: int
) -> tuple[AdapterPool, list[Message]]:
    now = utcnow()
    with db.session() as session:
        session.add_all([factories.student() for _ in range(count)])
        campaign = factories.campaign(session, [{"channels": ["sms"]}], now=now)
        wave_id = campaign.waves[0].id
    with db.session() as session:
        plan_wave(session, wave_id, now=now)
    pool = AdapterPool(settings, env=env)
    WaveSender(db, settings, pool).send_batch(wave_id, now=now)
    with db.session() as session:
        # Delivered, as the status callbacks would have said.
        session.execute(update(Message).values(status=MessageStatus.DELIVERED))
        messages = list(session.scalars(select(Message).order_by(Message.id)))
    return pool, messages


def wait_until_priced(pool: AdapterPool, sids: list[str]) -> None:
    adapter = pool.for_channel(Channel.SMS)
    deadline = time.monotonic() + 20
    while len(adapter.fetch_costs(sids)) < len(sids):
        if time.monotonic() > deadline:
            pytest.fail("the simulator never priced the messages")
        time.sleep(0.1)


def test_provider_prices_replace_estimates(
    db: Database, settings: Settings, simulator: tuple[BackgroundServer, SimulatorConfig]
) -> None:
    server, config = simulator
    priced = settings.model_copy(
        update={"sms_adapter": "twilio-sms", "sms_price_per_segment": Decimal("0.01")}
    )
    pool, messages = sent_sms(db, priced, provider_env(config, server.url), 2)
    assert all(m.cost_estimated for m in messages)
    assert [m.cost for m in messages] == [Decimal("0.01") * m.segments for m in messages]
    wait_until_priced(pool, [str(m.provider_message_id) for m in messages])

    too_soon = refresh_costs(db, pool, priced, now=utcnow())
    later = refresh_costs(db, pool, priced, now=utcnow() + timedelta(minutes=5))
    again = refresh_costs(db, pool, priced, now=utcnow() + timedelta(minutes=5))
    with db.session() as session:
        after = list(session.scalars(select(Message).order_by(Message.id)))
    pool.close()
    assert (too_soon, later, again) == (0, 2, 0)
    # The simulator charges 0.04 per segment, as Twilio would say in its price.
    assert [m.cost for m in after] == [Decimal("0.04") * m.segments for m in messages]
    assert [m.cost_estimated for m in after] == [False, False]


def test_a_price_in_another_currency_keeps_the_estimate(
    db: Database, settings: Settings, simulator: tuple[BackgroundServer, SimulatorConfig]
) -> None:
    server, config = simulator
    in_lira = settings.model_copy(
        update={
            "sms_adapter": "twilio-sms",
            "sms_price_per_segment": Decimal("1.5"),
            "cost_currency": "TRY",
        }
    )
    pool, messages = sent_sms(db, in_lira, provider_env(config, server.url), 1)
    wait_until_priced(pool, [str(messages[0].provider_message_id)])
    assert refresh_costs(db, pool, in_lira, now=utcnow() + timedelta(minutes=5)) == 0
    with db.session() as session:
        after = session.scalars(select(Message)).one()
    pool.close()
    assert after.cost == Decimal("1.5") * messages[0].segments
    assert after.cost_estimated is None
