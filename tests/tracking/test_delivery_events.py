"""Delivery events: stored once, statuses only move forward, opt-outs suppress."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update

from campaigns.core.db import Database
from campaigns.core.models import DeliveryEvent as StoredEvent
from campaigns.core.models import Message, MessageStatus, Suppression, utcnow
from campaigns.planning.plan_wave import plan_wave
from campaigns.tracking.delivery_events import record_events
from campaigns.tracking.links import message_token
from campaigns.tracking.optouts import handle_keyword, message_for_token, unsubscribe
from channels.base import Channel, DeliveryEvent, EventType
from tests.support import factories

T0 = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


def sent_messages(db: Database, count: int = 2, channel: str = "sms") -> list[int]:
    now = utcnow()
    with db.session() as session:
        session.add_all([factories.student() for _ in range(count)])
        campaign = factories.campaign(session, [{"channels": [channel]}], now=now)
        wave_id = campaign.waves[0].id
    with db.session() as session:
        plan_wave(session, wave_id, now=now)
        ids = list(session.scalars(select(Message.id).order_by(Message.id)))
        for i in ids:
            session.execute(
                update(Message)
                .where(Message.id == i)
                .values(status=MessageStatus.SENT, provider_message_id=f"SM{i}", sent_at=T0)
            )
    return ids


def twilio(
    message_id: int, kind: EventType, minutes: int = 1, code: str | None = None
) -> DeliveryEvent:
    return DeliveryEvent(
        type=kind,
        provider="twilio",
        occurred_at=T0 + timedelta(minutes=minutes),
        provider_message_id=f"SM{message_id}",
        message_id=message_id,
        error_code=code,
        raw={"MessageStatus": kind.value},
    )


def message(db: Database, message_id: int) -> Message:
    with db.session() as session:
        found = session.get(Message, message_id)
        assert found is not None
        return found


def test_duplicate_callbacks_are_stored_once(db: Database) -> None:
    [first, _] = sent_messages(db)
    with db.session() as session:
        once = record_events(session, [twilio(first, EventType.DELIVERED)] * 2)
    with db.session() as session:
        again = record_events(session, [twilio(first, EventType.DELIVERED, minutes=5)])
    assert (once.stored, once.duplicates, again.stored, again.duplicates) == (1, 1, 0, 1)
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(StoredEvent)) == 1
    assert message(db, first).delivered_at == T0 + timedelta(minutes=1)


def test_a_late_sent_never_overwrites_delivered(db: Database) -> None:
    [first, second] = sent_messages(db)
    with db.session() as session:
        record_events(session, [twilio(first, EventType.DELIVERED, 2)])
        record_events(session, [twilio(first, EventType.SENT, 1)])
        # Both in one batch, out of order: the result is the same.
        record_events(
            session, [twilio(second, EventType.DELIVERED, 2), twilio(second, EventType.SENT, 1)]
        )
    for message_id in (first, second):
        assert message(db, message_id).status is MessageStatus.DELIVERED


def test_a_failure_after_delivery_is_recorded_but_keeps_the_delivery(db: Database) -> None:
    [first, second] = sent_messages(db)
    with db.session() as session:
        record_events(session, [twilio(first, EventType.DELIVERED, 1)])
        record_events(session, [twilio(first, EventType.UNDELIVERED, 2, code="30003")])
        record_events(session, [twilio(second, EventType.UNDELIVERED, 2, code="30005")])
        record_events(session, [twilio(second, EventType.SENT, 1)])
    delivered, failed = message(db, first), message(db, second)
    assert delivered.status is MessageStatus.DELIVERED
    assert (delivered.failed_at, delivered.error_code) == (T0 + timedelta(minutes=2), "30003")
    assert (failed.status, failed.error_code) == (MessageStatus.FAILED, "30005")


def test_read_implies_delivery_and_resolves_an_unknown_outcome(db: Database) -> None:
    [first, _] = sent_messages(db, channel="whatsapp")
    with db.session() as session:
        session.execute(
            update(Message).where(Message.id == first).values(status=MessageStatus.UNKNOWN)
        )
        record_events(session, [twilio(first, EventType.READ, 3)])
    read = message(db, first)
    assert read.status is MessageStatus.READ
    assert read.delivered_at == read.read_at == T0 + timedelta(minutes=3)


def test_events_for_unknown_messages_are_kept_unmatched(db: Database) -> None:
    with db.session() as session:
        result = record_events(session, [twilio(424242, EventType.DELIVERED)])
        stored = session.scalars(select(StoredEvent)).one()
    assert (result.stored, result.unmatched) == (1, 1)
    assert stored.message_id is None
    assert stored.raw == {"MessageStatus": "delivered"}


def test_email_events_match_by_provider_id_and_recipient_and_suppress(db: Database) -> None:
    ids = sent_messages(db, count=3, channel="email")
    with db.session() as session:
        session.execute(update(Message).values(provider_message_id="XMSG"))
        addresses = {r.id: r.address for r in session.execute(select(Message.id, Message.address))}

    def sendgrid(i: int, kind: EventType, event_id: str) -> DeliveryEvent:
        return DeliveryEvent(
            type=kind,
            provider="sendgrid",
            occurred_at=T0,
            provider_message_id="XMSG",
            recipient=str(addresses[i]).upper(),
            event_id=event_id,
        )

    with db.session() as session:
        result = record_events(
            session,
            [
                sendgrid(ids[0], EventType.BOUNCED, "e1"),
                sendgrid(ids[1], EventType.COMPLAINED, "e2"),
                sendgrid(ids[2], EventType.DELIVERED, "e3"),
            ],
        )
        suppressed = {
            r.address: r.reason
            for r in session.execute(select(Suppression.address, Suppression.reason))
        }
    assert (result.stored, result.unmatched) == (3, 0)
    assert message(db, ids[0]).status is MessageStatus.FAILED
    assert message(db, ids[2]).status is MessageStatus.DELIVERED
    assert suppressed == {
        str(addresses[ids[0]]).lower(): "bounce",
        str(addresses[ids[1]]).lower(): "complaint",
    }
    with db.session() as session:
        record_events(session, [sendgrid(ids[1], EventType.RESUBSCRIBED, "e4")])
        assert session.scalar(select(func.count()).select_from(Suppression)) == 2


def test_stop_and_start_replies(db: Database) -> None:
    with db.session() as session:
        handle_keyword(session, Channel.SMS, "+905321112233", "stop")
        handle_keyword(session, Channel.SMS, "+905321112233", "stop")
        handle_keyword(session, Channel.WHATSAPP, "+905321112244", "stop")
        rows = session.execute(select(Suppression.channel, Suppression.address)).all()
    assert sorted((c.value, a) for c, a in rows) == [
        ("sms", "+905321112233"),
        ("whatsapp", "+905321112244"),
    ]
    with db.session() as session:
        handle_keyword(session, Channel.SMS, "+905321112233", "start")
        handle_keyword(session, Channel.SMS, "+905321112233", None)
        rows = session.execute(select(Suppression.channel, Suppression.address)).all()
    assert [(c.value, a) for c, a in rows] == [("whatsapp", "+905321112244")]


def test_unsubscribe_link_suppresses_once_and_refuses_forged_tokens(db: Database) -> None:
    [first] = sent_messages(db, count=1, channel="email")
    with db.session() as session:
        found = session.get(Message, first)
        assert found is not None
        token = message_token(first, str(found.secret))
        address = str(found.address)
    forged = token[:-1] + ("A" if token[-1] != "A" else "B")
    with db.session() as session:
        assert message_for_token(session, forged) is None
        assert unsubscribe(session, forged) is None
        assert unsubscribe(session, "nonsense") is None
        assert unsubscribe(session, token) is not None
        assert unsubscribe(session, token) is not None
        rows = session.execute(select(Suppression.address, Suppression.reason)).all()
        events = session.scalars(select(StoredEvent.type)).all()
    assert [tuple(r) for r in rows] == [(address.lower(), "unsubscribe")]
    assert events == [EventType.UNSUBSCRIBED]
