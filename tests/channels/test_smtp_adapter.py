"""SmtpAdapter against real aiosmtpd servers on loopback: plain, STARTTLS, implicit TLS, AUTH."""

from __future__ import annotations

import email
import email.policy
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from email.message import EmailMessage
from typing import Any
from urllib.parse import quote

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from channels.base import (
    Accepted,
    Channel,
    ConfigurationError,
    OutboundMessage,
    OutcomeUnknownError,
    PermanentError,
    Rejected,
    SendResult,
    TransientError,
    Unknown,
)
from channels.smtp import SmtpAdapter, reply_error
from simulator.server import free_port
from tests.support.adapter_contract import AdapterContract, OutageContract
from tests.support.tls import Certificate, self_signed

USER = "mezun@universite"
PASSWORD = "p@ss/wörd"


class Recorder:
    """An aiosmtpd handler that keeps what it received and can refuse or drop on cue.

    Recipients whose local part starts with ``refuse`` get 550 5.1.1, ``busy`` get 451,
    ``reject-data`` get 554 after DATA; a sender starting with ``refused-sender`` gets 553.
    ``drop_at`` lists the DATA commands (1-based, across connections) during which the server
    closes the connection without answering; once ``dead`` it hangs up on every new
    connection.
    """

    def __init__(self, drop_at: tuple[int, ...] = (), die_after_drop: bool = False) -> None:
        self.messages: list[tuple[Envelope, EmailMessage]] = []
        self.peers: set[Any] = set()
        self.data_commands = 0
        self.drop_at = drop_at
        self.die_after_drop = die_after_drop
        self.dead = False
        self._lock = threading.Lock()

    async def handle_EHLO(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        hostname: str,
        responses: list[str],
    ) -> list[str]:
        if self.dead:
            assert server.transport is not None
            server.transport.close()
        session.host_name = hostname
        return responses

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address.startswith("refused-sender"):
            return "553 5.7.1 Sender address rejected: not owned by user"
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        with self._lock:
            self.peers.add(session.peer)
        if address.startswith("refuse"):
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        if address.startswith("busy"):
            return "451 4.3.0 Mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        with self._lock:
            self.data_commands += 1
            drop = self.data_commands in self.drop_at
            if drop and self.die_after_drop:
                self.dead = True
        if drop:
            assert server.transport is not None
            server.transport.close()
            return "421 gone"
        if any(r.startswith("reject-data") for r in envelope.rcpt_tos):
            return "554 5.6.0 Message content rejected"
        assert isinstance(envelope.content, bytes)
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        with self._lock:
            self.messages.append((envelope, parsed))
        return "250 2.0.0 Ok: queued"

    @property
    def recipients(self) -> list[str]:
        return [r for envelope, _ in self.messages for r in envelope.rcpt_tos]


def authenticator(
    server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
) -> AuthResult:
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == USER.encode()
        and auth_data.password == PASSWORD.encode()
    )
    return AuthResult(success=ok, handled=False)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    return self_signed(tmp_path_factory.mktemp("tls"))


Start = Callable[..., int]


@pytest.fixture
def start_server() -> Iterator[Start]:
    """Starts an aiosmtpd Controller on loopback; returns its port."""
    with ExitStack() as stack:

        def _start(handler: Recorder, **kwargs: Any) -> int:
            port = free_port()
            controller = Controller(handler, hostname="127.0.0.1", port=port, **kwargs)
            controller.start()
            stack.callback(controller.stop)
            return port

        yield _start


def adapter(url: str, **env: str) -> SmtpAdapter:
    return SmtpAdapter.from_env({"CAMPAIGNS_SMTP_URL": url, "CAMPAIGNS_SMTP_TIMEOUT": "5", **env})


def message(i: int, to: str | None = None) -> OutboundMessage:
    return OutboundMessage(
        id=i,
        channel=Channel.EMAIL,
        to=to or f"ogrenci{i}@ogr.universite.example.edu.tr",
        text=f"Merhaba Öğrenci {i}, mezun sistemine kaydolun.",
        subject=f"Mezun kaydı {i}",
        html=f"<p>Merhaba <b>Öğrenci {i}</b></p>",
        headers={
            "List-Unsubscribe": f"<https://kampanya.example.edu.tr/u/{i}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
        tags={"campaign": "7", "wave": "ilk"},
    )


def rejected(result: SendResult) -> Rejected:
    assert isinstance(result, Rejected), result
    return result


def unknown(result: SendResult) -> OutcomeUnknownError:
    """The error of a result that must be reconciled (the provider may have the message)."""
    assert isinstance(result, Unknown), result
    return result.error


def test_plain_relay_one_connection_per_batch_multipart_with_headers(start_server: Start) -> None:
    handler = Recorder()
    port = start_server(handler)
    smtp = adapter(
        f"smtp://127.0.0.1:{port}?starttls=off",
        CAMPAIGNS_EMAIL_REPLY_TO="mezun-yanit@universite.example.edu.tr",
    )
    batch = [message(i) for i in range(1, 6)]

    results = smtp.send(batch)

    assert all(isinstance(r, Accepted) for r in results)
    assert len(handler.peers) == 1
    assert handler.recipients == [m.to for m in batch]
    for result, sent, (envelope, received) in zip(results, batch, handler.messages, strict=True):
        assert isinstance(result, Accepted)
        assert envelope.mail_from == "mezun@universite.example.edu.tr"
        assert received["Message-ID"].strip() == result.provider_message_id
        assert received["To"] == sent.to
        assert received["Subject"] == sent.subject
        assert received["Reply-To"] == "mezun-yanit@universite.example.edu.tr"
        assert received["List-Unsubscribe"] == sent.headers["List-Unsubscribe"]
        assert received["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert received["X-Campaigns-Message-Id"] == str(sent.id)
        assert received.get_content_type() == "multipart/alternative"
        plain = received.get_body(("plain",))
        html = received.get_body(("html",))
        assert plain is not None
        assert html is not None
        assert isinstance(plain, EmailMessage)
        assert isinstance(html, EmailMessage)
        assert plain.get_content().strip() == sent.text
        assert html.get_content().strip() == sent.html

    smtp.send([message(7)])
    assert len(handler.peers) == 2  # a new batch, a new connection


def test_starttls_with_verification_off(start_server: Start, certificate: Certificate) -> None:
    handler = Recorder()
    port = start_server(handler, tls_context=certificate.server_context(), require_starttls=True)

    results = adapter(f"smtp://127.0.0.1:{port}?verify=off").send([message(1), message(2)])

    assert all(isinstance(r, Accepted) for r in results)
    assert len(handler.messages) == 2
    assert len(handler.peers) == 1


def test_starttls_trusting_a_cafile(start_server: Start, certificate: Certificate) -> None:
    handler = Recorder()
    port = start_server(handler, tls_context=certificate.server_context(), require_starttls=True)

    results = adapter(f"smtp://127.0.0.1:{port}?cafile={quote(str(certificate.cert))}").send(
        [message(1)]
    )

    assert isinstance(results[0], Accepted)
    assert handler.recipients == [message(1).to]


def test_an_untrusted_certificate_is_a_configuration_error(
    start_server: Start, certificate: Certificate
) -> None:
    handler = Recorder()
    port = start_server(handler, tls_context=certificate.server_context(), require_starttls=True)

    with pytest.raises(ConfigurationError, match="certificate"):
        adapter(f"smtp://127.0.0.1:{port}").send([message(1)])
    assert handler.messages == []


def test_implicit_tls(start_server: Start, certificate: Certificate) -> None:
    handler = Recorder()
    port = start_server(
        handler, ssl_context=certificate.server_context(), server_hostname="localhost"
    )

    results = adapter(f"smtps://127.0.0.1:{port}?cafile={quote(str(certificate.cert))}").send(
        [message(1), message(2)]
    )

    assert all(isinstance(r, Accepted) for r in results)
    assert handler.recipients == [message(1).to, message(2).to]


def test_auth_login_with_percent_encoded_credentials(
    start_server: Start, certificate: Certificate
) -> None:
    handler = Recorder()
    port = start_server(
        handler,
        tls_context=certificate.server_context(),
        require_starttls=True,
        authenticator=authenticator,
        auth_required=True,
    )
    url = f"smtp://{quote(USER, safe='')}:{quote(PASSWORD, safe='')}@127.0.0.1:{port}?verify=off"

    results = adapter(url).send([message(1)])

    assert isinstance(results[0], Accepted)
    assert len(handler.messages) == 1


def test_bad_credentials_are_a_configuration_error(
    start_server: Start, certificate: Certificate
) -> None:
    handler = Recorder()
    port = start_server(
        handler,
        tls_context=certificate.server_context(),
        require_starttls=True,
        authenticator=authenticator,
        auth_required=True,
    )

    with pytest.raises(ConfigurationError, match="credentials"):
        adapter(f"smtp://{quote(USER, safe='')}:wrong@127.0.0.1:{port}?verify=off").send(
            [message(1)]
        )
    assert handler.messages == []


def test_a_server_without_starttls_is_a_configuration_error(start_server: Start) -> None:
    handler = Recorder()
    port = start_server(handler)

    with pytest.raises(ConfigurationError, match="STARTTLS"):
        adapter(f"smtp://127.0.0.1:{port}").send([message(1)])
    assert handler.messages == []


def test_credentials_to_a_server_without_auth_are_a_configuration_error(
    start_server: Start,
) -> None:
    port = start_server(Recorder())

    with pytest.raises(ConfigurationError):
        adapter(f"smtp://u:p@127.0.0.1:{port}?starttls=off").send([message(1)])


def test_refusals_fail_only_their_message(start_server: Start) -> None:
    handler = Recorder()
    port = start_server(handler)
    batch = [
        message(1),
        message(2, to="refuse@universite.example.edu.tr"),
        message(3, to="busy@universite.example.edu.tr"),
        message(4, to="reject-data@universite.example.edu.tr"),
        message(5),
    ]

    results = adapter(f"smtp://127.0.0.1:{port}?starttls=off").send(batch)

    assert isinstance(results[0], Accepted)
    assert isinstance(results[4], Accepted)
    unknown_user = rejected(results[1]).error
    assert isinstance(unknown_user, PermanentError)
    assert unknown_user.code == "550"
    assert unknown_user.suppress
    busy = rejected(results[2]).error
    assert isinstance(busy, TransientError)
    assert busy.code == "451"
    content = rejected(results[3]).error
    assert isinstance(content, PermanentError)
    assert content.code == "554"
    assert not content.suppress
    assert handler.recipients == [batch[0].to, batch[4].to]
    assert len(handler.peers) == 1


def test_a_refused_sender_is_permanent_per_message(start_server: Start) -> None:
    handler = Recorder()
    port = start_server(handler)
    smtp = adapter(
        f"smtp://127.0.0.1:{port}?starttls=off",
        CAMPAIGNS_EMAIL_FROM="Mezunlar <refused-sender@universite.example.edu.tr>",
    )

    results = smtp.send([message(1), message(2)])

    for result in results:
        error = rejected(result).error
        assert isinstance(error, PermanentError)
        assert error.code == "553"
    assert handler.messages == []
    assert handler.peers == set()  # refused before any RCPT


def test_malformed_addresses_fail_before_connecting(start_server: Start) -> None:
    handler = Recorder()
    port = start_server(handler)

    results = adapter(f"smtp://127.0.0.1:{port}?starttls=off").send(
        [message(1, to="kimse"), message(2, to="a b@c.com"), message(3)]
    )

    assert isinstance(rejected(results[0]).error, PermanentError)
    assert isinstance(rejected(results[1]).error, PermanentError)
    assert isinstance(results[2], Accepted)


def test_a_dropped_connection_reconnects_once_and_continues(start_server: Start) -> None:
    handler = Recorder(drop_at=(3,))
    port = start_server(handler)
    batch = [message(i) for i in range(1, 6)]

    results = adapter(f"smtp://127.0.0.1:{port}?starttls=off").send(batch)

    # The third message's data was in flight when the server dropped: whether it kept it is
    # unknown, so it is not sent again (and nobody resends it blindly).
    assert [r.message_id for r in results] == [1, 2, 3, 4, 5]
    assert unknown(results[2])
    assert all(isinstance(r, Accepted) for i, r in enumerate(results) if i != 2)
    assert handler.recipients == [batch[i].to for i in (0, 1, 3, 4)]
    assert len(handler.peers) == 2


def test_the_server_disappearing_keeps_earlier_messages_and_fails_the_rest(
    start_server: Start,
) -> None:
    handler = Recorder(drop_at=(3,), die_after_drop=True)
    port = start_server(handler)
    batch = [message(i) for i in range(1, 6)]

    results = adapter(f"smtp://127.0.0.1:{port}?starttls=off").send(batch)

    assert [r.message_id for r in results] == [1, 2, 3, 4, 5]
    assert isinstance(results[0], Accepted)
    assert isinstance(results[1], Accepted)
    assert unknown(results[2])
    for result in results[3:]:
        assert isinstance(rejected(result).error, TransientError)
    assert handler.recipients == [batch[0].to, batch[1].to]


def test_a_second_drop_gives_up(start_server: Start) -> None:
    handler = Recorder(drop_at=(2, 3))
    port = start_server(handler)
    batch = [message(i) for i in range(1, 5)]

    results = adapter(f"smtp://127.0.0.1:{port}?starttls=off").send(batch)

    # Messages 2 and 3 were each in flight at a drop (unknown); after the second, 4 waits.
    assert [r.message_id for r in results] == [1, 2, 3, 4]
    assert isinstance(results[0], Accepted)
    assert unknown(results[1])
    assert unknown(results[2])
    assert isinstance(rejected(results[3]).error, TransientError)
    assert handler.recipients == [batch[0].to]
    assert len(handler.peers) == 2


def test_no_server_is_transient_for_the_whole_batch() -> None:
    results = adapter(f"smtp://127.0.0.1:{free_port()}?starttls=off").send([message(1), message(2)])

    for result in results:
        error = rejected(result).error
        assert isinstance(error, TransientError)
        assert error.code == "connection"


def test_a_silent_server_times_out_as_transient() -> None:
    with socket.create_server(("127.0.0.1", 0)) as silent:  # accepts, never greets
        port = silent.getsockname()[1]
        smtp = adapter(f"smtp://127.0.0.1:{port}?starttls=off", CAMPAIGNS_SMTP_TIMEOUT="0.3")

        results = smtp.send([message(1)])

    error = rejected(results[0]).error
    assert isinstance(error, TransientError)
    assert error.code == "timeout"


@pytest.mark.parametrize(
    ("code", "text", "kind", "suppress"),
    [
        (550, b"5.1.1 <x@y.z>: User unknown", PermanentError, True),
        (550, b"5.7.1 Relaying denied", PermanentError, False),
        (552, b"5.2.2 Mailbox full", PermanentError, False),
        (421, b"4.7.0 Try again later", TransientError, False),
        (452, "4.2.2 Over quota", TransientError, False),
        (-1, b"", TransientError, False),
    ],
)
def test_reply_codes(code: int, text: bytes | str, kind: type[Exception], suppress: bool) -> None:
    error = reply_error(code, text)
    assert isinstance(error, kind)
    assert error.code == str(code)
    assert error.suppress is suppress


def test_settings_from_the_url() -> None:
    smtp = adapter("smtp://mail.universite.example.edu.tr")
    assert (smtp.host, smtp.port, smtp.security, smtp.username) == (
        "mail.universite.example.edu.tr",
        587,
        "starttls",
        None,
    )
    smtps = adapter("smtps://a%40b:c%3Ad@mail.universite.example.edu.tr?verify=off")
    assert (smtps.port, smtps.security, smtps.username, smtps.password) == (
        465,
        "tls",
        "a@b",
        "c:d",
    )
    assert smtps.ssl_context is not None
    assert smtps.ssl_context.verify_mode is ssl.CERT_NONE
    relay = adapter("smtp://127.0.0.1:2525?starttls=off")
    assert (relay.port, relay.security, relay.ssl_context) == (2525, "none", None)
    assert adapter("smtp://h", CAMPAIGNS_SMTP_TIMEOUT="").timeout == 30.0


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({}, "CAMPAIGNS_SMTP_URL"),
        ({"CAMPAIGNS_SMTP_URL": "http://mail.example.edu.tr"}, "smtp://"),
        ({"CAMPAIGNS_SMTP_URL": "smtp://"}, "host"),
        ({"CAMPAIGNS_SMTP_URL": "smtp://h:99999"}, "port"),
        ({"CAMPAIGNS_SMTP_URL": "smtp://h?tls=off"}, "unknown options: tls"),
        ({"CAMPAIGNS_SMTP_URL": "smtp://h?starttls=maybe"}, "starttls"),
        ({"CAMPAIGNS_SMTP_URL": "smtps://h?starttls=off"}, "starttls"),
        ({"CAMPAIGNS_SMTP_URL": "smtp://h?cafile=/nonexistent/ca.pem"}, "cafile"),
        ({"CAMPAIGNS_SMTP_URL": "smtp://h", "CAMPAIGNS_SMTP_TIMEOUT": "-1"}, "TIMEOUT"),
    ],
)
def test_bad_configuration_is_reported(env: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigurationError, match=named):
        SmtpAdapter.from_env(env)


# --- the adapter contract ---------------------------------------------------------------------


class TestSmtpKeepsTheAdapterContract(AdapterContract, OutageContract):
    channel = Channel.EMAIL

    @pytest.fixture
    def handler(self) -> Recorder:
        return Recorder()

    @pytest.fixture
    def adapter(self, start_server: Start, handler: Recorder) -> SmtpAdapter:
        return adapter(f"smtp://127.0.0.1:{start_server(handler)}?starttls=off")

    @pytest.fixture
    def outage(self, handler: Recorder) -> Callable[[], None]:
        def fail() -> None:
            handler.dead = True

        return fail
