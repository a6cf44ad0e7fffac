"""SendGridAdapter against the provider simulator, through the real SendGrid SDK."""

from __future__ import annotations

import http.client
import inspect
import socket
import threading
import time
import urllib.error
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import httpx
import pytest
from python_http_client import exceptions as http_errors  # type: ignore[import-untyped, unused-ignore]

from channels.base import (
    Accepted,
    Channel,
    ConfigurationError,
    OutboundMessage,
    OutcomeUnknownError,
    PermanentError,
    RateLimitedError,
    Rejected,
    SendResult,
    TransientError,
    Unknown,
)
from channels.sendgrid import (
    DEFAULT_HOST,
    EU_HOST,
    HTML_TAG,
    TEXT_TAG,
    SendGridAdapter,
    classify_error,
)
from simulator.core import SimulatorConfig
from simulator.server import BackgroundServer, free_port, simulator_in_background
from tests.support.adapter_contract import AdapterContract, OutageContract

REPLY_TO = "Mezunlar Ofisi <mezun-yanit@universite.example.edu.tr>"

Simulator = tuple[BackgroundServer, SimulatorConfig]


@pytest.fixture
def start() -> Iterator[Callable[..., Simulator]]:
    """Starts a simulator with the given SimulatorConfig fields (no callbacks by default)."""
    with ExitStack() as stack:

        def _start(**fields: Any) -> Simulator:
            fields.setdefault("callbacks", False)
            config = SimulatorConfig(**fields)
            server = stack.enter_context(simulator_in_background(config))
            return server, config

        yield _start


@pytest.fixture
def simulator(start: Callable[..., Simulator]) -> Simulator:
    return start()


def make_adapter(sim: Simulator, **env: str) -> SendGridAdapter:
    server, config = sim
    values = {
        "SENDGRID_API_KEY": config.sendgrid_api_key,
        "SENDGRID_API_HOST": server.url,
        "SENDGRID_TIMEOUT": "10",
        "CAMPAIGNS_EMAIL_REPLY_TO": REPLY_TO,
    }
    values.update(env)
    return SendGridAdapter.from_env(values)


def message(
    i: int,
    *,
    to: str | None = None,
    campaign: str = "7",
    html: str | None = "default",
    text: str | None = None,
) -> OutboundMessage:
    return OutboundMessage(
        id=i,
        channel=Channel.EMAIL,
        to=f"ogrenci{i}@ogr.universite.example.edu.tr" if to is None else to,
        text=text if text is not None else f"Merhaba Öğrenci {i}, mezun sistemine kaydolun.",
        subject=f"Mezun kaydı {i}",
        html=f"<p>Merhaba <b>Öğrenci {i}</b></p>" if html == "default" else html,
        headers={
            "List-Unsubscribe": f"<https://kampanya.example.edu.tr/u/{i}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
        tags={"campaign": campaign, "wave": "ilk-dalga"},
    )


def last(sim: Simulator) -> dict[str, Any]:
    data: dict[str, Any] = httpx.get(f"{sim[0].url}/_simulator/sendgrid/last").json()
    return data


def force(sim: Simulator, status: int, *, count: int = 1, **spec: Any) -> None:
    response = httpx.post(
        f"{sim[0].url}/_simulator/sendgrid/answers", json={"status": status, "count": count, **spec}
    )
    response.raise_for_status()


def ledger(sim: Simulator) -> dict[str, int]:
    data = httpx.get(f"{sim[0].url}/_simulator/ledger").json()
    return {row["recipient"]: row["count"] for row in data["accepted"]}


def rejected(result: SendResult) -> Rejected:
    assert isinstance(result, Rejected), result
    return result


def unknown(result: SendResult) -> OutcomeUnknownError:
    """The error of a result that must be reconciled (the provider may have the message)."""
    assert isinstance(result, Unknown), result
    return result.error


def test_a_thousand_messages_are_one_request_in_order(simulator: Simulator) -> None:
    adapter = make_adapter(simulator)
    batch = [message(i) for i in range(1, 1001)]

    results = adapter.send(batch)

    info = last(simulator)
    assert [h["status"] for h in info["history"]] == [202]
    assert info["history"][0]["personalizations"] == 1000
    request = info["last"]
    assert all(isinstance(r, Accepted) for r in results)
    assert [r.message_id for r in results] == [m.id for m in batch]
    assert {r.provider_message_id for r in results if isinstance(r, Accepted)} == {
        request["x_message_id"]
    }
    assert request["content"] == [
        {"type": "text/plain", "value": TEXT_TAG},
        {"type": "text/html", "value": HTML_TAG},
    ]
    assert request["categories"] == ["campaign-7"]
    assert request["from"] == {"email": "mezun@universite.example.edu.tr", "name": "Mezunlar Ofisi"}
    assert request["reply_to"] == {
        "email": "mezun-yanit@universite.example.edu.tr",
        "name": "Mezunlar Ofisi",
    }
    personalizations = request["personalizations"]
    assert [p["to"] for p in personalizations] == [[m.to] for m in batch]
    for p, m in zip(personalizations, batch, strict=True):
        assert p["subject"] == m.subject
        assert p["custom_args"] == {"message_id": str(m.id), "campaign": "7", "wave": "ilk-dalga"}
        assert p["headers"]["List-Unsubscribe"] == m.headers["List-Unsubscribe"]
        assert p["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert p["substitutions"] == {TEXT_TAG: m.text, HTML_TAG: m.html}
    assert ledger(simulator) == {m.to: 1 for m in batch}


def test_each_campaign_gets_its_own_request_and_category(simulator: Simulator) -> None:
    adapter = make_adapter(simulator)
    batch = [message(i, campaign="3" if i % 2 else "4") for i in range(1, 7)]

    results = adapter.send(batch)

    info = last(simulator)
    assert [(h["status"], h["personalizations"]) for h in info["history"]] == [(202, 3), (202, 3)]
    assert info["last"]["categories"] == ["campaign-4"]
    assert [p["custom_args"]["message_id"] for p in info["last"]["personalizations"]] == [
        "2",
        "4",
        "6",
    ]
    ids = [r.provider_message_id for r in results if isinstance(r, Accepted)]
    assert len(ids) == 6
    assert ids[0] == ids[2] == ids[4] != ids[1] == ids[3] == ids[5] == info["last"]["x_message_id"]


def test_sendgrid_never_tracks_opens_nor_rewrites_links(simulator: Simulator) -> None:
    make_adapter(simulator).send([message(1)])
    settings = last(simulator)["last"]["tracking_settings"]
    assert settings["open_tracking"] == {"enable": False}
    assert settings["click_tracking"] == {"enable": False, "enable_text": False}
    assert settings["subscription_tracking"] == {"enable": False}


def test_text_only_messages_carry_only_a_text_part(simulator: Simulator) -> None:
    adapter = make_adapter(simulator)

    results = adapter.send([message(1, html=None), message(2, html=None)])

    assert all(isinstance(r, Accepted) for r in results)
    request = last(simulator)["last"]
    assert request["content"] == [{"type": "text/plain", "value": TEXT_TAG}]
    assert list(request["personalizations"][0]["substitutions"]) == [TEXT_TAG]


@pytest.mark.parametrize(
    "bad",
    [
        "bad@",
        "a..b@universite.example.edu.tr",
        "user@localhost",
        "no-at-sign.example.edu.tr",
        "Ali <ali@@example.edu.tr>",
        "iki kelime@example.edu.tr",
        "çağrı@example.edu.tr",
        "",
    ],
)
def test_a_malformed_address_fails_only_its_message(simulator: Simulator, bad: str) -> None:
    adapter = make_adapter(simulator)
    batch = [message(1), message(2, to=bad), message(3)]

    results = adapter.send(batch)

    assert isinstance(results[0], Accepted)
    assert isinstance(results[2], Accepted)
    error = rejected(results[1]).error
    assert isinstance(error, PermanentError)
    assert not error.suppress
    info = last(simulator)
    assert [(h["status"], h["personalizations"]) for h in info["history"]] == [(202, 2)]


def test_display_names_and_idn_domains_are_sent(simulator: Simulator) -> None:
    adapter = make_adapter(simulator)

    results = adapter.send(
        [
            message(1, to="Ayşe Yılmaz <ayse@ogr.universite.example.edu.tr>"),
            message(2, to="ali@üni.com.tr"),
        ]
    )

    assert all(isinstance(r, Accepted) for r in results)
    personalizations = last(simulator)["last"]["personalizations"]
    assert personalizations[0]["to"] == ["ayse@ogr.universite.example.edu.tr"]
    assert personalizations[1]["to"] == ["ali@xn--ni-wka.com.tr"]


def test_messages_without_subject_or_for_another_channel_are_refused(simulator: Simulator) -> None:
    adapter = make_adapter(simulator)
    no_subject = OutboundMessage(id=1, channel=Channel.EMAIL, to="a@example.edu.tr", text="x")
    sms = OutboundMessage(id=2, channel=Channel.SMS, to="+905321234567", text="x", subject="s")

    results = adapter.send([no_subject, sms, message(3)])

    assert isinstance(rejected(results[0]).error, PermanentError)
    assert isinstance(rejected(results[1]).error, PermanentError)
    assert isinstance(results[2], Accepted)


def test_a_message_over_the_substitution_limit_is_sent_alone_inline(simulator: Simulator) -> None:
    adapter = make_adapter(simulator)
    big_html = "<p>" + "ğ" * 6000 + "</p>"  # 12,007 bytes in UTF-8
    batch = [message(1), message(2, html=big_html), message(3)]

    results = adapter.send(batch)

    assert all(isinstance(r, Accepted) for r in results)
    info = last(simulator)
    assert [(h["status"], h["personalizations"]) for h in info["history"]] == [(202, 1), (202, 2)]
    alone = results[1]
    assert isinstance(alone, Accepted)
    assert isinstance(results[0], Accepted)
    assert alone.provider_message_id != results[0].provider_message_id
    assert ledger(simulator) == {m.to: 1 for m in batch}


def test_the_inline_request_carries_the_content_itself(simulator: Simulator) -> None:
    adapter = make_adapter(simulator)
    big_text = "Merhaba " * 1500

    results = adapter.send([message(1, text=big_text)])

    assert isinstance(results[0], Accepted)
    request = last(simulator)["last"]
    assert request["content"] == [
        {"type": "text/plain", "value": big_text},
        {"type": "text/html", "value": "<p>Merhaba <b>Öğrenci 1</b></p>"},
    ]
    assert request["personalizations"][0]["substitutions"] is None
    assert request["personalizations"][0]["custom_args"]["message_id"] == "1"


def test_400_fails_the_request_permanently_with_sendgrid_messages(simulator: Simulator) -> None:
    adapter = make_adapter(simulator)
    errors = [
        {
            "message": "The from address does not match a verified Sender Identity.",
            "field": "from",
            "help": None,
        }
    ]
    force(simulator, 400, body={"errors": errors})

    results = adapter.send([message(1), message(2)])

    for result in results:
        error = rejected(result).error
        assert isinstance(error, PermanentError)
        assert error.status == 400
        assert "does not match a verified Sender Identity" in error.detail
        assert "(from)" in error.detail


def test_a_400_does_not_stop_the_other_requests(simulator: Simulator) -> None:
    adapter = make_adapter(simulator)
    force(simulator, 400, body={"errors": [{"message": "bad", "field": None, "help": None}]})

    results = adapter.send([message(1, campaign="1"), message(2, campaign="2")])

    assert isinstance(rejected(results[0]).error, PermanentError)
    assert isinstance(results[1], Accepted)


def test_a_wrong_api_key_raises_configuration_error(simulator: Simulator) -> None:
    adapter = make_adapter(simulator, SENDGRID_API_KEY="SG.wrong")

    with pytest.raises(ConfigurationError, match="401"):
        adapter.send([message(1)])
    assert ledger(simulator) == {}


def test_403_raises_configuration_error(simulator: Simulator) -> None:
    adapter = make_adapter(simulator)
    force(simulator, 403, body={"errors": [{"message": "access forbidden", "field": None}]})

    with pytest.raises(ConfigurationError, match="403"):
        adapter.send([message(1)])


def test_a_refused_key_after_an_acceptance_keeps_the_acceptance(simulator: Simulator) -> None:
    adapter = make_adapter(simulator)
    force(simulator, 202, headers={"X-Message-Id": "forced-id"})
    force(simulator, 401, body={"errors": [{"message": "revoked", "field": None}]})

    results = adapter.send([message(1, campaign="1"), message(2, campaign="2")])

    assert results[0] == Accepted(1, "forced-id")
    assert isinstance(rejected(results[1]).error, TransientError)


def test_413_splits_the_request_in_halves_until_it_fits(start: Callable[..., Simulator]) -> None:
    sim = start(sendgrid_max_body_bytes=10_000)
    adapter = make_adapter(sim)
    batch = [message(i, text="x" * 4000, html=None) for i in range(1, 9)]

    results = adapter.send(batch)

    assert all(isinstance(r, Accepted) for r in results)
    history = [(h["status"], h["personalizations"]) for h in last(sim)["history"]]
    # 8 → 4 + 4 → 2 + 2 + 2 + 2 (each 413 is counted before its halves are sent)
    assert [s for s, _ in history] == [413, 413, 202, 202, 413, 202, 202]
    assert [n for s, n in history if s == 202] == [2, 2, 2, 2]
    assert ledger(sim) == {m.to: 1 for m in batch}


def test_halves_accepted_before_a_stop_stay_accepted(simulator: Simulator) -> None:
    adapter = make_adapter(simulator)
    force(simulator, 413, body={"errors": [{"message": "too large", "field": None}]})
    force(simulator, 202, headers={"X-Message-Id": "first-half"})
    force(simulator, 429, headers={"X-RateLimit-Reset": str(int(time.time()) + 60)})

    results = adapter.send([message(1), message(2), message(3, campaign="8")])

    assert results[0] == Accepted(1, "first-half")
    assert isinstance(rejected(results[1]).error, RateLimitedError)
    assert isinstance(rejected(results[2]).error, RateLimitedError)
    assert [h["status"] for h in last(simulator)["history"]] == [413, 202, 429]


def test_a_single_message_too_large_is_permanent(start: Callable[..., Simulator]) -> None:
    sim = start(sendgrid_max_body_bytes=2_000)
    adapter = make_adapter(sim)

    results = adapter.send([message(1, text="x" * 3000), message(2)])

    error = rejected(results[0]).error
    assert isinstance(error, PermanentError)
    assert error.status == 413
    assert isinstance(results[1], Accepted)


def test_429_gives_retry_after_from_the_reset_header_and_stops_the_batch(
    simulator: Simulator,
) -> None:
    adapter = make_adapter(simulator)
    reset = int(time.time()) + 3600
    force(
        simulator,
        429,
        headers={
            "X-RateLimit-Limit": "600",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": str(reset),
        },
        body={"errors": [{"message": "too many requests", "field": None}]},
    )

    results = adapter.send([message(1, campaign="1"), message(2, campaign="2")])

    for result in results:
        error = rejected(result).error
        assert isinstance(error, RateLimitedError)
        assert error.retry_after is not None
        assert 3500 < error.retry_after <= 3600
    assert len(last(simulator)["history"]) == 1  # the second group was not tried
    assert ledger(simulator) == {}


def test_simulated_rate_limiting_is_rate_limited_error(start: Callable[..., Simulator]) -> None:
    sim = start(rate_limit_rate=1.0)
    adapter = make_adapter(sim)

    results = adapter.send([message(1)])

    error = rejected(results[0]).error
    assert isinstance(error, RateLimitedError)
    assert error.status == 429
    assert error.retry_after is not None
    assert error.retry_after >= 0


def test_server_errors_are_transient(start: Callable[..., Simulator]) -> None:
    sim = start(error_rate=1.0, seed=1)
    adapter = make_adapter(sim)

    results = adapter.send([message(1), message(2)])

    for result in results:
        error = rejected(result).error
        assert isinstance(error, TransientError)
        assert error.status in (500, 503)


def test_a_timeout_leaves_the_outcome_unknown(start: Callable[..., Simulator]) -> None:
    # SendGrid may have taken the request after we stopped waiting: never resent blindly.
    sim = start(timeout_rate=1.0, timeout_seconds=1.0)
    adapter = make_adapter(sim, SENDGRID_TIMEOUT="0.2")

    results = adapter.send([message(1)])

    assert unknown(results[0]).code == "timeout"


def test_after_an_unanswered_request_the_rest_of_the_batch_is_not_sent(
    start: Callable[..., Simulator],
) -> None:
    sim = start(timeout_rate=1.0, timeout_seconds=1.0)
    adapter = make_adapter(sim, SENDGRID_TIMEOUT="0.2")
    first = message(1)
    other_campaign = message(2, campaign="99")  # a request of its own

    results = adapter.send([first, other_campaign])

    assert unknown(results[0])
    second = rejected(results[1]).error
    assert isinstance(second, TransientError)
    assert second.code == "not-sent"


def test_local_rate_limit_hands_the_batch_back_without_calling_sendgrid(
    simulator: Simulator,
) -> None:
    adapter = make_adapter(simulator, SENDGRID_RATE="1/h")

    first = adapter.send([message(1)])
    second = adapter.send([message(2)])

    assert isinstance(first[0], Accepted)
    error = rejected(second[0]).error
    assert isinstance(error, RateLimitedError)
    assert error.retry_after is not None
    assert error.retry_after > 60
    assert len(last(simulator)["history"]) == 1


# --- configuration ---------------------------------------------------------------------------


def test_the_eu_host_is_accepted() -> None:
    adapter = SendGridAdapter.from_env({"SENDGRID_API_KEY": "SG.x", "SENDGRID_API_HOST": EU_HOST})

    assert adapter.host == "https://api.eu.sendgrid.com"
    assert adapter.api.host == "https://api.eu.sendgrid.com"


def test_defaults() -> None:
    adapter = SendGridAdapter.from_env({"SENDGRID_API_KEY": "SG.x"})

    assert adapter.api.host == DEFAULT_HOST
    assert adapter.timeout == 30.0
    assert adapter.limiter is None
    assert adapter.sender.reply_to is None


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({}, "SENDGRID_API_KEY"),
        ({"SENDGRID_API_KEY": "  "}, "SENDGRID_API_KEY"),
        ({"SENDGRID_API_KEY": "k", "SENDGRID_API_HOST": "api.sendgrid.com"}, "SENDGRID_API_HOST"),
        ({"SENDGRID_API_KEY": "k", "SENDGRID_TIMEOUT": "0"}, "SENDGRID_TIMEOUT"),
        ({"SENDGRID_API_KEY": "k", "SENDGRID_TIMEOUT": "soon"}, "SENDGRID_TIMEOUT"),
        ({"SENDGRID_API_KEY": "k", "SENDGRID_RATE": "fast"}, "rate"),
        ({"SENDGRID_API_KEY": "k", "CAMPAIGNS_EMAIL_FROM": "nobody"}, "CAMPAIGNS_EMAIL_FROM"),
    ],
)
def test_bad_configuration_is_reported(env: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigurationError, match=named):
        SendGridAdapter.from_env(env)


# --- every exception the SDK can raise is mapped ------------------------------------------


def http_error_classes() -> list[type[http_errors.HTTPError]]:
    return [
        cls
        for _, cls in inspect.getmembers(http_errors, inspect.isclass)
        if issubclass(cls, http_errors.HTTPError)
    ]


def status_for(cls: type[http_errors.HTTPError]) -> int:
    """The status that makes the client raise ``cls`` (502 for the generic HTTPError)."""
    statuses = [status for status, c in http_errors.err_dict.items() if c is cls]
    return statuses[0] if statuses else 502


EXPECTED_KIND: dict[int, type[Exception]] = {
    400: PermanentError,
    401: ConfigurationError,
    403: ConfigurationError,
    404: ConfigurationError,
    405: ConfigurationError,
    413: PermanentError,
    415: PermanentError,
    429: RateLimitedError,
    500: TransientError,
    502: TransientError,
    503: TransientError,
    504: TransientError,
}


def test_the_status_table_covers_every_http_error_class() -> None:
    classes = http_error_classes()
    assert len(classes) >= 12
    assert set(classes) == {*http_errors.err_dict.values(), http_errors.HTTPError}
    assert {status_for(cls) for cls in classes} == set(EXPECTED_KIND)


@pytest.mark.parametrize("cls", http_error_classes(), ids=lambda cls: cls.__name__)
def test_every_http_error_class_is_mapped(simulator: Simulator, cls: type[Exception]) -> None:
    status = status_for(cls)
    expected = EXPECTED_KIND[status]
    adapter = make_adapter(simulator)
    body = {"errors": [{"message": f"forced {status}", "field": None, "help": None}]}

    # The real SDK raises exactly this class for the status...
    force(simulator, status, body=body)
    with pytest.raises(cls) as raised:
        adapter.api.client.mail.send.post(request_body={"personalizations": []}, timeout=5)
    assert type(raised.value) is cls
    mapped = classify_error(raised.value)
    assert isinstance(mapped, expected)

    # ...and send() turns it into the project's error.
    force(simulator, status, body=body)
    if expected is ConfigurationError:
        with pytest.raises(ConfigurationError):
            adapter.send([message(1)])
        return
    result = rejected(adapter.send([message(1)])[0])
    assert isinstance(result.error, expected)
    assert result.error.status == status


class _RawServer:
    """A TCP server that reads one HTTP request and then misbehaves."""

    def __init__(self, reply: bytes | None) -> None:
        self.reply = reply
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        connection, _ = self.sock.accept()
        with connection:
            data = b""
            while b"\r\n\r\n" not in data:
                data += connection.recv(65536)
            head, _, body = data.partition(b"\r\n\r\n")
            length = next(
                int(line.split(b":")[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            )
            while len(body) < length:
                body += connection.recv(65536)
            if self.reply is not None:
                connection.sendall(self.reply)

    def close(self) -> None:
        self.thread.join(timeout=5)
        self.sock.close()


@pytest.mark.parametrize(
    ("reply", "sdk_raises"),
    [
        (None, http.client.RemoteDisconnected),  # closed without an answer: a ConnectionError
        (b"SMTP is not HTTP\r\n", http.client.BadStatusLine),  # an http.client.HTTPException
    ],
    ids=["disconnected", "garbage"],
)
def test_broken_connections_leave_the_outcome_unknown(
    reply: bytes | None, sdk_raises: type[Exception]
) -> None:
    for check in ("sdk", "adapter"):
        server = _RawServer(reply)
        try:
            adapter = SendGridAdapter.from_env(
                {
                    "SENDGRID_API_KEY": "SG.x",
                    "SENDGRID_API_HOST": server.url,
                    "SENDGRID_TIMEOUT": "5",
                }
            )
            if check == "sdk":
                with pytest.raises(sdk_raises):
                    adapter.api.client.mail.send.post(request_body={}, timeout=5)
            else:
                assert unknown(adapter.send([message(1)])[0]).code == "connection"
        finally:
            server.close()


def test_a_refused_connection_is_transient() -> None:
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    adapter = SendGridAdapter.from_env({"SENDGRID_API_KEY": "SG.x", "SENDGRID_API_HOST": url})

    with pytest.raises(urllib.error.URLError):
        adapter.api.client.mail.send.post(request_body={}, timeout=5)
    error = rejected(adapter.send([message(1)])[0]).error
    assert isinstance(error, TransientError)
    assert error.code == "connection"


@pytest.mark.parametrize(
    "exc",
    [
        urllib.error.URLError(ConnectionRefusedError(111, "refused")),
        OSError(101, "network unreachable"),
    ],
    ids=lambda exc: type(exc).__name__,
)
def test_failures_before_sending_are_transient(exc: Exception) -> None:
    assert isinstance(classify_error(exc), TransientError)


@pytest.mark.parametrize(
    "exc",
    [
        TimeoutError("timed out"),
        ConnectionResetError(104, "reset"),
        BrokenPipeError(32, "broken pipe"),
        http.client.RemoteDisconnected("closed"),
        http.client.IncompleteRead(b"partial"),
        http.client.BadStatusLine("junk"),
    ],
    ids=lambda exc: type(exc).__name__,
)
def test_failures_after_sending_leave_the_outcome_unknown(exc: Exception) -> None:
    assert isinstance(classify_error(exc), OutcomeUnknownError)


def test_unknown_exceptions_are_not_guessed() -> None:
    assert classify_error(ValueError("a bug")) is None
    assert classify_error(KeyError("email")) is None


# --- the adapter contract ---------------------------------------------------------------------


class TestSendGridKeepsTheAdapterContract(AdapterContract, OutageContract):
    channel = Channel.EMAIL

    @pytest.fixture
    def adapter(self, simulator: Simulator) -> SendGridAdapter:
        return make_adapter(simulator)

    @pytest.fixture
    def outage(self, simulator: Simulator) -> Callable[[], None]:
        def fail() -> None:
            simulator[1].error_rate = 1.0

        return fail
