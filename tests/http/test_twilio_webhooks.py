"""Parsing and verifying what Twilio calls us with."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import pytest

from campaigns.tracking.inbound import KEYWORD_REPLIES
from channels.base import Channel, EventType
from channels.twilio_webhooks import (
    parse_inbound,
    parse_status_callback,
    reply_twiml,
    verify_signature,
)

# Twilio's documented example (https://www.twilio.com/docs/usage/security).
DOC_TOKEN = "12345"
DOC_URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
DOC_PARAMS = {
    "CallSid": "CA1234567890ABCDE",
    "Caller": "+12349013030",
    "Digits": "1234",
    "From": "+12349013030",
    "To": "+18005551212",
}
DOC_SIGNATURE = "0/KCTR6DLpKmkAf8muzZqo1nDgQ="

SID = "SM" + "ab" * 16


def callback(**extra: str) -> dict[str, str]:
    params = {
        "MessageSid": SID,
        "SmsSid": SID,
        "MessageStatus": "delivered",
        "SmsStatus": "delivered",
        "AccountSid": "AC" + "0" * 32,
        "From": "+15005550006",
        "To": "+905321234567",
        "ApiVersion": "2010-04-01",
    }
    params.update(extra)
    return params


# --- signatures -------------------------------------------------------------------------------


def test_twilio_documented_signature_verifies() -> None:
    assert verify_signature(DOC_TOKEN, DOC_URL, DOC_PARAMS, DOC_SIGNATURE)


@pytest.mark.parametrize(
    ("token", "url", "params", "signature"),
    [
        (DOC_TOKEN, DOC_URL, {**DOC_PARAMS, "Digits": "1235"}, DOC_SIGNATURE),
        (DOC_TOKEN, DOC_URL, {**DOC_PARAMS, "Extra": "1"}, DOC_SIGNATURE),
        (DOC_TOKEN, DOC_URL.replace("foo=1", "foo=2"), DOC_PARAMS, DOC_SIGNATURE),
        (DOC_TOKEN, DOC_URL.replace("https", "http"), DOC_PARAMS, DOC_SIGNATURE),
        ("54321", DOC_URL, DOC_PARAMS, DOC_SIGNATURE),
        (DOC_TOKEN, DOC_URL, DOC_PARAMS, DOC_SIGNATURE[:-2] + "A="),
        (DOC_TOKEN, DOC_URL, DOC_PARAMS, ""),
        (DOC_TOKEN, DOC_URL, DOC_PARAMS, None),
    ],
    ids=["param", "added", "query", "scheme", "token", "signature", "empty", "missing"],
)
def test_anything_tampered_fails(
    token: str, url: str, params: dict[str, str], signature: str | None
) -> None:
    assert not verify_signature(token, url, params, signature)


# --- status callbacks -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("queued", EventType.ACCEPTED),
        ("accepted", EventType.ACCEPTED),
        ("scheduled", EventType.ACCEPTED),
        ("sending", EventType.SENT),
        ("sent", EventType.SENT),
        ("delivered", EventType.DELIVERED),
        ("read", EventType.READ),
        ("undelivered", EventType.UNDELIVERED),
        ("failed", EventType.FAILED),
        ("canceled", EventType.FAILED),
        ("partially_delivered", EventType.UNKNOWN),
        ("receiving", EventType.UNKNOWN),
        ("received", EventType.UNKNOWN),
        ("something-new", EventType.UNKNOWN),
    ],
)
def test_every_status_is_mapped(status: str, expected: EventType) -> None:
    event = parse_status_callback(callback(MessageStatus=status), {"m": "5"})
    assert event.type is expected


def test_status_callback_fields() -> None:
    before = datetime.now(UTC)
    params = callback(
        MessageStatus="undelivered",
        ErrorCode="30003",
        To="whatsapp:+905321234567",
        ChannelPrefix="whatsapp",  # fields Twilio adds without notice are ignored
    )
    event = parse_status_callback(params, {"m": "12345"})
    assert event.type is EventType.UNDELIVERED
    assert (event.provider, event.provider_message_id, event.message_id) == ("twilio", SID, 12345)
    assert (event.recipient, event.error_code, event.event_id) == ("+905321234567", "30003", None)
    assert event.description == "unreachable destination handset"
    assert event.raw == params
    assert event.occurred_at.tzinfo is not None
    assert before <= event.occurred_at <= datetime.now(UTC)


@pytest.mark.parametrize("query", [{}, {"m": ""}, {"m": "abc"}, {"m": "-3"}, {"m": "1.5"}])
def test_message_id_is_none_when_absent_or_invalid(query: dict[str, str]) -> None:
    assert parse_status_callback(callback(), query).message_id is None


def test_no_error_code_on_success() -> None:
    event = parse_status_callback(callback(ErrorCode=""), {"m": "1"})
    assert event.error_code is None


@pytest.mark.parametrize(
    "params",
    [
        {k: v for k, v in callback().items() if k != "MessageSid"},
        {k: v for k, v in callback().items() if k != "MessageStatus"},
        callback(MessageSid=""),
        callback(MessageStatus="  "),
        {},
    ],
    ids=["no-sid", "no-status", "empty-sid", "blank-status", "empty"],
)
def test_malformed_callbacks_raise(params: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="MessageSid or MessageStatus"):
        parse_status_callback(params, {"m": "1"})


# --- inbound messages -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "keyword"),
    [
        ("STOP", "stop"),
        (" stop ", "stop"),
        ("iptal", "stop"),
        ("İPTAL", "stop"),
        ("IPTAL", "stop"),
        ("İptal", "stop"),
        ("Dur", "stop"),
        ("DUR\n", "stop"),
        ("UNSUBSCRIBE", "stop"),
        ("cancel", "stop"),
        ("End", "stop"),
        ("QUIT", "stop"),
        ("STOPALL", "stop"),
        ("BAŞLA", "start"),
        ("başla", "start"),
        ("basla", "start"),
        ("BASLA", "start"),
        ("Start", "start"),
        ("UNSTOP", "start"),
        ("YES", "start"),
        ("Mezun sistemine kaydoldum, teşekkürler", None),
        ("stop please", None),
        ("lütfen iptal edin", None),
        ("", None),
        ("   ", None),
    ],
)
def test_keywords(body: str, keyword: str | None) -> None:
    inbound = parse_inbound(
        {"From": "+905321234567", "To": "+15005550006", "Body": body, "MessageSid": SID}
    )
    assert inbound.keyword == keyword
    assert inbound.body == body


def test_inbound_sms_and_whatsapp() -> None:
    text = parse_inbound(
        {"From": "+905321234567", "To": "+15005550006", "Body": "Merhaba", "MessageSid": SID}
    )
    assert (text.channel, text.from_address, text.provider) == (
        Channel.SMS,
        "+905321234567",
        "twilio",
    )
    assert text.provider_message_id == SID
    chat = parse_inbound(
        {
            "From": "whatsapp:+905321234567",
            "To": "whatsapp:+15005550007",
            "Body": "İptal",
            "MessageSid": SID,
        }
    )
    assert (chat.channel, chat.from_address, chat.keyword) == (
        Channel.WHATSAPP,
        "+905321234567",
        "stop",
    )


def test_inbound_without_sender_or_id_is_malformed() -> None:
    with pytest.raises(ValueError, match="From"):
        parse_inbound({"To": "+15005550006", "Body": "STOP", "MessageSid": SID})
    # Without its id a replay could not be told from a new message.
    with pytest.raises(ValueError, match="MessageSid"):
        parse_inbound({"From": "+905321234567", "Body": "STOP"})


# --- TwiML ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("keyword", "turkish", "english"),
    [("stop", "BAŞLA", "Reply START"), ("start", "İPTAL", "Reply STOP")],
)
def test_acknowledgements_are_turkish_then_english(
    keyword: str, turkish: str, english: str
) -> None:
    root = ET.fromstring(reply_twiml(KEYWORD_REPLIES[keyword]))
    assert root.tag == "Response"
    [message] = list(root)
    assert message.tag == "Message"
    text = message.text or ""
    assert text == KEYWORD_REPLIES[keyword]
    assert 0 <= text.index(turkish) < text.index(english)


@pytest.mark.parametrize("text", [None, ""])
def test_no_answer_is_an_empty_response(text: str | None) -> None:
    twiml = reply_twiml(text)
    assert twiml.endswith("<Response/>")
    root = ET.fromstring(twiml)
    assert (root.tag, list(root)) == ("Response", [])


def test_twiml_is_escaped() -> None:
    text = 'Kayıt & "mezun" <bilgi> sistemi'
    twiml = reply_twiml(text)
    assert "&amp;" in twiml
    assert "&lt;bilgi&gt;" in twiml
    assert "<bilgi>" not in twiml
    [message] = list(ET.fromstring(twiml))
    assert message.text == text
