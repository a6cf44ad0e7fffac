"""Twilio plumbing: settings, error classification, the asyncio HTTP client (base URL
override, timeout, no logging) and the batch sender against the local simulator through the
real SDK."""

from __future__ import annotations

import asyncio
import inspect
import logging
import ssl
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import aiohttp
import httpx
import pytest
import twilio.base.exceptions
from aiohttp.client_reqrep import ConnectionKey, RequestInfo
from multidict import CIMultiDict, CIMultiDictProxy
from starlette.types import ASGIApp, Receive, Scope, Send
from twilio.base.exceptions import TwilioException, TwilioRestException, TwilioServiceException
from twilio.rest import Client
from yarl import URL

from channels.base import (
    Accepted,
    Channel,
    ConfigurationError,
    DeliveryError,
    InFlight,
    OutboundMessage,
    OutcomeUnknownError,
    PermanentError,
    RateLimitedError,
    Rejected,
    TransientError,
    Unknown,
)
from channels.twilio_client import (
    TWILIO_API_URL,
    TwilioApiHttpClient,
    TwilioMessageSender,
    TwilioSettings,
    classify,
    new_client,
    status_url_for,
)
from channels.twilio_sms import TwilioSmsAdapter
from simulator.app import create_app
from simulator.core import SimulatorConfig
from simulator.server import BackgroundServer, free_port, simulator_in_background

MESSAGES_URI = "/2010-04-01/Accounts/AC" + "0" * 32 + "/Messages.json"
CONFIG = SimulatorConfig(callbacks=False, seed=1)


def env_for(
    sim: BackgroundServer, config: SimulatorConfig = CONFIG, **extra: str
) -> dict[str, str]:
    return {
        "TWILIO_ACCOUNT_SID": config.twilio_account_sid,
        "TWILIO_AUTH_TOKEN": config.twilio_auth_token,
        "TWILIO_API_BASE_URL": sim.url,
        "TWILIO_SMS_FROM": "+15005550006",
        "CAMPAIGNS_PUBLIC_URL": "https://kampanya.example.edu.tr",
        **extra,
    }


def accepted_recipients(sim: BackgroundServer) -> dict[str, int]:
    ledger = httpx.get(f"{sim.url}/_simulator/ledger").json()
    return {row["recipient"]: row["count"] for row in ledger["accepted"]}


@pytest.fixture(scope="module")
def sim() -> Iterator[BackgroundServer]:
    with simulator_in_background(CONFIG) as server:
        yield server


# --- settings ---------------------------------------------------------------------------------


def test_settings_defaults_and_overrides() -> None:
    settings = TwilioSettings.read(
        {"TWILIO_ACCOUNT_SID": "AC1", "TWILIO_AUTH_TOKEN": "s3cr3t-token"}
    )
    assert (settings.api_base_url, settings.timeout, settings.concurrency) == (None, 10.0, 32)
    assert "s3cr3t" not in repr(settings)  # the token never shows up in logs

    settings = TwilioSettings.read(
        {
            "TWILIO_ACCOUNT_SID": "AC1",
            "TWILIO_AUTH_TOKEN": "t",
            "TWILIO_API_BASE_URL": "http://127.0.0.1:9999/",
            "TWILIO_TIMEOUT": "2.5",
            "TWILIO_CONCURRENCY": "4",
        }
    )
    assert settings.api_base_url == "http://127.0.0.1:9999"
    assert (settings.timeout, settings.concurrency) == (2.5, 4)


@pytest.mark.parametrize("missing", ["TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN"])
def test_settings_name_the_missing_variable(missing: str) -> None:
    env = {"TWILIO_ACCOUNT_SID": "AC1", "TWILIO_AUTH_TOKEN": "t"}
    del env[missing]
    with pytest.raises(ConfigurationError, match=missing):
        TwilioSettings.read(env)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("TWILIO_TIMEOUT", "0"),
        ("TWILIO_TIMEOUT", "soon"),
        ("TWILIO_CONCURRENCY", "-1"),
        ("TWILIO_CONCURRENCY", "2.5"),
        ("TWILIO_API_BASE_URL", "127.0.0.1:9999"),
    ],
)
def test_settings_reject_bad_values(variable: str, value: str) -> None:
    env = {"TWILIO_ACCOUNT_SID": "AC1", "TWILIO_AUTH_TOKEN": "t", variable: value}
    with pytest.raises(ConfigurationError, match=variable):
        TwilioSettings.read(env)


def test_the_status_url_carries_our_message_id_to_the_hosts_receiver() -> None:
    def hosts(path: str, message_id: int) -> str:
        return f"https://kampanya.example.edu.tr/cb/{path}/{message_id}"

    assert status_url_for({}, hosts)(42) == "https://kampanya.example.edu.tr/cb/twilio/status/42"
    alone = status_url_for({"CAMPAIGNS_PUBLIC_URL": "https://k.example.edu.tr/"}, None)
    assert alone(42) == "https://k.example.edu.tr/webhooks/twilio/status?m=42"
    with pytest.raises(ConfigurationError, match="CAMPAIGNS_PUBLIC_URL"):
        status_url_for({}, None)


# --- classification: completeness by introspection -------------------------------------------


def exception_classes(module: Any) -> list[type[Exception]]:
    return [
        obj
        for obj in vars(module).values()
        if isinstance(obj, type)
        and issubclass(obj, Exception)
        and obj.__module__ == module.__name__
    ]


STATUSES = [400, 401, 403, 404, 409, 429, 500, 502, 503]


def arguments_for(cls: type[Exception], values: dict[str, object]) -> dict[str, object]:
    """The named parameters of ``cls`` taken from ``values``; fails on a required one missing."""
    arguments: dict[str, object] = {}
    for name, parameter in inspect.signature(cls.__init__).parameters.items():
        if name == "self" or parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        if name in values:
            arguments[name] = values[name]
        elif parameter.default is parameter.empty:
            pytest.fail(f"teach this test how to build {cls.__name__} (parameter {name!r})")
    return arguments


def build(cls: type[Exception], status: int) -> Exception:
    """An instance of a Twilio exception class, its arguments chosen by parameter name."""
    values: dict[str, object] = {
        "status": status,
        "code": 99000 + status,  # a code with no meaning of its own: the status decides
        "uri": MESSAGES_URI,
        "msg": "provider message",
        "method": "POST",
        "type_uri": "https://www.twilio.com/docs/errors/99000",
        "title": "provider title",
        "detail": "provider detail",
    }
    return cls(**arguments_for(cls, values))


def outcome(exc: Exception) -> type[Exception]:
    try:
        result = classify(exc)
    except ConfigurationError:
        return ConfigurationError
    assert isinstance(result, DeliveryError)
    assert result.detail, f"{exc!r} classified without detail"
    assert result.code, f"{exc!r} classified without code"
    return type(result)


def expected_for_status(status: int) -> type[Exception]:
    if status in (401, 403):
        return ConfigurationError
    if status == 429:
        return RateLimitedError
    if status >= 500:
        return TransientError
    return PermanentError


def test_every_twilio_exception_class_is_classified() -> None:
    classes = exception_classes(twilio.base.exceptions)
    assert {TwilioException, TwilioRestException, TwilioServiceException} <= set(classes)
    for cls in classes:
        assert issubclass(cls, TwilioException), f"{cls.__name__} is outside TwilioException"
        has_status = "status" in inspect.signature(cls.__init__).parameters
        if not has_status:
            assert outcome(build(cls, 0)) is PermanentError, cls.__name__
            continue
        for status in STATUSES:
            exc = build(cls, status)
            assert outcome(exc) is expected_for_status(status), (cls.__name__, status)
            if expected_for_status(status) is not ConfigurationError:
                result = classify(exc)
                assert result.status == status
                assert result.code == str(99000 + status)


def connection_key() -> ConnectionKey:
    return ConnectionKey(
        host="api.twilio.com",
        port=443,
        is_ssl=True,
        ssl=True,
        proxy=None,
        proxy_auth=None,
        proxy_headers_hash=None,
    )


def build_aiohttp_error(cls: type[Exception]) -> Exception:
    """An instance of an aiohttp exception class, its arguments chosen by parameter name."""
    url = URL(f"{TWILIO_API_URL}{MESSAGES_URI}")
    values: dict[str, object] = {
        "connection_key": connection_key(),
        "os_error": ConnectionRefusedError(111, "Connection refused"),
        "certificate_error": ssl.SSLCertVerificationError("certificate verify failed"),
        "request_info": RequestInfo(url, "POST", CIMultiDictProxy(CIMultiDict()), url),
        "history": (),
        "url": url,
        "message": "boom",
        "expected": b"a" * 32,
        "got": b"b" * 32,
        "host": "api.twilio.com",
        "port": 443,
        "path": "/run/twilio.sock",
    }
    arguments = arguments_for(cls, values)
    return cls(**arguments) if arguments else cls("boom")


def aiohttp_errors() -> list[type[Exception]]:
    exported = (getattr(aiohttp, name) for name in aiohttp.__all__)
    return [c for c in exported if isinstance(c, type) and issubclass(c, aiohttp.ClientError)]


def expected_for_transport(cls: type[Exception]) -> type[Exception]:
    # A URL aiohttp cannot use is ours to fix; redirects are never followed.
    url_problem = issubclass(cls, aiohttp.InvalidURL | aiohttp.NonHttpUrlClientError)
    if url_problem and not issubclass(cls, aiohttp.RedirectClientError):
        return ConfigurationError
    # Nothing reached Twilio: try again.
    never_sent = (
        aiohttp.ConnectionTimeoutError
        | aiohttp.ClientConnectorError
        | aiohttp.ServerFingerprintMismatch
    )
    if issubclass(cls, never_sent):
        return TransientError
    # The request went out and its answer was lost: Twilio may have the message.
    if issubclass(cls, TimeoutError | aiohttp.ClientConnectionError | aiohttp.ClientPayloadError):
        return OutcomeUnknownError
    return TransientError


def test_every_aiohttp_exception_class_is_classified() -> None:
    classes = aiohttp_errors()
    assert {
        aiohttp.ClientError,
        aiohttp.ClientConnectorError,
        aiohttp.ClientConnectorDNSError,
        aiohttp.ClientOSError,
        aiohttp.ClientPayloadError,
        aiohttp.ConnectionTimeoutError,
        aiohttp.InvalidURL,
        aiohttp.InvalidUrlClientError,
        aiohttp.NonHttpUrlClientError,
        aiohttp.ServerDisconnectedError,
        aiohttp.ServerTimeoutError,
        aiohttp.SocketTimeoutError,
    } <= set(classes)
    for cls in [*classes, asyncio.TimeoutError]:
        exc = build_aiohttp_error(cls)
        assert type(exc) is cls
        assert outcome(exc) is expected_for_transport(cls), cls.__name__
    assert expected_for_transport(aiohttp.InvalidURL) is ConfigurationError


def test_transport_errors_say_what_happened() -> None:
    refused = classify(build_aiohttp_error(aiohttp.ClientConnectorError))
    connect = classify(aiohttp.ConnectionTimeoutError("slow connect"))
    answer = classify(TimeoutError())
    dropped = classify(aiohttp.ServerDisconnectedError())
    assert (refused.code, connect.code, answer.code, dropped.code) == (
        "ClientConnectorError",
        "ConnectionTimeoutError",
        "TimeoutError",
        "ServerDisconnectedError",
    )
    assert "Cannot connect to host api.twilio.com:443" in refused.detail
    # Nothing was sent when connecting failed; a missing answer is ambiguous.
    assert "may have accepted" not in refused.detail + connect.detail
    assert "may have accepted" in answer.detail
    assert "may have accepted" in dropped.detail
    assert all(isinstance(e, TransientError) for e in (refused, connect))
    assert all(isinstance(e, OutcomeUnknownError) for e in (answer, dropped))


def test_other_exceptions_are_transient_and_named() -> None:
    error = classify(KeyError("sid"))
    assert isinstance(error, TransientError)
    assert error.code == "KeyError"


# --- classification: documented codes --------------------------------------------------------

PERMANENT_CODES = [21211, 21614, 21612, 21408, 21606, 21608, 63016, 63003]


@pytest.mark.parametrize("code", PERMANENT_CODES)
def test_documented_permanent_codes(code: int) -> None:
    exc = TwilioRestException(400, MESSAGES_URI, "Unable to create record: why", code, "POST")
    error = classify(exc)
    assert type(error) is PermanentError
    assert (error.code, error.status, error.suppress) == (str(code), 400, False)
    assert error.detail == f"Twilio {code}: why"


def test_replied_stop_is_permanent_and_suppresses() -> None:
    exc = TwilioRestException(400, MESSAGES_URI, "unsubscribed recipient", 21610, "POST")
    error = classify(exc)
    assert type(error) is PermanentError
    assert (error.code, error.suppress) == ("21610", True)


@pytest.mark.parametrize(("status", "code"), [(429, 20429), (429, None), (400, 20429)])
def test_too_many_requests_is_rate_limited(status: int, code: int | None) -> None:
    error = classify(TwilioRestException(status, MESSAGES_URI, "Too Many Requests", code))
    assert type(error) is RateLimitedError
    assert error.retry_after is None  # the SDK keeps no Retry-After header


def test_sender_queue_full_is_rate_limited_not_permanent() -> None:
    error = classify(TwilioRestException(400, MESSAGES_URI, "queue over 10 hours", 21611))
    assert type(error) is RateLimitedError


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_are_transient(status: int) -> None:
    error = classify(TwilioRestException(status, MESSAGES_URI, "internal", 20500))
    assert type(error) is TransientError
    assert error.status == status


@pytest.mark.parametrize(
    ("status", "code", "uri"),
    [
        (401, 20003, MESSAGES_URI),
        (400, 20003, MESSAGES_URI),
        (403, None, MESSAGES_URI),
        (404, 20404, MESSAGES_URI),
        (404, 20404, "/2010-04-01/Accounts/ACxx.json"),
    ],
)
def test_credential_problems_raise_configuration_error(
    status: int, code: int | None, uri: str
) -> None:
    with pytest.raises(ConfigurationError):
        classify(TwilioRestException(status, uri, "Authenticate", code))


def test_a_missing_message_is_not_a_credentials_problem() -> None:
    uri = "/2010-04-01/Accounts/ACxx/Messages/SM123.json"
    error = classify(TwilioRestException(404, uri, "not found", 20404, "GET"))
    assert type(error) is PermanentError


def test_service_exceptions_are_classified_like_rest_exceptions() -> None:
    def service(status: int, code: int) -> TwilioServiceException:
        return TwilioServiceException("https://x", "Title", status, code, detail="Detail")

    stop = classify(service(400, 21610))
    assert type(stop) is PermanentError
    assert stop.suppress
    assert stop.detail == "Twilio 21610: Title: Detail"
    assert type(classify(service(429, 20429))) is RateLimitedError
    assert type(classify(service(503, 20503))) is TransientError
    with pytest.raises(ConfigurationError):
        classify(service(401, 20003))


def test_sdk_errors_without_http_status_are_permanent() -> None:
    error = classify(TwilioException("bad argument"))
    assert type(error) is PermanentError
    assert "bad argument" in error.detail


# --- the HTTP client --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json",
        "https://api.ie1.twilio.com/2010-04-01/Accounts/AC1/Messages.json",
        "https://api.dublin.ie1.twilio.com/2010-04-01/Accounts/AC1/Messages.json",
    ],
)
def test_rewrite_covers_regional_and_edge_hosts(url: str) -> None:
    client = TwilioApiHttpClient(timeout=1, pool_size=2, base_url="http://127.0.0.1:9/")
    assert client.rewrite(url) == "http://127.0.0.1:9/2010-04-01/Accounts/AC1/Messages.json"


@pytest.mark.parametrize(
    "url",
    [
        "https://messaging.twilio.com/v1/Services",
        "https://api.twilio.com.example.org/2010-04-01",
        "https://example.org/https://api.twilio.com/",
    ],
)
def test_rewrite_leaves_other_hosts_alone(url: str) -> None:
    client = TwilioApiHttpClient(timeout=1, pool_size=2, base_url="http://127.0.0.1:9")
    assert client.rewrite(url) == url


def test_base_url_holds_with_region_and_edge_on_the_client(sim: BackgroundServer) -> None:
    async def scenario() -> None:
        client = new_client(TwilioSettings.read(env_for(sim)))
        client.region, client.edge = "ie1", "dublin"
        # Without the rewrite the SDK would go to Twilio's Dublin edge.
        assert client.get_hostname(f"{TWILIO_API_URL}/x") == "https://api.dublin.ie1.twilio.com/x"
        try:
            created = await client.messages.create_async(
                to="+905321110001", from_="+15005550006", body="Kayıt hatırlatması"
            )
            assert created.sid.startswith("SM")
            fetched = await client.messages(created.sid).fetch_async()
            assert (fetched.sid, fetched.to) == (created.sid, "+905321110001")
        finally:
            await client.http_client.close()

    asyncio.run(scenario())
    assert accepted_recipients(sim)["+905321110001"] == 1


def test_fetch_shows_the_status_progressing_and_the_price_once_final(
    sim: BackgroundServer,
) -> None:
    async def scenario() -> None:
        client = new_client(TwilioSettings.read(env_for(sim)))
        try:
            created = await client.messages.create_async(
                to="+905321110005", from_="+15005550006", body="a" * 200
            )
            assert (created.status, created.price, created.num_segments) == ("queued", None, "2")
            deadline = asyncio.get_running_loop().time() + 10
            fetched = await client.messages(created.sid).fetch_async()
            while fetched.status not in ("delivered", "undelivered"):
                if asyncio.get_running_loop().time() > deadline:
                    break
                await asyncio.sleep(0.02)
                fetched = await client.messages(created.sid).fetch_async()
            assert fetched.status in ("delivered", "undelivered")
            assert (fetched.price, fetched.price_unit) == ("-0.08000", "USD")  # 2 segments
            assert fetched.date_sent is not None
        finally:
            await client.http_client.close()

    asyncio.run(scenario())


def test_another_accounts_path_is_a_configuration_problem(sim: BackgroundServer) -> None:
    settings = TwilioSettings.read(env_for(sim))

    async def scenario() -> None:
        client = Client(
            settings.account_sid,
            settings.auth_token.get_secret_value(),
            account_sid="AC" + "9" * 32,
            http_client=TwilioApiHttpClient(timeout=5, pool_size=1, base_url=sim.url),
        )
        ours = new_client(settings)
        try:
            with pytest.raises(TwilioRestException) as raised:
                await client.messages.create_async(
                    to="+905321110006", from_="+15005550006", body="x"
                )
            assert (raised.value.status, raised.value.code) == (404, 20404)
            with pytest.raises(ConfigurationError):
                classify(raised.value)
            with pytest.raises(TwilioRestException) as missing:
                await ours.messages("SM" + "0" * 32).fetch_async()
            # A missing message, not a missing account.
            assert type(classify(missing.value)) is PermanentError
        finally:
            await client.http_client.close()
            await ours.http_client.close()

    asyncio.run(scenario())


def test_base_url_holds_with_region_and_edge_from_the_environment(
    sim: BackgroundServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TWILIO_REGION", "au1")
    monkeypatch.setenv("TWILIO_EDGE", "sydney")
    with TwilioSmsAdapter.from_env(env_for(sim)) as adapter:
        client = adapter.sender.client()
        assert (client.region, client.edge) == ("au1", "sydney")
        [result] = adapter.send([OutboundMessage(1, Channel.SMS, "+905321110002", "Merhaba")])
    assert isinstance(result, Accepted)
    assert accepted_recipients(sim)["+905321110002"] == 1


def test_requests_and_answers_are_not_logged(
    sim: BackgroundServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    number = "+905321110007"
    with TwilioSmsAdapter.from_env(env_for(sim)) as adapter:
        [result] = adapter.send([OutboundMessage(2, Channel.SMS, number, "Merhaba")])
    assert isinstance(result, Accepted)
    assert not [r for r in caplog.records if r.name.startswith("twilio")]
    assert not [r for r in caplog.records if number in r.getMessage()]


def test_a_timeout_is_reconciled_from_twilios_message_list() -> None:
    config = SimulatorConfig(callbacks=False, timeout_rate=1.0, timeout_seconds=5)
    since = datetime.now(UTC)
    text = "Kaydınızı tamamlayın: https://k.example.edu.tr/r/7abcdEFGH12345678"
    with simulator_in_background(config) as slow:
        env = env_for(slow, config, TWILIO_TIMEOUT="0.5")
        with TwilioSmsAdapter.from_env(env) as adapter:
            [result] = adapter.send([OutboundMessage(7, Channel.SMS, "+905321110003", text)])
            # The simulator accepts at once and answers after 5 s: a timeout, yet it has it.
            assert isinstance(result, Unknown)
            assert type(result.error) is OutcomeUnknownError
            assert result.error.code == "TimeoutError"
            assert "may have accepted" in result.error.detail
            config.timeout_rate = 0.0
            [other] = adapter.send([OutboundMessage(9, Channel.SMS, "+905321110005", "başka")])
            assert isinstance(other, Accepted)
            found = adapter.reconcile(
                [
                    InFlight(7, Channel.SMS, "+905321110003", "7abcdEFGH12345678", since),
                    InFlight(8, Channel.SMS, "+905321110004", "8abcdEFGH12345678", since),
                    InFlight(10, Channel.SMS, "+905321110005", "aabcdEFGH12345678", since),
                ]
            )
    sid = found[7]
    assert sid is not None
    assert sid.startswith("SM")
    # Nothing at all to that number since the claim: certainly never sent.
    assert found[8] is None
    # Another message to that number, without this one's token: cannot tell.
    assert 10 not in found


def test_nothing_listening_is_transient() -> None:
    env = {
        "TWILIO_ACCOUNT_SID": CONFIG.twilio_account_sid,
        "TWILIO_AUTH_TOKEN": CONFIG.twilio_auth_token,
        "TWILIO_API_BASE_URL": f"http://127.0.0.1:{free_port()}",
        "TWILIO_SMS_FROM": "+15005550006",
        "CAMPAIGNS_PUBLIC_URL": "https://kampanya.example.edu.tr",
    }
    with TwilioSmsAdapter.from_env(env) as adapter:
        [result] = adapter.send([OutboundMessage(8, Channel.SMS, "+905321110004", "x")])
    assert isinstance(result, Rejected)
    assert type(result.error) is TransientError
    assert result.error.code == "ClientConnectorError"


def test_an_unusable_base_url_is_a_configuration_problem() -> None:
    env = {
        "TWILIO_ACCOUNT_SID": CONFIG.twilio_account_sid,
        "TWILIO_AUTH_TOKEN": CONFIG.twilio_auth_token,
        "TWILIO_API_BASE_URL": "http://127.0.0.1:99999",  # no such port
        "TWILIO_SMS_FROM": "+15005550006",
        "CAMPAIGNS_PUBLIC_URL": "https://kampanya.example.edu.tr",
    }
    with TwilioSmsAdapter.from_env(env) as adapter, pytest.raises(ConfigurationError, match="URL"):
        adapter.send([OutboundMessage(9, Channel.SMS, "+905321110008", "x")])


def test_wrong_credentials_stop_the_whole_batch(sim: BackgroundServer) -> None:
    env = env_for(sim, TWILIO_AUTH_TOKEN="not-the-token")
    batch = [OutboundMessage(i, Channel.SMS, f"+90532111{i:04d}", "x") for i in range(10, 15)]
    with TwilioSmsAdapter.from_env(env) as adapter, pytest.raises(ConfigurationError):
        adapter.send(batch)
    assert not any(r.startswith("+90532111001") for r in accepted_recipients(sim))


class RevokedFrom:
    """A limiter that never limits, and from its ``n``-th token on leaves the sender's client
    with a revoked auth token: what rotating the token while a batch is sent looks like."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.taken = 0
        self.sender: TwilioMessageSender | None = None

    async def try_take(self) -> float:
        self.taken += 1
        if self.taken == self.n and self.sender is not None:
            client = self.sender.client()
            client.password = "revoked"
            client.auth = (client.username, client.password)
        return 0.0

    async def aclose(self) -> None:
        return None


def test_credentials_refused_after_some_were_accepted_keep_those(sim: BackgroundServer) -> None:
    limiter = RevokedFrom(3)
    adapter = TwilioSmsAdapter(
        TwilioSettings.read(env_for(sim, TWILIO_CONCURRENCY="1")),  # one after the other
        status_url=lambda m: f"https://kampanya.example.edu.tr/webhooks/twilio/status?m={m}",
        from_="+15005550006",
        limiter=limiter,
    )
    limiter.sender = adapter.sender
    numbers = [f"+90532112{i:04d}" for i in range(1, 6)]
    with adapter:
        results = adapter.send(
            [OutboundMessage(i, Channel.SMS, n, "x") for i, n in enumerate(numbers)]
        )
    # Raising would hand the two accepted messages back to be sent again.
    assert len(results) == 5
    outcome = {r.message_id: r for r in results}
    assert isinstance(outcome[0], Accepted)
    assert isinstance(outcome[1], Accepted)
    for message_id in (2, 3, 4):
        result = outcome[message_id]
        assert isinstance(result, Rejected)
        assert type(result.error) is TransientError
        assert "refused" in result.error.detail
    accepted = accepted_recipients(sim)
    assert [accepted.get(n, 0) for n in numbers] == [1, 1, 0, 0, 0]


class ConcurrentRequests:
    """ASGI middleware counting the HTTP requests being answered at the same time."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.now = 0
        self.most = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        self.now += 1
        self.most = max(self.most, self.now)
        try:
            await self.app(scope, receive, send)
        finally:
            self.now -= 1


def test_at_most_the_configured_number_of_requests_are_in_flight() -> None:
    config = SimulatorConfig(callbacks=False, latency=0.05, seed=3)
    counted = ConcurrentRequests(create_app(config))
    with BackgroundServer(counted) as server:
        env = env_for(server, config, TWILIO_CONCURRENCY="3")
        batch = [OutboundMessage(i, Channel.SMS, f"+90532113{i + 1:04d}", "x") for i in range(12)]
        with TwilioSmsAdapter.from_env(env) as adapter:
            results = adapter.send(batch)
    assert sorted(r.message_id for r in results) == list(range(12))
    assert all(isinstance(r, Accepted) for r in results)
    assert counted.most == 3


def sender_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name == "twilio-send"}


def test_close_stops_the_thread_and_a_later_send_starts_afresh(sim: BackgroundServer) -> None:
    before = sender_threads()
    adapter = TwilioSmsAdapter.from_env(env_for(sim))
    adapter.close()  # never used: nothing to stop
    assert sender_threads() == before
    [first] = adapter.send([OutboundMessage(1, Channel.SMS, "+905321140001", "x")])
    assert len(sender_threads() - before) == 1
    adapter.close()
    adapter.close()
    assert sender_threads() == before
    [second] = adapter.send([OutboundMessage(2, Channel.SMS, "+905321140002", "x")])
    adapter.close()
    assert sender_threads() == before
    assert isinstance(first, Accepted)
    assert isinstance(second, Accepted)
    assert accepted_recipients(sim)["+905321140002"] == 1
