"""A wave sent through Netgsm (its SDK against the simulator's stand-in): the scheduler's
poll turns report lines into the same delivery events as webhooks, and inbox replies into
stored replies, İPTAL into a suppression, each once however often the inbox is read."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import func, select

from campaigns.core.db import Database
from campaigns.core.models import (
    InboundMessage,
    Message,
    MessageStatus,
    Student,
    Suppression,
    utcnow,
)
from campaigns.core.settings import Settings
from campaigns.delivery.adapter_pool import AdapterPool
from campaigns.delivery.sending import WaveSender
from campaigns.tracking.polling import poll_providers
from simulator.core import SimulatorConfig
from simulator.server import BackgroundServer, simulator_in_background
from tests.support.waves import planned_wave


@pytest.fixture
def netgsm(settings: Settings) -> Iterator[tuple[AdapterPool, BackgroundServer]]:
    config = SimulatorConfig(callback_delay=0.05, undelivered_rate=0.0)
    with simulator_in_background(config) as sim:
        env = {
            "NETGSM_USERNAME": config.netgsm_username,
            "NETGSM_PASSWORD": config.netgsm_password,
            "NETGSM_MSGHEADER": config.netgsm_msgheader,
            "NETGSM_API_URL": sim.url,
        }
        pool = AdapterPool(settings.model_copy(update={"sms_adapter": "netgsm"}), env=env)
        yield pool, sim
        pool.close()


def statuses(db: Database) -> list[MessageStatus]:
    with db.session() as session:
        return list(session.scalars(select(Message.status).order_by(Message.id)))


def test_report_lines_deliver_the_messages_once(
    db: Database, settings: Settings, netgsm: tuple[AdapterPool, BackgroundServer]
) -> None:
    pool, _ = netgsm
    wave_id = planned_wave(db, 3, channels=["sms"])
    WaveSender(db, settings, pool).send_batch(wave_id)
    assert statuses(db) == [MessageStatus.SENT] * 3
    with db.session() as session:
        providers = set(session.scalars(select(Message.provider)))
    assert providers == {"netgsm"}

    time.sleep(0.1)
    first = poll_providers(db, pool, now=utcnow())
    assert first.statuses == 3
    assert statuses(db) == [MessageStatus.DELIVERED] * 3
    # Delivered messages are not asked about again.
    assert poll_providers(db, pool, now=utcnow()).statuses == 0


def test_an_iptal_reply_suppresses_the_number_once(
    db: Database, settings: Settings, netgsm: tuple[AdapterPool, BackgroundServer]
) -> None:
    pool, sim = netgsm
    planned_wave(db, 1, channels=["sms"])
    with db.session() as session:
        phone = session.scalars(select(Student.phone)).one()
    assert phone is not None
    for text in ("İPTAL", "Kayıt olamıyorum, yardım eder misiniz?"):
        httpx.post(f"{sim.url}/_simulator/netgsm/inbox", json={"sender": phone, "message": text})

    assert poll_providers(db, pool, now=utcnow()).replies == 2
    assert poll_providers(db, pool, now=utcnow()).replies == 0  # the window overlaps
    with db.session() as session:
        stored = session.scalar(select(func.count()).select_from(InboundMessage))
        suppressed = session.scalars(select(Suppression.address)).all()
    assert stored == 2
    assert suppressed == [phone]
    # The opt-out is answered by SMS, once (the second read found nothing new).
    ledger = httpx.get(f"{sim.url}/_simulator/ledger", timeout=5).json()
    assert [e["count"] for e in ledger["accepted"] if e["recipient"] == phone] == [1]
    sent = httpx.get(f"{sim.url}/_simulator/netgsm/last", timeout=5).json()
    assert sent["messages"][0]["msg"].startswith("Mezun kampanyası mesajları artık")
