"""The Twilio SMS and WhatsApp adapters through the real SDK against the local simulator, with
a small receiver for the signed status callbacks."""

from __future__ import annotations

import json
import re
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
import redis
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from channels.base import (
    Accepted,
    Channel,
    ConfigurationError,
    EventType,
    OutboundMessage,
    PermanentError,
    ProviderTemplate,
    RateLimitedError,
    Rejected,
    SendResult,
    TransientError,
)
from channels.ratelimit import AsyncLocalTokenBucket, AsyncRedisTokenBucket
from channels.twilio_client import TwilioSettings, status_url_for
from channels.twilio_sms import TwilioSmsAdapter
from channels.twilio_webhooks import parse_status_callback, verify_signature
from channels.twilio_whatsapp import TwilioWhatsAppAdapter
from simulator.core import SimulatorConfig
from simulator.server import BackgroundServer, simulator_in_background
from tests.support.adapter_contract import AdapterContract, OutageContract, SimulatorOutage

SID = re.compile(r"^SM[0-9a-f]{32}$")
SMS_FROM = "+15005550006"
WHATSAPP_FROM = "+15005550007"


@dataclass(frozen=True)
class Received:
    url: str
    params: dict[str, str]
    signature: str


class CallbackReceiver:
    """A Starlette app on a thread of its own that records Twilio status callbacks."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self._changed = threading.Condition()

        async def status(request: Request) -> Response:
            form = await request.form()
            received = Received(
                url=str(request.url),
                params={k: str(v) for k, v in form.items()},
                signature=request.headers.get("X-Twilio-Signature", ""),
            )
            with self._changed:
                self.received.append(received)
                self._changed.notify_all()
            return Response(status_code=204)

        app = Starlette(routes=[Route("/webhooks/twilio/status", status, methods=["POST"])])
        self.server = BackgroundServer(app)

    @property
    def url(self) -> str:
        return self.server.url

    def for_message(self, sid: str, count: int, deadline: float = 10.0) -> list[Received]:
        """The callbacks about message ``sid`` once ``count`` arrived (waiting up to
        ``deadline`` seconds for them)."""
        end = time.monotonic() + deadline
        with self._changed:
            while True:
                ours = [r for r in self.received if r.params.get("MessageSid") == sid]
                left = end - time.monotonic()
                if len(ours) >= count or left <= 0:
                    return ours
                self._changed.wait(left)


@pytest.fixture(scope="module")
def receiver() -> Iterator[CallbackReceiver]:
    callbacks = CallbackReceiver()
    with callbacks.server:
        yield callbacks


@pytest.fixture(scope="module")
def config() -> SimulatorConfig:
    return SimulatorConfig(callback_delay=0.01, undelivered_rate=0.0, read_rate=1.0, seed=7)


@pytest.fixture(scope="module")
def sim(config: SimulatorConfig) -> Iterator[BackgroundServer]:
    with simulator_in_background(config) as server:
        yield server


def env_for(
    sim: BackgroundServer, config: SimulatorConfig, public_url: str, **extra: str
) -> dict[str, str]:
    return {
        "TWILIO_ACCOUNT_SID": config.twilio_account_sid,
        "TWILIO_AUTH_TOKEN": config.twilio_auth_token,
        "TWILIO_API_BASE_URL": sim.url,
        "TWILIO_SMS_FROM": SMS_FROM,
        "TWILIO_WHATSAPP_FROM": WHATSAPP_FROM,
        "CAMPAIGNS_PUBLIC_URL": public_url,
        **extra,
    }


@pytest.fixture
def env(
    sim: BackgroundServer, config: SimulatorConfig, receiver: CallbackReceiver
) -> dict[str, str]:
    return env_for(sim, config, receiver.url)


def sms(
    message_id: int, to: str, text: str = "Mezun Bilgi Sistemi'ne kaydolun."
) -> OutboundMessage:
    return OutboundMessage(message_id, Channel.SMS, to, text)


def whatsapp(message_id: int, to: str, **kwargs: Any) -> OutboundMessage:
    return OutboundMessage(message_id, Channel.WHATSAPP, to, "Merhaba", **kwargs)


def by_id(results: list[SendResult]) -> dict[int, SendResult]:
    return {r.message_id: r for r in results}


def unique_number() -> str:
    return "+90532" + f"{secrets.randbelow(10**7):07d}".replace("0000", "1111")


def accepted_count(sim: BackgroundServer, recipient: str) -> int:
    ledger = httpx.get(f"{sim.url}/_simulator/ledger").json()
    return sum(r["count"] for r in ledger["accepted"] if r["recipient"] == recipient)


def last_form(sim: BackgroundServer) -> dict[str, str]:
    form: dict[str, str] = httpx.get(f"{sim.url}/_simulator/twilio/last").json()["form"]
    return form


# --- configuration ----------------------------------------------------------------------------


def test_sms_needs_exactly_one_sender(env: dict[str, str]) -> None:
    without = {k: v for k, v in env.items() if k != "TWILIO_SMS_FROM"}
    with pytest.raises(ConfigurationError, match="TWILIO_SMS_FROM"):
        TwilioSmsAdapter.from_env(without)
    both = {**env, "TWILIO_MESSAGING_SERVICE_SID": "MG" + "1" * 32}
    with pytest.raises(ConfigurationError, match="TWILIO_MESSAGING_SERVICE_SID"):
        TwilioSmsAdapter.from_env(both)


@pytest.mark.parametrize("value", [None, "", "05321234567", "whatsapp:12345"])
def test_whatsapp_needs_an_e164_sender(env: dict[str, str], value: str | None) -> None:
    broken = {k: v for k, v in env.items() if k != "TWILIO_WHATSAPP_FROM"}
    if value is not None:
        broken["TWILIO_WHATSAPP_FROM"] = value
    with pytest.raises(ConfigurationError, match="TWILIO_WHATSAPP_FROM"):
        TwilioWhatsAppAdapter.from_env(broken)


def test_adapters_need_credentials_and_a_public_url(env: dict[str, str]) -> None:
    for variable in ("TWILIO_AUTH_TOKEN", "CAMPAIGNS_PUBLIC_URL"):
        broken = {k: v for k, v in env.items() if k != variable}
        for cls in (TwilioSmsAdapter, TwilioWhatsAppAdapter):
            with pytest.raises(ConfigurationError, match=variable):
                cls.from_env(broken)


def test_adapters_declare_their_channels() -> None:
    assert (TwilioSmsAdapter.name, TwilioSmsAdapter.channels) == ("twilio-sms", {Channel.SMS})
    assert (TwilioWhatsAppAdapter.name, TwilioWhatsAppAdapter.channels) == (
        "twilio-whatsapp",
        {Channel.WHATSAPP},
    )
    assert TwilioSmsAdapter.max_batch == TwilioWhatsAppAdapter.max_batch == 1000


# --- SMS --------------------------------------------------------------------------------------


def test_sms_accepted_with_sids_and_segments(sim: BackgroundServer, env: dict[str, str]) -> None:
    numbers = [unique_number() for _ in range(4)]
    batch = [
        sms(1, numbers[0], "Kayit hatirlatmasi"),  # GSM-7, one segment
        sms(2, numbers[1], "a" * 161),  # GSM-7, two segments of 153
        sms(3, numbers[2], "ş" * 71),  # UCS-2, two segments of 67
        sms(4, numbers[3], "ğ" * 70),  # UCS-2, exactly one segment
    ]
    with TwilioSmsAdapter.from_env(env) as adapter:
        results = by_id(adapter.send(batch))
    assert all(isinstance(r, Accepted) for r in results.values())
    accepted = {i: r for i, r in results.items() if isinstance(r, Accepted)}
    assert {i: r.segments for i, r in accepted.items()} == {1: 1, 2: 2, 3: 2, 4: 1}
    sids = [r.provider_message_id for r in accepted.values()]
    assert all(SID.match(s) for s in sids)
    assert len(set(sids)) == 4
    assert [accepted_count(sim, n) for n in numbers] == [1, 1, 1, 1]
    form = last_form(sim)
    assert form["From"] == SMS_FROM
    assert "MessagingServiceSid" not in form


def test_sms_through_a_messaging_service(sim: BackgroundServer, env: dict[str, str]) -> None:
    service = "MG" + "2" * 32
    env = {k: v for k, v in env.items() if k != "TWILIO_SMS_FROM"}
    env["TWILIO_MESSAGING_SERVICE_SID"] = service
    number = unique_number()
    with TwilioSmsAdapter.from_env(env) as adapter:
        [result] = adapter.send([sms(5, number)])
    assert isinstance(result, Accepted)
    assert result.segments is None  # a service answers "0" segments until it picks a sender
    form = last_form(sim)
    assert (form["MessagingServiceSid"], form["To"]) == (service, number)
    assert "From" not in form


@pytest.mark.parametrize(
    ("to", "code", "suppress"),
    [
        ("+902121234567", "21614", False),  # Istanbul (European side) landline
        ("+902161234567", "21614", False),  # Istanbul (Asian side) landline
        ("+905321230000", "21610", True),  # replied STOP
        ("05321234567", "21211", False),  # not E.164
    ],
)
def test_magic_numbers_are_permanent(
    sim: BackgroundServer, env: dict[str, str], to: str, code: str, suppress: bool
) -> None:
    with TwilioSmsAdapter.from_env(env) as adapter:
        [result] = adapter.send([sms(9, to)])
    assert isinstance(result, Rejected)
    assert type(result.error) is PermanentError
    assert (result.error.code, result.error.status, result.error.suppress) == (code, 400, suppress)
    assert accepted_count(sim, to) == 0


def test_server_errors_are_transient(receiver: CallbackReceiver) -> None:
    config = SimulatorConfig(error_rate=1.0, callbacks=False)
    with (
        simulator_in_background(config) as failing,
        TwilioSmsAdapter.from_env(env_for(failing, config, receiver.url)) as adapter,
    ):
        results = adapter.send([sms(1, unique_number()), sms(2, unique_number())])
    assert len(results) == 2
    for result in results:
        assert isinstance(result, Rejected)
        assert type(result.error) is TransientError
        assert (result.error.status, result.error.code) == (500, "20500")


def test_too_many_requests_is_rate_limited(receiver: CallbackReceiver) -> None:
    config = SimulatorConfig(rate_limit_rate=1.0, callbacks=False)
    with (
        simulator_in_background(config) as busy,
        TwilioSmsAdapter.from_env(env_for(busy, config, receiver.url)) as adapter,
    ):
        [result] = adapter.send([sms(1, unique_number())])
    assert isinstance(result, Rejected)
    assert type(result.error) is RateLimitedError
    assert (result.error.status, result.error.code) == (429, "20429")


def test_mixed_batch_returns_exactly_one_result_per_message(
    sim: BackgroundServer, env: dict[str, str]
) -> None:
    good = [unique_number() for _ in range(40)]
    batch = [sms(100 + i, n) for i, n in enumerate(good)]
    batch += [
        sms(200, "+902125550101"),
        sms(201, "+905550000000"),
        sms(202, "not-a-number"),
        OutboundMessage(203, Channel.EMAIL, "ogrenci@example.edu.tr", "wrong channel"),
        OutboundMessage(204, Channel.WHATSAPP, unique_number(), "wrong channel"),
    ]
    with TwilioSmsAdapter.from_env(env) as adapter:
        results = adapter.send(batch)
    assert len(results) == len(batch)
    assert sorted(r.message_id for r in results) == sorted(m.id for m in batch)
    outcome = by_id(results)
    assert all(isinstance(outcome[100 + i], Accepted) for i in range(len(good)))
    codes = {i: r.error.code for i, r in outcome.items() if isinstance(r, Rejected) and i >= 200}
    assert codes == {
        200: "21614",
        201: "21610",
        202: "21211",
        203: "wrong-channel",
        204: "wrong-channel",
    }
    assert all(accepted_count(sim, n) == 1 for n in good)


def test_status_callbacks_arrive_signed(
    env: dict[str, str], config: SimulatorConfig, receiver: CallbackReceiver
) -> None:
    message_id = 900_000 + secrets.randbelow(100_000)
    with TwilioSmsAdapter.from_env(env) as adapter:
        [result] = adapter.send([sms(message_id, unique_number())])
    assert isinstance(result, Accepted)

    callbacks = receiver.for_message(result.provider_message_id, 2)
    assert [c.params["MessageStatus"] for c in callbacks] == ["sent", "delivered"]
    for callback in callbacks:
        assert verify_signature(
            config.twilio_auth_token, callback.url, callback.params, callback.signature
        )
        assert not verify_signature(
            "another-token", callback.url, callback.params, callback.signature
        )
        query = dict(parse_qsl(urlsplit(callback.url).query))
        event = parse_status_callback(callback.params, query)
        assert event.message_id == message_id
        assert event.provider_message_id == result.provider_message_id
    assert parse_status_callback(callbacks[-1].params, {}).type is EventType.DELIVERED


# --- WhatsApp ---------------------------------------------------------------------------------


def test_whatsapp_template_goes_as_content_sid_and_json_variables(
    sim: BackgroundServer, env: dict[str, str]
) -> None:
    number = unique_number()
    template = ProviderTemplate(
        "HX" + "a" * 32, {"1": "Ayşe", "2": "https://mezun.universite.example.edu.tr/k?x=1&y=2"}
    )
    with TwilioWhatsAppAdapter.from_env(env) as adapter:
        [result] = adapter.send([whatsapp(11, number, template=template)])
    assert isinstance(result, Accepted)
    assert SID.match(result.provider_message_id)
    form = last_form(sim)
    assert form["ContentSid"] == template.id
    assert json.loads(form["ContentVariables"]) == dict(template.variables)
    assert "Body" not in form
    assert (form["To"], form["From"]) == (f"whatsapp:{number}", f"whatsapp:{WHATSAPP_FROM}")
    assert accepted_count(sim, f"whatsapp:{number}") == 1


def test_whatsapp_without_template_sends_the_body(
    sim: BackgroundServer, env: dict[str, str]
) -> None:
    number = unique_number()
    with TwilioWhatsAppAdapter.from_env(env) as adapter:
        [result] = adapter.send([whatsapp(12, f"whatsapp:{number}")])
    assert isinstance(result, Accepted)
    form = last_form(sim)
    assert form["Body"] == "Merhaba"
    assert "ContentSid" not in form
    assert form["To"] == f"whatsapp:{number}"  # the prefix is never doubled


def test_whatsapp_magic_numbers_and_wrong_channel(env: dict[str, str]) -> None:
    batch = [
        whatsapp(1, "+905321230000"),
        whatsapp(2, "+902161234567"),
        sms(3, unique_number()),
        whatsapp(4, unique_number()),
    ]
    with TwilioWhatsAppAdapter.from_env(env) as adapter:
        results = by_id(adapter.send(batch))
    assert isinstance(results[4], Accepted)
    errors = {i: r.error for i, r in results.items() if isinstance(r, Rejected)}
    assert {i: (e.code, e.suppress) for i, e in errors.items()} == {
        1: ("21610", True),
        2: ("21614", False),
        3: ("wrong-channel", False),
    }


def test_whatsapp_read_callback(
    env: dict[str, str], config: SimulatorConfig, receiver: CallbackReceiver
) -> None:
    number = unique_number()
    with TwilioWhatsAppAdapter.from_env(env) as adapter:
        [result] = adapter.send([whatsapp(13, number)])
    assert isinstance(result, Accepted)

    callbacks = receiver.for_message(result.provider_message_id, 3)
    assert [c.params["MessageStatus"] for c in callbacks] == ["sent", "delivered", "read"]
    assert all(
        verify_signature(config.twilio_auth_token, c.url, c.params, c.signature) for c in callbacks
    )
    event = parse_status_callback(callbacks[-1].params, {"m": "13"})
    assert (event.type, event.recipient, event.message_id) == (EventType.READ, number, 13)


# --- rate limits ------------------------------------------------------------------------------


def test_local_rate_limit_without_waiting_rejects_beyond_the_burst(
    sim: BackgroundServer, env: dict[str, str]
) -> None:
    numbers = [unique_number() for _ in range(6)]
    adapter = TwilioSmsAdapter(
        TwilioSettings.read(env),
        status_url=status_url_for(env, None),
        from_=SMS_FROM,
        limiter=AsyncLocalTokenBucket(5),  # 5/s, a burst of 5
        max_rate_wait=0,
    )
    with adapter:
        results = adapter.send([sms(i, n) for i, n in enumerate(numbers)])
    limited = [r for r in results if isinstance(r, Rejected)]
    assert len([r for r in results if isinstance(r, Accepted)]) == 5
    assert len(limited) == 1
    assert type(limited[0].error) is RateLimitedError
    assert limited[0].error.retry_after is not None
    assert limited[0].error.retry_after > 0
    assert sum(accepted_count(sim, n) for n in numbers) == 5  # the sixth never left


def test_local_rate_limit_waits_for_a_token_within_the_budget(
    sim: BackgroundServer, env: dict[str, str]
) -> None:
    numbers = [unique_number() for _ in range(6)]
    with TwilioSmsAdapter.from_env({**env, "TWILIO_SMS_RATE": "5/s"}) as adapter:
        results = adapter.send([sms(i, n) for i, n in enumerate(numbers)])
    # The burst is 5: the sixth could only go after a token was refilled.
    assert all(isinstance(r, Accepted) for r in results)
    assert sum(accepted_count(sim, n) for n in numbers) == 6


def test_redis_bucket_is_shared_between_adapter_instances(
    sim: BackgroundServer, env: dict[str, str], redis_url: str, config: SimulatorConfig
) -> None:
    sender = "+1500555" + f"{secrets.randbelow(10**4):04d}"
    key = f"campaigns:ratelimit:twilio:{config.twilio_account_sid}:sms:{sender}"
    shared = {
        **env,
        "TWILIO_SMS_FROM": sender,
        "TWILIO_SMS_RATE": "1/m",
        "CAMPAIGNS_REDIS_URL": redis_url,
    }
    first, second = unique_number(), unique_number()
    try:
        with TwilioSmsAdapter.from_env(shared) as a, TwilioSmsAdapter.from_env(shared) as b:
            [sent] = a.send([sms(1, first)])
            [held] = b.send([sms(2, second)])
        assert isinstance(sent, Accepted)
        assert isinstance(held, Rejected)
        assert type(held.error) is RateLimitedError
        # The next token is about a minute away, beyond the wait budget: no blocking.
        assert held.error.retry_after is not None
        assert held.error.retry_after > 5
        assert (accepted_count(sim, first), accepted_count(sim, second)) == (1, 0)
    finally:
        client = redis.Redis.from_url(redis_url)
        client.delete(key)
        client.close()


class Blackhole:
    """A TCP port that accepts connections and never answers: a Redis that hangs."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.connections: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.sock.accept()
            except OSError:
                return
            self.connections.append(connection)

    def close(self) -> None:
        for connection in self.connections:
            connection.close()
        self.sock.close()


def test_an_unreachable_rate_limiter_makes_the_messages_transient_at_once(
    sim: BackgroundServer, env: dict[str, str]
) -> None:
    numbers = [unique_number() for _ in range(3)]
    hanging = Blackhole()
    adapter = TwilioSmsAdapter(
        TwilioSettings.read(env),
        status_url=status_url_for(env, None),
        from_=SMS_FROM,
        limiter=AsyncRedisTokenBucket(
            f"redis://127.0.0.1:{hanging.port}/0", "campaigns:ratelimit:hanging", 5
        ),
    )
    try:
        with adapter, ThreadPoolExecutor(1) as pool:
            waiting = pool.submit(adapter.send, [sms(i, n) for i, n in enumerate(numbers)])
            while not hanging.connections:
                time.sleep(0.01)
            # The batch waits for Redis on the loop without blocking it.
            [probe] = adapter.send([OutboundMessage(9, Channel.EMAIL, "a@example.edu.tr", "x")])
            assert not waiting.done()
            results = waiting.result()
    finally:
        hanging.close()
    assert probe.error.code == "wrong-channel"  # type: ignore[union-attr]
    assert len(results) == 3
    for result in results:
        assert isinstance(result, Rejected)
        assert type(result.error) is TransientError
        assert result.error.code == "rate-limiter"
    # Asked once for the batch, not once (with retries) per message.
    assert len(hanging.connections) == 1
    assert sum(accepted_count(sim, n) for n in numbers) == 0


def test_waiting_for_a_token_leaves_the_sender_free(
    sim: BackgroundServer, env: dict[str, str]
) -> None:
    numbers = [unique_number() for _ in range(3)]
    adapter = TwilioSmsAdapter(
        TwilioSettings.read(env),
        status_url=status_url_for(env, None),
        from_=SMS_FROM,
        limiter=AsyncLocalTokenBucket(1),  # 1/s, a burst of 1: the others wait 1 s and 2 s
    )
    with adapter, ThreadPoolExecutor(1) as pool:
        waiting = pool.submit(adapter.send, [sms(i, n) for i, n in enumerate(numbers)])
        while sum(accepted_count(sim, n) for n in numbers) == 0:
            time.sleep(0.01)
        # Answered while the batch waits for its tokens: the loop is not blocked by the wait.
        [probe] = adapter.send([OutboundMessage(9, Channel.EMAIL, "a@example.edu.tr", "x")])
        assert not waiting.done()
        assert sum(accepted_count(sim, n) for n in numbers) == 1
        results = waiting.result()
    assert isinstance(probe, Rejected)
    assert probe.error.code == "wrong-channel"
    assert all(isinstance(r, Accepted) for r in results)
    assert [accepted_count(sim, n) for n in numbers] == [1, 1, 1]


def test_local_buckets_are_not_shared(sim: BackgroundServer, env: dict[str, str]) -> None:
    local = {**env, "TWILIO_SMS_RATE": "1/m"}
    with TwilioSmsAdapter.from_env(local) as a, TwilioSmsAdapter.from_env(local) as b:
        results = a.send([sms(1, unique_number())]) + b.send([sms(2, unique_number())])
    assert all(isinstance(r, Accepted) for r in results)


# --- the adapter contract ---------------------------------------------------------------------


class TestTwilioSmsKeepsTheAdapterContract(AdapterContract, OutageContract, SimulatorOutage):
    channel = Channel.SMS

    @pytest.fixture
    def adapter(self, env: dict[str, str]) -> Iterator[TwilioSmsAdapter]:
        with TwilioSmsAdapter.from_env(env) as adapter:
            yield adapter


class TestTwilioWhatsAppKeepsTheAdapterContract(AdapterContract, OutageContract, SimulatorOutage):
    channel = Channel.WHATSAPP

    @pytest.fixture
    def adapter(self, env: dict[str, str]) -> Iterator[TwilioWhatsAppAdapter]:
        with TwilioWhatsAppAdapter.from_env(env) as adapter:
            yield adapter
