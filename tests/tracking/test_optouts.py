"""Opt-outs students make: STOP/START replies and email's one-click unsubscribe link."""

from __future__ import annotations

from sqlalchemy import select

from campaigns.core.db import Database
from campaigns.core.models import DeliveryEvent, Message, Suppression
from campaigns.core.settings import Settings
from campaigns.tracking.links import message_token
from campaigns.tracking.optouts import handle_keyword, unsubscribe
from campaigns.tracking.suppressions import suppress
from channels.base import Channel
from tests.support.waves import sent_wave

NUMBER = "+905321234567"


def suppressions(db: Database) -> list[tuple[str, str, str]]:
    with db.session() as session:
        rows = session.scalars(select(Suppression).order_by(Suppression.id))
        return [(s.channel.value, s.address, s.reason) for s in rows]


def test_stop_suppresses_and_start_lifts_only_a_stop(db: Database) -> None:
    with db.session() as session:
        handle_keyword(session, Channel.SMS, NUMBER, "stop")
        handle_keyword(session, Channel.SMS, NUMBER, "stop")
        handle_keyword(session, Channel.WHATSAPP, NUMBER, None)  # a question, not a keyword
    assert suppressions(db) == [("sms", NUMBER, "stop")]
    with db.session() as session:
        handle_keyword(session, Channel.SMS, NUMBER, "start")
        suppress(session, Channel.WHATSAPP, NUMBER, reason="manual", source="manual")
        handle_keyword(session, Channel.WHATSAPP, NUMBER, "start")
    assert suppressions(db) == [("whatsapp", NUMBER, "manual")]


def test_the_unsubscribe_link_suppresses_the_address_once(db: Database, settings: Settings) -> None:
    sent_wave(db, settings, students=1)
    with db.session() as session:
        message = session.scalars(select(Message)).one()
    token = message_token(message.id, message.secret or "")
    with db.session() as session:
        first = unsubscribe(session, token)
        again = unsubscribe(session, token)
        forged = unsubscribe(session, message_token(message.id, "0" * 16))
    assert first is not None
    assert (first.message_id, first.channel) == (message.id, Channel.EMAIL)
    assert again == first
    assert forged is None
    assert suppressions(db) == [("email", message.address, "unsubscribe")]
    with db.session() as session:
        events = session.scalars(select(DeliveryEvent.type)).all()
    assert [str(e) for e in events] == ["unsubscribed"]
