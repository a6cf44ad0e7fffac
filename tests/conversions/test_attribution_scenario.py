"""A campaign of three waves, start to finish: students follow their tracked links, the
alumni system reports registrations through its signed webhook between waves, and the
final report credits each registration to the right wave, exactly."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from campaigns.conversions.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from campaigns.core.db import Database
from campaigns.core.models import Message, Student, Wave
from campaigns.core.settings import Settings
from campaigns.delivery.adapter_pool import AdapterPool
from campaigns.delivery.sending import WaveSender
from campaigns.planning.plan_wave import plan_wave
from campaigns.reports.funnel import Dimension, campaign_report
from campaigns.tracking.links import message_token
from channels.base import Channel
from tests.support import factories
from tests.support.adapters import RecordingAdapter
from tests.support.http import client_for

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SECRET = "alumni-system-secret"
BROWSER = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) Safari/604.1"
NUMBER = {letter: str(9001 + i) for i, letter in enumerate("ABCDEFGHIJ")}


def day(n: float) -> datetime:
    return T0 + timedelta(days=n)


def register(client: TestClient, *entries: tuple[str, datetime, str]) -> None:
    body = json.dumps(
        {
            "conversions": [
                {"student_no": NUMBER[who], "registered_at": at.isoformat(), "stage": stage}
                for who, at, stage in entries
            ]
        }
    ).encode()
    timestamp = str(int(time.time()))
    response = client.post(
        "/conversions",
        content=body,
        headers={
            "Content-Type": "application/json",
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: sign(SECRET, timestamp, body),
        },
    )
    assert response.status_code == 200, response.text


def click(client: TestClient, db: Database, student: str, wave: str) -> None:
    with db.session() as session:
        message = session.execute(
            select(Message.id, Message.secret)
            .join(Student, Student.id == Message.student_id)
            .join(Wave, Wave.id == Message.wave_id)
            .where(Student.student_no == NUMBER[student], Wave.name == wave)
        ).one()
    response = client.get(
        f"/r/{message_token(message.id, str(message.secret))}", headers={"User-Agent": BROWSER}
    )
    assert response.status_code == 302


@pytest.fixture
def scenario_settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "conversion_secret": SECRET,
            "email_price_per_message": Decimal("0.001"),
            "sms_price_per_segment": Decimal("0.05"),
            "whatsapp_price_per_message": Decimal("0.01"),
        }
    )


def test_three_waves_with_clicks_and_webhook_registrations(
    db: Database, scenario_settings: Settings
) -> None:
    with db.session() as session:
        session.add_all([factories.student(student_no=no) for no in NUMBER.values()])
        campaign = factories.campaign(
            session,
            [
                {"name": "duyuru", "channels": ["email"], "start_at": day(0)},
                {"name": "sms", "channels": ["sms"], "start_at": day(3)},
                {"name": "whatsapp", "channels": ["whatsapp"], "start_at": day(7)},
            ],
            now=T0,
        )
        campaign_id = campaign.id
        waves = {w.name: w.id for w in campaign.waves}
    sender = WaveSender(
        db, scenario_settings,
        AdapterPool(scenario_settings, dict.fromkeys(Channel, RecordingAdapter())),
    )  # fmt: skip

    def run_wave(name: str, at: datetime) -> None:
        with db.session() as session:
            plan_wave(session, waves[name], now=at)
        sender.send_batch(waves[name], now=at)

    with client_for(scenario_settings) as client:
        run_wave("duyuru", day(0))  # 10 emails
        click(client, db, "A", "duyuru")
        click(client, db, "B", "duyuru")
        click(client, db, "B", "duyuru")  # a second click: one clicked message
        register(client, ("A", day(1), "registered"), ("B", day(1), "registered"))
        run_wave("sms", day(3))  # 8 SMS: A and B have registered
        click(client, db, "C", "sms")
        register(
            client,
            ("C", day(4), "registered"),
            ("D", day(5), "registered"),
            ("A", day(6), "form_submitted"),
        )
        run_wave("whatsapp", day(7))  # 6 WhatsApp messages
        register(client, ("F", day(8), "registered"))
        # G registers three weeks after the last message: outside the 14-day window.
        register(client, ("G", day(30), "registered"))
        # A webhook retried later with a later time changes nothing.
        register(client, ("A", day(2), "registered"))

    with db.session() as session:
        totals = campaign_report(session, campaign_id).totals
        rows = {r["key"]: r for r in campaign_report(session, campaign_id, Dimension.wave).rows}
        costs = {
            name: float(
                session.scalar(select(func.sum(Message.cost)).where(Message.wave_id == wid))
            )
            for name, wid in waves.items()
        }
    figures = ("sent", "clicked", "converted", "form_submitted", "attributed",
               "attributed_forms", "median_hours_to_convert")  # fmt: skip
    assert {name: tuple(rows[name][f] for f in figures) for name in rows} == {
        # Registered and forms count the wave's students who converted after one of its
        # messages went out; the attributed ones are those its messages are credited with.
        #           sent clicked reg. forms attributed forms median h
        "duyuru": (10, 2, 6, 1, 2, 1, 24.0),  # A, B registered a day after the email
        "sms": (8, 1, 4, 0, 2, 0, 108.0),  # C (clicked) on day 4, D on day 5; then F, G
        "whatsapp": (6, 0, 2, 0, 1, 0, 192.0),  # F on day 8; G is too late to credit
    }
    assert {f: totals[f] for f in figures} == {
        "sent": 24,
        "clicked": 3,
        "converted": 6,
        "form_submitted": 1,
        "attributed": 5,
        "attributed_forms": 1,
        # From each student's first message (day 0): 24, 24, 96, 120, 192 hours.
        "median_hours_to_convert": 96.0,
    }
    assert totals["conversion_rate"] == 0.6
    for name, cost in costs.items():
        assert rows[name]["cost_per_conversion"] == pytest.approx(
            cost / rows[name]["attributed"], abs=1e-4
        )
    assert totals["cost_per_conversion"] == pytest.approx(sum(costs.values()) / 5, abs=1e-4)
