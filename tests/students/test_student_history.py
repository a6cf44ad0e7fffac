"""A student's history: one entry per wave that planned them, only of campaigns the reader may
open, never their address."""

from __future__ import annotations

from dataclasses import fields

from sqlalchemy import select

from campaigns.core.db import Database
from campaigns.core.models import Campaign, MessageStatus, SkipReason, Student, utcnow
from campaigns.core.settings import Settings
from campaigns.planning.plan_wave import plan_wave
from campaigns.students.history import HistoryEntry, message_history
from channels.base import Channel
from tests.support import factories
from tests.support.waves import sent_wave


def test_every_planned_message_in_campaign_and_wave_order(db: Database, settings: Settings) -> None:
    wave = sent_wave(db, settings, students=1)
    now = utcnow()
    with db.session() as session:
        student = session.scalars(select(Student)).one()
        student.whatsapp_opt_in = False
        second = factories.campaign(session, [{"channels": ["whatsapp"]}], now=now)
        second_wave = second.waves[0].id
    with db.session() as session:
        plan_wave(session, second_wave, now=now)
    with db.session() as session:
        history = message_history(session, student.id)
        visible = message_history(session, student.id, Campaign.id == wave.campaign_id)

    assert [(h.campaign_id, h.channel, h.status) for h in history] == [
        (wave.campaign_id, Channel.EMAIL, MessageStatus.SENT),
        (second.id, None, MessageStatus.SKIPPED),
    ]
    assert history[1].skip_reason is SkipReason.UNREACHABLE
    assert history[0].sent_at is not None
    assert visible == history[:1]
    assert "address" not in {f.name for f in fields(HistoryEntry)}
