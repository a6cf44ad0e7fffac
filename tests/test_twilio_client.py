"""Twilio plumbing: settings, error classification, the HTTP client (base URL override,
timeout) against the local simulator through the real SDK."""

from __future__ import annotations

import inspect
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import requests
import requests.exceptions
import twilio.base.exceptions
from twilio.base.exceptions import TwilioException, TwilioRestException, TwilioServiceException
from twilio.rest import Client

from channels.base import (
    Accepted,
    Channel,
    ConfigurationError,
    DeliveryError,
    OutboundMessage,
    PermanentError,
    RateLimitedError,
    Rejected,
    TransientError,
)
from channels.twilio_client import (
    TWILIO_API_URL,
    TwilioApiHttpClient,
    TwilioSettings,
    classify,
    new_client,
    status_callback_url,
)
from channels.twilio_sms import TwilioSmsAdapter
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
    settings = TwilioSettings.from_env(
        {"TWILIO_ACCOUNT_SID": "AC1", "TWILIO_AUTH_TOKEN": "s3cr3t-token"}
    )
    assert (settings.api_base_url, settings.timeout, settings.concurrency) == (None, 10.0, 32)
    assert "s3cr3t" not in repr(settings)  # the token never shows up in logs

    settings = TwilioSettings.from_env(
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
        TwilioSettings.from_env(env)


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
        TwilioSettings.from_env(env)


def test_status_callback_url_carries_our_message_id() -> None:
    assert (
        status_callback_url("https://kampanya.example.edu.tr", 42)
        == "https://kampanya.example.edu.tr/webhooks/twilio/status?m=42"
    )


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
    arguments: dict[str, object] = {}
    for name, parameter in inspect.signature(cls.__init__).parameters.items():
        if name == "self" or parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        if name in values:
            arguments[name] = values[name]
        elif parameter.default is parameter.empty:
            pytest.fail(f"teach this test how to build {cls.__name__} (parameter {name!r})")
    return cls(**arguments)


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


URL_PROBLEMS = (
    requests.exceptions.MissingSchema,
    requests.exceptions.InvalidSchema,
    requests.exceptions.InvalidURL,
    requests.exceptions.URLRequired,
)


def build_requests_error(cls: type[Exception]) -> Exception:
    for arguments in (("boom",), ("boom", "document", 0)):
        try:
            return cls(*arguments)
        except TypeError:
            continue
    pytest.fail(f"teach this test how to build {cls.__name__}")


def test_every_requests_exception_class_is_classified() -> None:
    classes = exception_classes(requests.exceptions)
    errors = [cls for cls in classes if issubclass(cls, requests.RequestException)]
    # Anything else defined there is a warning, never raised at us.
    assert all(issubclass(cls, Warning) for cls in classes if cls not in errors)
    assert {
        requests.exceptions.ConnectionError,
        requests.exceptions.ConnectTimeout,
        requests.exceptions.ReadTimeout,
        requests.exceptions.SSLError,
    } <= set(errors)
    for cls in errors:
        expected = ConfigurationError if issubclass(cls, URL_PROBLEMS) else TransientError
        assert outcome(build_requests_error(cls)) is expected, cls.__name__


def test_transport_errors_say_what_happened() -> None:
    refused = classify(requests.exceptions.ConnectionError("refused"))
    connect = classify(requests.exceptions.ConnectTimeout("slow connect"))
    read = classify(requests.exceptions.ReadTimeout("slow answer"))
    assert (refused.code, connect.code, read.code) == (
        "ConnectionError",
        "ConnectTimeout",
        "ReadTimeout",
    )
    assert "may have accepted" in read.detail  # a read timeout is ambiguous
    assert all(isinstance(e, TransientError) for e in (refused, connect, read))


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
    client.close()


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
    client.close()


def test_base_url_holds_with_region_and_edge_on_the_client(sim: BackgroundServer) -> None:
    settings = TwilioSettings.from_env(env_for(sim))
    client = new_client(settings)
    client.region, client.edge = "ie1", "dublin"
    # Without the rewrite the SDK would go to Twilio's Dublin edge.
    assert client.get_hostname(f"{TWILIO_API_URL}/x") == "https://api.dublin.ie1.twilio.com/x"
    created = client.messages.create(
        to="+905321110001", from_="+15005550006", body="Kayıt hatırlatması"
    )
    assert created.sid.startswith("SM")
    fetched = client.messages(created.sid).fetch()
    assert (fetched.sid, fetched.to) == (created.sid, "+905321110001")
    assert accepted_recipients(sim)["+905321110001"] == 1
    client.http_client.close()


def test_fetch_shows_the_status_progressing_and_the_price_once_final(
    sim: BackgroundServer,
) -> None:
    client = new_client(TwilioSettings.from_env(env_for(sim)))
    created = client.messages.create(to="+905321110005", from_="+15005550006", body="a" * 200)
    assert (created.status, created.price, created.num_segments) == ("queued", None, "2")
    deadline = time.monotonic() + 10
    fetched = client.messages(created.sid).fetch()
    while fetched.status not in ("delivered", "undelivered") and time.monotonic() < deadline:
        time.sleep(0.02)
        fetched = client.messages(created.sid).fetch()
    assert fetched.status in ("delivered", "undelivered")
    assert (fetched.price, fetched.price_unit) == ("-0.08000", "USD")  # 2 segments
    assert fetched.date_sent is not None
    client.http_client.close()


def test_another_accounts_path_is_a_configuration_problem(sim: BackgroundServer) -> None:
    settings = TwilioSettings.from_env(env_for(sim))
    client = Client(
        settings.account_sid,
        settings.auth_token,
        account_sid="AC" + "9" * 32,
        http_client=TwilioApiHttpClient(timeout=5, pool_size=1, base_url=sim.url),
    )
    with pytest.raises(TwilioRestException) as raised:
        client.messages.create(to="+905321110006", from_="+15005550006", body="x")
    assert (raised.value.status, raised.value.code) == (404, 20404)
    with pytest.raises(ConfigurationError):
        classify(raised.value)
    ours = new_client(settings)
    with pytest.raises(TwilioRestException) as missing:
        ours.messages("SM" + "0" * 32).fetch()
    assert type(classify(missing.value)) is PermanentError  # a missing message, not account
    client.http_client.close()
    ours.http_client.close()


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


def test_timeout_is_applied() -> None:
    config = SimulatorConfig(callbacks=False, timeout_rate=1.0, timeout_seconds=5)
    with simulator_in_background(config) as slow:
        env = env_for(slow, config, TWILIO_TIMEOUT="0.5")
        with TwilioSmsAdapter.from_env(env) as adapter:
            [result] = adapter.send([OutboundMessage(7, Channel.SMS, "+905321110003", "x")])
    # The simulator answers (and accepts) after 5 s: an Accepted result would mean no timeout.
    assert isinstance(result, Rejected)
    assert type(result.error) is TransientError
    assert result.error.code == "ReadTimeout"


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
    assert result.error.code == "ConnectionError"


def test_wrong_credentials_stop_the_whole_batch(sim: BackgroundServer) -> None:
    env = env_for(sim, TWILIO_AUTH_TOKEN="not-the-token")
    batch = [OutboundMessage(i, Channel.SMS, f"+90532111{i:04d}", "x") for i in range(10, 15)]
    with TwilioSmsAdapter.from_env(env) as adapter, pytest.raises(ConfigurationError):
        adapter.send(batch)
    assert not any(r.startswith("+90532111001") for r in accepted_recipients(sim))
