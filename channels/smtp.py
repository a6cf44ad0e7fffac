"""The ``smtp`` adapter: email through an SMTP relay (the university's own mail server).

``CAMPAIGNS_SMTP_URL`` says where and how:

- ``smtp://user:pass@host:587``: STARTTLS, required (a server that does not offer it is a
  configuration error, so credentials and messages never cross the network in clear);
- ``smtps://user:pass@host:465``: implicit TLS;
- query options: ``?starttls=off`` (a local relay without TLS), ``?verify=off`` (a self-signed
  internal server: no certificate check), ``?cafile=PATH`` (trust that CA bundle instead).

User and password are percent-decoded (``p%40ss`` is ``p@ss``). ``CAMPAIGNS_SMTP_TIMEOUT``
(seconds, default 30) bounds every network operation.

A batch uses one connection: connect, log in, send each message (multipart text + HTML with
the List-Unsubscribe headers, built by ``channels.mime.build_email``), quit. If the connection
drops mid-batch, the messages already accepted stay accepted; the adapter reconnects once and
goes on, and after a second drop hands the rest back as transient. A drop while a message's
data is in flight cannot tell whether the server kept it (SMTP's known ambiguity): that
message comes back as ``OutcomeUnknownError`` (the server cannot be asked, so a person
decides) instead of being sent twice; a drop before its data was sent is harmless and the
message goes on the new connection.

Replies: with ``CAMPAIGNS_IMAP_URL`` set, the mailbox where students' answers arrive is read
on the scheduler's tick (``channels.imap_mailbox``), like a provider's inbox.

The ``provider_message_id`` is the message's ``Message-ID`` header. Out of scope: bounces
that arrive later by mail (DSNs to the envelope sender) are not read by this adapter; only the
server's immediate answers are mapped (5xx permanent, 4xx transient).
"""

from __future__ import annotations

import base64
import contextlib
import email.policy
import logging
import os
import smtplib
import socket
import ssl
from collections import deque
from collections.abc import Mapping, Sequence
from datetime import datetime
from email.message import EmailMessage
from email.utils import parseaddr
from typing import Literal, Self
from urllib.parse import unquote, urlsplit

from pydantic import PositiveFloat
from pydantic_settings import SettingsConfigDict

from channels.base import (
    Accepted,
    BatchStopped,
    CallbackUrls,
    Capability,
    Channel,
    ChannelAdapter,
    ConfigurationError,
    DeliveryError,
    OutboundMessage,
    OutcomeUnknownError,
    PermanentError,
    Rejected,
    SendResult,
    TransientError,
    Unknown,
)
from channels.imap_mailbox import ImapMailbox
from channels.mime import Sender, build_email
from channels.server_urls import switch, tls_context, url_options
from channels.settings import AdapterSettings
from channels.webhooks import InboundMessage

log = logging.getLogger(__name__)

Security = Literal["starttls", "tls", "none"]

VARIABLE = "CAMPAIGNS_SMTP_URL"

DEFAULT_TIMEOUT = 30.0
DEFAULT_PORTS: dict[str, int] = {"smtp": 587, "smtps": 465}
# Enhanced status codes that say the mailbox or its domain does not exist: suppress them.
_NO_SUCH_RECIPIENT = ("5.1.1", "5.1.2", "5.1.10")


def _mailbox(url: str | None, timeout: float) -> ImapMailbox | None:
    return ImapMailbox.from_url(url, timeout=timeout) if url and url.strip() else None


def reply_error(code: int, text: bytes | str) -> DeliveryError:
    """The project's error for an SMTP reply: 5xx permanent, anything else transient."""
    message = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    detail = f"SMTP {code} {message}".strip()
    if 500 <= code < 600:
        suppress = message.lstrip().startswith(_NO_SUCH_RECIPIENT)
        return PermanentError(detail, code=str(code), suppress=suppress)
    return TransientError(detail, code=str(code))


class SmtpSettings(AdapterSettings):
    """``CAMPAIGNS_SMTP_URL`` (required: ``smtp://`` or ``smtps://``, user and password in
    it, options ``starttls``, ``verify``, ``cafile``) and ``CAMPAIGNS_SMTP_TIMEOUT``
    (seconds)."""

    model_config = SettingsConfigDict(env_prefix="CAMPAIGNS_SMTP_")

    url: str
    timeout: PositiveFloat = DEFAULT_TIMEOUT


class ImapSettings(AdapterSettings):
    """``CAMPAIGNS_IMAP_URL`` (optional): the mailbox where replies arrive
    (``channels.imap_mailbox``)."""

    model_config = SettingsConfigDict(env_prefix="CAMPAIGNS_IMAP_")

    url: str | None = None


class SmtpAdapter(ChannelAdapter):
    """Sends email over SMTP, one connection per batch."""

    name = "smtp"
    channels = frozenset({Channel.EMAIL})
    max_batch = 100
    capabilities = frozenset({Capability.POLLED_INBOUND})
    variables = frozenset(
        {
            "CAMPAIGNS_SMTP_URL",
            "CAMPAIGNS_SMTP_TIMEOUT",
            "CAMPAIGNS_IMAP_URL",
            "CAMPAIGNS_EMAIL_FROM",
            "CAMPAIGNS_EMAIL_REPLY_TO",
        }
    )

    def __init__(
        self,
        host: str,
        port: int,
        sender: Sender,
        *,
        security: Security = "starttls",
        username: str | None = None,
        password: str | None = None,
        verify: bool = True,
        cafile: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        mailbox: ImapMailbox | None = None,
    ) -> None:
        self.mailbox = mailbox
        self.host = host
        self.port = port
        self.sender = sender
        self.security = security
        self.username = username
        self.password = password or ""
        self.timeout = timeout
        self.envelope_from = parseaddr(sender.from_address)[1]
        # The local name in EHLO; getfqdn() could wait on a DNS lookup.
        self.local_hostname = socket.gethostname() or "localhost"
        self.ssl_context = (
            tls_context("SMTP", verify=verify, cafile=cafile) if security != "none" else None
        )

    @classmethod
    def from_env(
        cls, env: Mapping[str, str] | None = None, *, callbacks: CallbackUrls | None = None
    ) -> Self:
        env = os.environ if env is None else env
        settings = SmtpSettings.read(env)
        parts = urlsplit(settings.url)
        scheme = parts.scheme.lower()
        if scheme not in DEFAULT_PORTS:
            raise ConfigurationError("CAMPAIGNS_SMTP_URL must start with smtp:// or smtps://")
        try:
            port = parts.port or DEFAULT_PORTS[scheme]
        except ValueError as exc:
            raise ConfigurationError(f"CAMPAIGNS_SMTP_URL has an invalid port: {exc}") from exc
        if not parts.hostname:
            raise ConfigurationError("CAMPAIGNS_SMTP_URL has no host")
        options = url_options(VARIABLE, parts.query)
        starttls = switch(VARIABLE, options, "starttls", True)
        if scheme == "smtps" and "starttls" in options:
            raise ConfigurationError("starttls applies to smtp:// only (smtps:// is always TLS)")
        security: Security = "tls" if scheme == "smtps" else "starttls" if starttls else "none"
        verify = switch(VARIABLE, options, "verify", True)
        cafile = options["cafile"][-1] if "cafile" in options else None
        return cls(
            parts.hostname,
            port,
            Sender.from_env(env),
            security=security,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            verify=verify,
            cafile=cafile,
            timeout=settings.timeout,
            mailbox=_mailbox(ImapSettings.read(env).url, settings.timeout),
        )

    def serves(self, capability: Capability) -> bool:
        if capability is Capability.POLLED_INBOUND:
            return self.mailbox is not None
        return super().serves(capability)

    def poll_inbound(self, since: datetime, until: datetime) -> list[InboundMessage]:
        """Replies read from ``CAMPAIGNS_IMAP_URL``'s mailbox (none without one)."""
        return self.mailbox.read(since, until) if self.mailbox is not None else []

    def deliver(self, chunk: Sequence[OutboundMessage]) -> list[SendResult]:
        """One connection for the chunk, opened again once if it drops; a message whose data
        was being sent when it dropped is ``Unknown`` (the server may have kept it)."""
        results: list[SendResult] = []
        pending: deque[tuple[OutboundMessage, EmailMessage, str]] = deque()
        for message in chunk:
            try:
                pending.append((message, *self._prepare(message)))
            except ValueError as exc:
                results.append(Rejected(message.id, PermanentError(str(exc), code="invalid")))
        connection: smtplib.SMTP | None = None
        reconnects = 1
        try:
            while pending:
                if connection is None:
                    try:
                        connection = self._connect()
                    except ConfigurationError as exc:
                        raise BatchStopped(exc, results) from exc
                    except (smtplib.SMTPException, OSError) as exc:
                        raise BatchStopped(_connection_error(exc), results) from exc
                message, mail, address = pending[0]
                try:
                    results.append(self._send_one(connection, message, mail, address))
                except (_DataLost, smtplib.SMTPServerDisconnected, OSError) as exc:
                    if isinstance(exc, _DataLost):
                        pending.popleft()
                        lost = OutcomeUnknownError(
                            "the SMTP connection dropped while the message was being sent; "
                            "the server may have kept it",
                            code="data-lost",
                        )
                        results.append(Unknown(message.id, lost))
                    _close(connection)
                    connection = None
                    cause = (exc.__cause__ or exc) if isinstance(exc, _DataLost) else exc
                    if reconnects == 0:
                        log.warning("SMTP: %d messages not sent", len(pending))
                        raise BatchStopped(_connection_error(cause), results) from exc
                    reconnects -= 1
                    log.warning("SMTP connection lost (%s); reconnecting", type(cause).__name__)
                    continue
                pending.popleft()
        finally:
            if connection is not None:
                try:
                    connection.quit()
                except (smtplib.SMTPException, OSError):
                    _close(connection)
        return results

    def _prepare(self, message: OutboundMessage) -> tuple[EmailMessage, str]:
        address = parseaddr(message.to)[1]
        local, at, domain = address.rpartition("@")
        if not (local and at and "." in domain) or any(c.isspace() for c in address):
            raise ValueError("not an email address")
        try:
            mail = build_email(message, self.sender)
        except (ValueError, TypeError) as exc:
            raise ValueError(f"cannot build the message: {exc}") from exc
        return mail, address

    def _connect(self) -> smtplib.SMTP:
        try:
            if self.security == "tls":
                connection: smtplib.SMTP = smtplib.SMTP_SSL(
                    self.host,
                    self.port,
                    local_hostname=self.local_hostname,
                    timeout=self.timeout,
                    context=self.ssl_context,
                )
            else:
                connection = smtplib.SMTP(
                    self.host, self.port, local_hostname=self.local_hostname, timeout=self.timeout
                )
        except ssl.SSLCertVerificationError as exc:
            raise ConfigurationError(f"SMTP server certificate not trusted: {exc}") from exc
        try:
            connection.ehlo_or_helo_if_needed()
            if self.security == "starttls":
                if not connection.has_extn("starttls"):
                    raise ConfigurationError(
                        "the SMTP server does not offer STARTTLS; use smtps:// or, for a "
                        "local relay only, ?starttls=off"
                    )
                connection.starttls(context=self.ssl_context)
                connection.ehlo()
            if self.username is not None:
                self._login(connection, self.username, self.password)
        except smtplib.SMTPAuthenticationError as exc:
            _close(connection)
            if 400 <= exc.smtp_code < 500:
                raise  # a temporary failure (454): worth a retry
            raise ConfigurationError(
                f"the SMTP server refused the credentials ({exc.smtp_code})"
            ) from exc
        except smtplib.SMTPNotSupportedError as exc:
            _close(connection)
            raise ConfigurationError(
                f"the SMTP server cannot do what is configured: {exc}"
            ) from exc
        except ssl.SSLCertVerificationError as exc:
            _close(connection)
            raise ConfigurationError(f"SMTP server certificate not trusted: {exc}") from exc
        except BaseException:
            _close(connection)
            raise
        return connection

    @staticmethod
    def _login(connection: smtplib.SMTP, username: str, password: str) -> None:
        if (username + password).isascii():
            connection.login(username, password)
            return
        # smtplib encodes credentials as ASCII; AUTH PLAIN (RFC 4616) carries UTF-8.
        offered = connection.esmtp_features.get("auth", "").upper().split()
        if "PLAIN" not in offered:
            raise ConfigurationError(
                "non-ASCII SMTP credentials need AUTH PLAIN, which the server does not offer"
            )
        token = base64.b64encode(b"\0" + username.encode() + b"\0" + password.encode())
        code, reply = connection.docmd("AUTH", "PLAIN " + token.decode("ascii"))
        if code != 235:
            raise smtplib.SMTPAuthenticationError(code, reply)

    def _send_one(
        self, connection: smtplib.SMTP, message: OutboundMessage, mail: EmailMessage, address: str
    ) -> SendResult:
        """Send one message step by step (MAIL, RCPT, DATA), so that a lost connection can be
        told apart: before DATA it is raised as is (safe to send again), during DATA as
        ``_DataLost``. SMTP refusals become the message's result."""
        international = not (self.envelope_from + address).isascii()
        options = ["SMTPUTF8", "BODY=8BITMIME"] if international else []
        if international and not connection.has_extn("smtputf8"):
            return Rejected(
                message.id,
                PermanentError(
                    "the server does not accept international addresses", code="smtputf8"
                ),
            )
        connection.ehlo_or_helo_if_needed()
        code, text = connection.mail(self.envelope_from, options)
        if code != 250:
            connection.rset()
            return Rejected(message.id, reply_error(code, text))
        code, text = connection.rcpt(address)
        if code not in (250, 251):
            connection.rset()
            return Rejected(message.id, reply_error(code, text))
        data = mail.as_bytes(policy=email.policy.SMTPUTF8 if international else email.policy.SMTP)
        try:
            code, text = connection.data(data)
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            raise _DataLost from exc
        if code != 250:
            return Rejected(message.id, reply_error(code, text))
        return Accepted(message.id, str(mail["Message-ID"]))


def _connection_error(exc: BaseException) -> DeliveryError:
    if isinstance(exc, smtplib.SMTPResponseException):
        # A greeting or STARTTLS refused with a code (421 busy, 554 no service...): never a
        # reason to drop the messages for good, so transient whatever the code.
        return TransientError(f"SMTP connection refused: {exc.smtp_code}", code=str(exc.smtp_code))
    # smtplib reports a read timeout as SMTPServerDisconnected caused by TimeoutError.
    if isinstance(exc, TimeoutError) or isinstance(exc.__context__, TimeoutError):
        return TransientError(f"SMTP server did not answer in time: {exc}", code="timeout")
    return TransientError(f"SMTP connection failed: {type(exc).__name__}: {exc}", code="connection")


def _close(connection: smtplib.SMTP) -> None:
    with contextlib.suppress(OSError):
        connection.close()


class _DataLost(Exception):
    """The connection dropped while a message's data was being sent."""
