"""Provider webhooks through the app: signed, stored once, forward-only, 403 when forged."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from twilio.request_validator import RequestValidator

from campaigns.core.db import Database
from campaigns.core.models import DeliveryEvent, InboundMessage, Message, MessageStatus, Suppression
from campaigns.core.settings import Settings
from simulator.core import generate_signing_key, public_key_base64
from tests.support.http import client_for, sendgrid_headers, sent_tokens

AUTH_TOKEN = "twilio-test-auth-token"
KEY = generate_signing_key()


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    env = {"TWILIO_AUTH_TOKEN": AUTH_TOKEN, "SENDGRID_WEBHOOK_PUBLIC_KEY": public_key_base64(KEY)}
    with client_for(settings, env) as client:
        yield client


def twilio_post(
    client: TestClient,
    settings: Settings,
    path: str,
    params: dict[str, str],
    token: str = AUTH_TOKEN,
) -> int:
    url = f"{settings.public_url}{path}"
    signature = RequestValidator(token).compute_signature(url, params)
    response = client.post(path, data=params, headers={"X-Twilio-Signature": signature})
    return response.status_code


def status(message_id: int, sid: str, state: str, **extra: str) -> tuple[str, dict[str, str]]:
    params = {
        "MessageSid": sid,
        "SmsSid": sid,
        "MessageStatus": state,
        "SmsStatus": state,
        "AccountSid": "AC" + "1" * 32,
        "From": "+15005550006",
        "To": "+905321234567",
        "ApiVersion": "2010-04-01",
        "SomeFieldTwilioAddsLater": "ignored",
        **extra,
    }
    return f"/webhooks/twilio/status?m={message_id}", params


def message_state(db: Database, message_id: int) -> tuple[str, str | None]:
    with db.session() as session:
        row = session.get(Message, message_id)
        assert row is not None
        return row.status.value, row.error_code


def stored_events(db: Database) -> int:
    with db.session() as session:
        return int(session.scalar(select(func.count()).select_from(DeliveryEvent)) or 0)


def test_twilio_status_callbacks_advance_forward_only(
    db: Database, settings: Settings, client: TestClient
) -> None:
    first, second = sent_tokens(db, 2, channels=["sms"])
    for state in ("delivered", "sent", "delivered"):  # out of order, and a replay
        path, params = status(first, "SM1", state)
        assert twilio_post(client, settings, path, params) == 204
    path, params = status(second, "SM2", "undelivered", ErrorCode="30005")
    assert twilio_post(client, settings, path, params) == 204
    assert message_state(db, first) == ("delivered", None)
    assert message_state(db, second) == ("failed", "30005")
    assert stored_events(db) == 3  # the replayed "delivered" is stored once


def test_forged_unsigned_and_malformed_callbacks(
    db: Database, settings: Settings, client: TestClient
) -> None:
    [first] = sent_tokens(db, 1, channels=["sms"])
    path, params = status(first, "SM1", "delivered")
    assert twilio_post(client, settings, path, params, token="wrong-token") == 403
    assert client.post(path, data=params).status_code == 403
    tampered = dict(params, MessageStatus="read")
    signature = RequestValidator(AUTH_TOKEN).compute_signature(
        f"{settings.public_url}{path}", params
    )
    assert (
        client.post(path, data=tampered, headers={"X-Twilio-Signature": signature}).status_code
        == 403
    )
    malformed = {"AccountSid": "AC" + "1" * 32}
    assert twilio_post(client, settings, "/webhooks/twilio/status", malformed) == 400
    assert message_state(db, first) == ("sent", None)
    assert stored_events(db) == 0


def test_a_callback_for_an_unknown_message_is_kept_unmatched(
    db: Database, settings: Settings, client: TestClient
) -> None:
    path, params = status(987654, "SMunknown", "delivered")
    assert twilio_post(client, settings, path, params) == 204
    with db.session() as session:
        event = session.scalars(select(DeliveryEvent)).one()
    assert event.message_id is None
    assert event.raw["MessageSid"] == "SMunknown"


def test_inbound_stop_and_start(db: Database, settings: Settings, client: TestClient) -> None:
    sids = iter(range(1000))

    def inbound(body: str, sender: str = "+905321234567", sid: str | None = None) -> str:
        params = {
            "From": sender,
            "To": "+15005550006",
            "Body": body,
            "MessageSid": sid or f"SMin{next(sids)}",
            "AccountSid": "AC" + "1" * 32,
        }
        url = f"{settings.public_url}/webhooks/twilio/inbound"
        signature = RequestValidator(AUTH_TOKEN).compute_signature(url, params)
        response = client.post(
            "/webhooks/twilio/inbound", data=params, headers={"X-Twilio-Signature": signature}
        )
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/xml")
        return response.text

    reply = inbound("İptal", sid="SMstop")
    assert "<Message>" in reply
    inbound("dur", sender="whatsapp:+905329999999")
    with db.session() as session:
        rows = sorted((s.channel.value, s.address) for s in session.scalars(select(Suppression)))
    assert rows == [("sms", "+905321234567"), ("whatsapp", "+905329999999")]
    assert "<Message>" not in inbound("Merhaba, kayıt olamıyorum")
    inbound("BAŞLA")
    with db.session() as session:
        rows = sorted((s.channel.value, s.address) for s in session.scalars(select(Suppression)))
    assert rows == [("whatsapp", "+905329999999")]
    # The old STOP replayed (a captured request, or Twilio sending it again): answered,
    # stored once, and the number stays reachable.
    assert "<Message>" in inbound("İptal", sid="SMstop")
    with db.session() as session:
        rows = sorted((s.channel.value, s.address) for s in session.scalars(select(Suppression)))
        stored = session.scalars(select(InboundMessage.body).order_by(InboundMessage.id)).all()
    assert rows == [("whatsapp", "+905329999999")]
    assert stored == ["İptal", "dur", "Merhaba, kayıt olamıyorum", "BAŞLA"]


def test_stale_sendgrid_posts_are_refused(
    db: Database, settings: Settings, client: TestClient
) -> None:
    ids = list(sent_tokens(db, 1, channels=["email"]))
    events = [
        {
            "event": "bounce",
            "email": "a@example.com",
            "timestamp": 1_700_000_000,
            "sg_event_id": "old",
            "message_id": str(ids[0]),
        }
    ]
    for age in (-3600, 3600, 601):
        assert sendgrid_post(client, events, at=time.time() - age) == 403
    assert stored_events(db) == 0
    assert sendgrid_post(client, events, at=time.time() - 30) == 200
    assert stored_events(db) == 1


def sendgrid_post(
    client: TestClient,
    events: list[dict[str, object]],
    key: ec.EllipticCurvePrivateKey = KEY,
    at: float | None = None,
) -> int:
    raw = json.dumps(events).encode()
    response = client.post(
        "/webhooks/sendgrid/events", content=raw, headers=sendgrid_headers(key, raw, at)
    )
    return response.status_code


def test_sendgrid_events_are_verified_stored_once_and_suppress(
    db: Database, settings: Settings, client: TestClient
) -> None:
    ids = list(sent_tokens(db, 3, channels=["email"]))
    with db.session() as session:
        session.execute(update(Message).values(provider_message_id="XMSGID"))
        addresses = {r.id: r.address for r in session.execute(select(Message.id, Message.address))}
    now = int(time.time())

    def event(i: int, kind: str, event_id: str, **extra: object) -> dict[str, object]:
        return {
            "email": addresses[i],
            "timestamp": now,
            "event": kind,
            "sg_event_id": event_id,
            "sg_message_id": "XMSGID.filterdrecv-1-2",
            "message_id": str(i),
            **extra,
        }

    batch = [
        event(ids[0], "delivered", "e1"),
        event(ids[0], "open", "e2"),
        event(ids[1], "bounce", "e3", type="bounce", status="5.1.1", reason="no such user"),
        event(ids[2], "delivered", "e4"),
        event(ids[2], "spamreport", "e5"),
    ]
    assert sendgrid_post(client, batch) == 200
    assert sendgrid_post(client, batch) == 200  # SendGrid retries: nothing is doubled
    assert sendgrid_post(client, batch, key=generate_signing_key()) == 403
    assert client.post("/webhooks/sendgrid/events", content=b"[]").status_code == 403

    assert message_state(db, ids[0])[0] == MessageStatus.READ.value
    assert message_state(db, ids[1])[0] == MessageStatus.FAILED.value
    assert message_state(db, ids[2])[0] == MessageStatus.DELIVERED.value
    assert stored_events(db) == 5
    with db.session() as session:
        suppressed = {s.address: s.reason for s in session.scalars(select(Suppression))}
    assert suppressed == {
        str(addresses[ids[1]]).lower(): "bounce",
        str(addresses[ids[2]]).lower(): "complaint",
    }


def test_malformed_sendgrid_bodies_get_400(db: Database, client: TestClient) -> None:
    raw_events: list[dict[str, object]] = [{"email": "a@example.com"}]
    assert sendgrid_post(client, raw_events) == 400
    assert stored_events(db) == 0


def test_a_storage_failure_answers_5xx_so_the_provider_retries(
    db: Database, settings: Settings
) -> None:
    [first] = sent_tokens(db, 1, channels=["sms"])
    env = {"TWILIO_AUTH_TOKEN": AUTH_TOKEN}
    from campaigns.http.app import create_app

    with TestClient(create_app(settings, env), raise_server_exceptions=False) as client:
        with db.engine.begin() as connection:
            connection.exec_driver_sql("ALTER TABLE delivery_events RENAME TO events_away")
        path, params = status(first, "SM1", "delivered")
        assert twilio_post(client, settings, path, params) == 500
        with db.engine.begin() as connection:
            connection.exec_driver_sql("ALTER TABLE events_away RENAME TO delivery_events")
        assert twilio_post(client, settings, path, params) == 204
    assert message_state(db, first) == ("delivered", None)
