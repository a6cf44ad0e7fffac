"""Shared scenarios: a small campaign run end to end, for tests of reports and their faces."""

from __future__ import annotations

from datetime import timedelta

from campaigns.conversions.recording import ConversionInput, record_conversions
from campaigns.core.db import Database
from campaigns.core.models import utcnow
from campaigns.core.settings import Settings
from campaigns.delivery.adapter_pool import AdapterPool
from campaigns.delivery.sending import WaveSender
from campaigns.planning.plan_wave import plan_wave
from channels.base import Channel, PermanentError
from tests.support import factories
from tests.support.adapters import RecordingAdapter


def two_wave_report(db: Database, settings: Settings) -> int:
    """Ten engineering students and two in medicine; two waves (email, then sms)."""
    now = utcnow()
    with db.session() as session:
        session.add_all(
            [factories.student(student_no=f"10{i}") for i in range(6)]
            + [
                factories.student(student_no="1006", contact_consent=False),
                factories.student(student_no="1007", phone=None, personal_email=None, email=None),
                factories.student(student_no="1008", personal_email="gecersiz@example.com"),
                factories.student(student_no="1009", department="Elektrik Mühendisliği"),
                factories.student(student_no="2000", faculty="Tıp Fakültesi", department="Tıp"),
                factories.student(student_no="2001", faculty="Tıp Fakültesi", department="Tıp"),
            ]
        )
        campaign = factories.campaign(
            session,
            [
                {"name": "duyuru", "channels": ["email"]},
                {
                    "name": "hatirlatma",
                    "channels": ["sms"],
                    "start_at": now.replace(year=now.year + 1),
                },
            ],
            now=now,
        )
        first, second = (w.id for w in campaign.waves)
        campaign_id = campaign.id
    bounce = RecordingAdapter(
        lambda m: (
            PermanentError("no such mailbox", code="550")
            if m.to == "gecersiz@example.com"
            else None
        )
    )
    sender = WaveSender(db, settings, AdapterPool(settings, dict.fromkeys(Channel, bounce)))
    with db.session() as session:
        plan_wave(session, first, now=now)
    sender.send_batch(first)
    # Three students register an hour after the announcement went out.
    registered = utcnow() + timedelta(hours=1)
    with db.session() as session:
        record_conversions(
            session,
            [
                ConversionInput("100", registered),
                ConversionInput("101", registered),
                ConversionInput("2000", registered),
            ],
            source="test",
        )
        wave = session.get(type(campaign.waves[1]), second)
        assert wave is not None
        wave.start_at = now
    with db.session() as session:
        plan_wave(session, second, now=now)
    sender.send_batch(second)
    return campaign_id
