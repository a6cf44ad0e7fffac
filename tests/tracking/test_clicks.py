"""Tracked links: genuine clicks are counted, scanners and forged tokens are not."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from campaigns.core.db import Database
from campaigns.core.models import Campaign, Message, utcnow
from campaigns.core.settings import Settings
from campaigns.tracking.clicks import Click, follow, is_scanner
from campaigns.tracking.links import message_token
from tests.support.waves import sent_wave

PHONE = "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/126.0 Mobile Safari/537.36"


def test_link_scanners_and_agentless_requests_are_not_people() -> None:
    assert not is_scanner(PHONE)
    assert is_scanner(None)
    assert is_scanner("")
    assert is_scanner("WhatsApp/2.23.20.0 A")
    assert is_scanner("Mozilla/5.0 (compatible; Barracuda Sentinel)")


def test_counted_clicks_add_up_and_the_first_time_is_kept(db: Database, settings: Settings) -> None:
    sent_wave(db, settings, students=2)
    with db.session() as session:
        first, second = session.scalars(select(Message).order_by(Message.id)).all()
        goal = session.scalars(select(Campaign.goal_url)).one()
    token = message_token(first.id, first.secret or "")
    forged = message_token(second.id, "x" * 16)
    earlier = utcnow()
    with db.session() as session:
        answers = follow(
            session,
            [Click(token, counted=True), Click(token, counted=False), Click(forged, counted=True)],
            earlier,
        )
    with db.session() as session:
        follow(
            session,
            [Click(token, counted=True), Click("-" * 20, counted=True)],
            earlier + timedelta(hours=1),
        )
    assert answers == [goal, goal, None]
    with db.session() as session:
        clicked, untouched = session.scalars(select(Message).order_by(Message.id)).all()
    assert (clicked.click_count, clicked.clicked_at) == (2, earlier)
    assert (untouched.click_count, untouched.clicked_at) == (0, None)
