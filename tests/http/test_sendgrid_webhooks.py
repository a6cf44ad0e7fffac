"""SendGrid Event Webhook: signature checks, event parsing, and the simulator's signed posts."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from channels.base import Accepted, Channel, ConfigurationError, EventType, OutboundMessage
from channels.sendgrid import SendGridAdapter
from channels.sendgrid_webhooks import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    parse_events,
    verify_signature,
)
from simulator.core import SimulatorConfig, generate_signing_key, public_key_base64
from simulator.server import BackgroundServer, simulator_in_background

# The test vector of sendgrid-python's own test suite (test/unit/test_eventwebhook.py).
SDK_PUBLIC_KEY = (
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE83T4O/n84iotIvIW4mdBgQ/7dAfSmpqIM8kF9mN1flpVKS3GRqe62gw"
    "+2fNNRaINXvVpiglSI8eNEc6wEA3F+g=="
)
SDK_SIGNATURE = (
    "MEUCIGHQVtGj+Y3LkG9fLcxf3qfI10QysgDWmMOVmxG0u6ZUAiEAyBiXDWzM+"
    "uOe5W0JuG+luQAbPIqHh89M15TluLtEZtM="
)
SDK_TIMESTAMP = "1600112502"
SDK_PAYLOAD = (
    json.dumps(
        [
            {
                "email": "hello@world.com",
                "event": "dropped",
                "reason": "Bounced Address",
                "sg_event_id": "ZHJvcC0xMDk5NDkxOS1MUnpYbF9OSFN0T0doUTRrb2ZTbV9BLTA",
                "sg_message_id": (
                    "LRzXl_NHStOGhQ4kofSm_A.filterdrecv-p3mdw1-756b745b58-kmzbl-18-5F5FC76C-9.0"
                ),
                "smtp-id": "<LRzXl_NHStOGhQ4kofSm_A@ismtpd0039p1iad1.sendgrid.net>",
                "timestamp": 1600112492,
            }
        ],
        sort_keys=True,
        separators=(",", ":"),
    )
    + "\r\n"
)
SDK_OTHER_KEY = (
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEqTxd43gyp8IOEto2LdIfjRQrIbsd4SXZkLW6jDutdhXSJCWHw8REntlo7a"
    "NDthvj+y7GjUuFDb/R1NGe1OPzpA=="
)
SDK_BAD_SIGNATURE = (
    "MEUCIQCtIHJeH93Y+qpYeWrySphQgpNGNr/U+UyUlBkU6n7RAwIgJTz2C+"
    "8a8xonZGi6BpSzoQsbVRamr2nlxFDWYNH3j/0="
)


def test_sendgrids_own_test_vector_verifies() -> None:
    body = SDK_PAYLOAD.encode()

    assert verify_signature(SDK_PUBLIC_KEY, body, SDK_SIGNATURE, SDK_TIMESTAMP) is True
    assert verify_signature(SDK_OTHER_KEY, body, SDK_SIGNATURE, SDK_TIMESTAMP) is False
    assert verify_signature(SDK_PUBLIC_KEY, b"payload", SDK_SIGNATURE, SDK_TIMESTAMP) is False
    assert verify_signature(SDK_PUBLIC_KEY, body, SDK_BAD_SIGNATURE, SDK_TIMESTAMP) is False
    assert verify_signature(SDK_PUBLIC_KEY, body, SDK_SIGNATURE, "timestamp") is False


def test_the_test_vector_parses() -> None:
    [event] = parse_events(SDK_PAYLOAD.encode())

    assert event.type is EventType.FAILED
    assert event.provider == "sendgrid"
    assert event.provider_message_id == "LRzXl_NHStOGhQ4kofSm_A"
    assert event.recipient == "hello@world.com"
    assert event.description == "Bounced Address"
    assert event.occurred_at == datetime(2020, 9, 14, 19, 41, 32, tzinfo=UTC)
    assert event.message_id is None


def sign(key: ec.EllipticCurvePrivateKey, timestamp: str, body: bytes) -> str:
    signature = key.sign(timestamp.encode() + body, ec.ECDSA(hashes.SHA256()))
    return base64.b64encode(signature).decode()


@pytest.fixture(scope="module")
def key() -> ec.EllipticCurvePrivateKey:
    return generate_signing_key()


BODY = (
    '[{"email":"ayşe@example.edu.tr","event":"delivered","timestamp":1700000000,'
    '"sg_event_id":"e1","sg_message_id":"abc.filterdrecv-1","message_id":"42"}]\r\n'
).encode()


def test_own_key_pair_valid_and_tampered(key: ec.EllipticCurvePrivateKey) -> None:
    public = public_key_base64(key)
    signature = sign(key, "1700000005", BODY)

    assert verify_signature(public, BODY, signature, "1700000005") is True
    assert verify_signature(public, BODY.replace(b"42", b"43"), signature, "1700000005") is False
    assert verify_signature(public, BODY, signature, "1700000006") is False
    # The same events re-serialised are different bytes: only the raw body verifies.
    reserialised = json.dumps(json.loads(BODY)).encode()
    assert verify_signature(public, reserialised, signature, "1700000005") is False
    other = public_key_base64(generate_signing_key())
    assert verify_signature(other, BODY, signature, "1700000005") is False


@pytest.mark.parametrize(
    "signature",
    ["abc", "şifre", "", "!!!!", "MEUC", base64.b64encode(b"not DER").decode()],
)
def test_malformed_signatures_are_false_not_exceptions(
    key: ec.EllipticCurvePrivateKey, signature: str
) -> None:
    assert verify_signature(public_key_base64(key), BODY, signature, "1700000005") is False


def test_a_body_that_is_not_utf8_is_false(key: ec.EllipticCurvePrivateKey) -> None:
    body = b"[\xff\xfe]"
    assert verify_signature(public_key_base64(key), body, sign(key, "1", body), "1") is False


def test_a_malformed_public_key_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError):
        verify_signature("bm90IGEga2V5", BODY, "abc", "1")


def event(name: str, **fields: Any) -> dict[str, Any]:
    return {
        "email": "ogrenci@example.edu.tr",
        "timestamp": 1700000000,
        "event": name,
        "sg_event_id": f"id-{name}-{fields.get('type', '')}",
        "sg_message_id": "14c5d75ce93.filterdrecv-p3las1-1-5F5F-0.0",
        "message_id": "17",
        "campaign": "3",
        **fields,
    }


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (event("processed"), EventType.ACCEPTED),
        (event("delivered", response="250 OK"), EventType.DELIVERED),
        (event("deferred", response="400 try again later", attempt="5"), EventType.DEFERRED),
        (event("bounce", type="bounce", status="5.1.1", reason="no such user"), EventType.BOUNCED),
        (event("bounce", type="blocked", status="5.7.1", reason="policy"), EventType.FAILED),
        (event("dropped", reason="Bounced Address"), EventType.FAILED),
        (event("open", useragent="Mozilla/5.0"), EventType.OPENED),
        (event("click", url="https://kampanya.example.edu.tr/r/1"), EventType.CLICKED),
        (event("spamreport"), EventType.COMPLAINED),
        (event("unsubscribe"), EventType.UNSUBSCRIBED),
        (event("group_unsubscribe", asm_group_id=1), EventType.UNSUBSCRIBED),
        (event("group_resubscribe", asm_group_id=1), EventType.RESUBSCRIBED),
        (event("machine_opened"), EventType.UNKNOWN),
    ],
    ids=lambda v: (
        v["event"] + ("/" + v["type"] if "type" in v else "") if isinstance(v, dict) else ""
    ),
)
def test_every_event_type(raw: dict[str, Any], expected: EventType) -> None:
    [parsed] = parse_events(json.dumps([raw]).encode())

    assert parsed.type is expected
    assert parsed.provider == "sendgrid"
    assert parsed.occurred_at == datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)
    assert parsed.event_id == raw["sg_event_id"]
    assert parsed.provider_message_id == "14c5d75ce93"
    assert parsed.message_id == 17
    assert parsed.recipient == "ogrenci@example.edu.tr"
    assert parsed.raw == raw


def test_error_code_and_description() -> None:
    bounce, blocked, deferred, delivered = parse_events(
        json.dumps(
            [
                event("bounce", type="bounce", status="5.1.1", reason="550 5.1.1 no such user"),
                event("bounce", type="blocked", reason="550 blocked"),
                event("deferred", response="421 try later"),
                event("delivered"),
            ]
        ).encode()
    )
    assert (bounce.error_code, bounce.description) == ("5.1.1", "550 5.1.1 no such user")
    assert (blocked.error_code, blocked.description) == ("blocked", "550 blocked")
    assert (deferred.error_code, deferred.description) == (None, "421 try later")
    assert (delivered.error_code, delivered.description) == (None, None)


@pytest.mark.parametrize("value", ["abc", "-1", "1.5", "", True, None, ["1"], "١٢"])
def test_an_invalid_message_id_custom_arg_is_none(value: object) -> None:
    raw = event("delivered", message_id=value)
    [parsed] = parse_events(json.dumps([raw]).encode())
    assert parsed.message_id is None


def test_numeric_message_id_and_string_timestamp_are_accepted() -> None:
    [parsed] = parse_events(
        json.dumps([event("open", message_id=99, timestamp="1700000000")]).encode()
    )
    assert parsed.message_id == 99
    assert parsed.occurred_at == datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)


def test_an_event_without_sg_message_id_has_no_provider_id() -> None:
    raw = event("group_unsubscribe")
    del raw["sg_message_id"]
    [parsed] = parse_events(json.dumps([raw]).encode())
    assert parsed.provider_message_id is None


def test_an_empty_array_is_no_events() -> None:
    assert parse_events(b"[]\r\n") == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"[{", "not JSON"),
        (b"\xff\xfe\x00", "not JSON"),
        (b'{"event": "open"}', "not a JSON array"),
        (b'[{"event": "open", "timestamp": 1}, 5]', "event 1 is not an object"),
        (b'[{"event": "open", "timestamp": 1}, {"timestamp": 1}]', "event 1 has no 'event'"),
        (b'[{"event": "", "timestamp": 1}]', "event 0 has no 'event'"),
        (b'[{"event": "open"}]', "event 0 has no 'timestamp'"),
        (b'[{"event": "open", "timestamp": "yesterday"}]', "event 0 has an invalid 'timestamp'"),
        (b'[{"event": "open", "timestamp": 1e300}]', "event 0 has an invalid 'timestamp'"),
        (b'[{"event": "open", "timestamp": true}]', "event 0 has an invalid 'timestamp'"),
    ],
)
def test_malformed_bodies_raise_value_error(body: bytes, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_events(body)


# --- the simulator's signed event posts, end to end ----------------------------------------


class Receiver:
    """A webhook endpoint that keeps every post's raw body and headers."""

    def __init__(self) -> None:
        self.posts: list[tuple[bytes, dict[str, str]]] = []
        self._lock = threading.Lock()
        self.app = Starlette(routes=[Route("/events", self.receive, methods=["POST"])])

    async def receive(self, request: Request) -> Response:
        body = await request.body()
        with self._lock:
            self.posts.append((body, dict(request.headers)))
        return Response(status_code=200)

    def wait_for(self, count: int, deadline: float = 10.0) -> list[tuple[bytes, dict[str, str]]]:
        end = time.monotonic() + deadline
        while time.monotonic() < end:
            with self._lock:
                if len(self.posts) >= count:
                    return list(self.posts)
            time.sleep(0.02)
        with self._lock:
            return list(self.posts)


def test_simulated_events_are_signed_and_map_back_to_our_messages() -> None:
    receiver = Receiver()
    with BackgroundServer(receiver.app) as events_server:
        config = SimulatorConfig(
            sendgrid_event_url=f"{events_server.url}/events", callback_delay=0, read_rate=1.0
        )
        with simulator_in_background(config) as simulator:
            adapter = SendGridAdapter.from_env(
                {"SENDGRID_API_KEY": config.sendgrid_api_key, "SENDGRID_API_HOST": simulator.url}
            )
            locals_ = ["ogrenci", "bounce.test", "blocked1", "spam-kutusu", "drop-me"]
            batch = [
                OutboundMessage(
                    id=100 + i,
                    channel=Channel.EMAIL,
                    to=f"{local}@ogr.universite.example.edu.tr",
                    text="Merhaba",
                    subject="Mezun kaydı",
                    html="<p>Merhaba</p>",
                    tags={"campaign": "5", "wave": "ilk"},
                )
                for i, local in enumerate(locals_)
            ]
            results = adapter.send(batch)
            posts = receiver.wait_for(3)

    assert all(isinstance(r, Accepted) for r in results)
    provider_ids = {r.provider_message_id for r in results if isinstance(r, Accepted)}
    assert len(posts) == 3
    by_message: dict[int | None, list[EventType]] = defaultdict(list)
    event_ids: list[str | None] = []
    for body, headers in posts:
        assert body.endswith(b"\r\n")
        assert verify_signature(
            config.sendgrid_public_key,
            body,
            headers[SIGNATURE_HEADER.lower()],
            headers[TIMESTAMP_HEADER.lower()],
        )
        assert not verify_signature(
            config.sendgrid_public_key,
            body + b" ",
            headers[SIGNATURE_HEADER.lower()],
            headers[TIMESTAMP_HEADER.lower()],
        )
        for parsed in parse_events(body):
            assert parsed.provider_message_id in provider_ids
            assert parsed.raw["category"] == ["campaign-5"]
            assert parsed.raw["campaign"] == "5"
            assert parsed.raw["wave"] == "ilk"
            by_message[parsed.message_id].append(parsed.type)
            event_ids.append(parsed.event_id)
            if parsed.type is EventType.BOUNCED:
                assert parsed.error_code == "5.1.1"
    assert len(event_ids) == len(set(event_ids))
    assert by_message == {
        100: [EventType.ACCEPTED, EventType.DELIVERED, EventType.OPENED],
        101: [EventType.ACCEPTED, EventType.BOUNCED],
        102: [EventType.ACCEPTED, EventType.FAILED],
        103: [EventType.ACCEPTED, EventType.DELIVERED, EventType.COMPLAINED],
        104: [EventType.FAILED],
    }
