"""Email replies read from a mailbox over IMAP (standard library ``imaplib``), for
universities that send through their own SMTP server and receive replies in an ordinary
mailbox.

``CAMPAIGNS_IMAP_URL`` says where, in the form of ``CAMPAIGNS_SMTP_URL``:

- ``imaps://user:pass@host:993/INBOX``: implicit TLS (the usual);
- ``imap://user:pass@host:143/INBOX``: STARTTLS, required;
- query options ``?starttls=off`` (a local server without TLS), ``?verify=off``,
  ``?cafile=PATH``. The path names the mailbox (``INBOX`` when empty).

The mailbox is opened read-only and messages are fetched with ``BODY.PEEK``: reading never
marks, moves or deletes anything, so people can keep using the mailbox in their mail program.
A read asks for the messages the server received in a window (its ``INTERNALDATE``): a
``SEARCH SINCE`` by day, then the exact times, then the whole messages of the window only.
"""

from __future__ import annotations

import imaplib
import re
import ssl
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final, Literal
from urllib.parse import unquote, urlsplit

from channels.base import ConfigurationError, TransientError
from channels.email_replies import is_automatic, parse_email, reply_of_email
from channels.server_urls import switch, tls_context, url_options
from channels.webhooks import InboundMessage

PROVIDER: Final = "imap"
VARIABLE: Final = "CAMPAIGNS_IMAP_URL"
DEFAULT_PORTS: Final = {"imap": 143, "imaps": 993}
MAX_MESSAGE_BYTES: Final = 30 * 2**20
"""Larger mails are not fetched: the reply says to read it in the mailbox."""
FETCH_CHUNK: Final = 50
_UID = re.compile(rb"\bUID (\d+)")
_DATE = re.compile(rb'INTERNALDATE "([^"]+)"')
_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")

Security = Literal["starttls", "tls", "none"]


@dataclass(frozen=True, slots=True)
class Received:
    """One message of the window: its UID, when the server got it and its size."""

    uid: bytes
    at: datetime
    size: int


class ImapMailbox:
    """A mailbox whose new mail is read as replies."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        username: str,
        password: str,
        mailbox: str = "INBOX",
        security: Security = "tls",
        ssl_context: ssl.SSLContext | None = None,
        timeout: float = 30.0,
        max_bytes: int = MAX_MESSAGE_BYTES,
    ) -> None:
        self.max_bytes = max_bytes
        self.host, self.port = host, port
        self.username, self.password = username, password
        self.mailbox = mailbox
        self.security = security
        self.ssl_context = ssl_context or ssl.create_default_context()
        self.timeout = timeout

    @classmethod
    def from_url(cls, url: str, *, timeout: float = 30.0) -> ImapMailbox:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in DEFAULT_PORTS:
            raise ConfigurationError("CAMPAIGNS_IMAP_URL must start with imap:// or imaps://")
        if not parts.hostname or not parts.username:
            raise ConfigurationError("CAMPAIGNS_IMAP_URL needs user@host")
        try:
            port = parts.port or DEFAULT_PORTS[scheme]
        except ValueError as exc:
            raise ConfigurationError(f"CAMPAIGNS_IMAP_URL has an invalid port: {exc}") from exc
        options = url_options(VARIABLE, parts.query)
        if scheme == "imaps" and "starttls" in options:
            raise ConfigurationError("starttls applies to imap:// only (imaps:// is always TLS)")
        starttls = switch(VARIABLE, options, "starttls", True)
        security: Security = "tls" if scheme == "imaps" else "starttls" if starttls else "none"
        context = tls_context(
            "IMAP",
            verify=switch(VARIABLE, options, "verify", True),
            cafile=options["cafile"][-1] if "cafile" in options else None,
        )
        return cls(
            parts.hostname,
            port,
            username=unquote(parts.username),
            password=unquote(parts.password or ""),
            mailbox=unquote(parts.path.strip("/")) or "INBOX",
            security=security,
            ssl_context=context,
            timeout=timeout,
        )

    def read(self, since: datetime, until: datetime) -> list[InboundMessage]:
        """The replies the server received in ``[since, until)``.

        Raises ``ConfigurationError`` when the server refuses the account or the mailbox and
        ``TransientError`` when it cannot be reached now: the window is read again later.
        """
        try:
            with self._session() as imap:
                window = [r for r in self._received(imap, since) if since <= r.at < until]
                return self._replies(imap, window)
        except imaplib.IMAP4.abort as exc:
            raise TransientError(f"IMAP connection lost: {exc}") from exc
        except ssl.SSLCertVerificationError as exc:
            raise ConfigurationError(f"IMAP server certificate not trusted: {exc}") from exc
        except (OSError, ssl.SSLError) as exc:
            raise TransientError(f"IMAP server unreachable: {exc}") from exc

    @contextmanager
    def _session(self) -> Iterator[imaplib.IMAP4]:
        imap: imaplib.IMAP4
        if self.security == "tls":
            imap = imaplib.IMAP4_SSL(
                self.host, self.port, ssl_context=self.ssl_context, timeout=self.timeout
            )
        else:
            imap = imaplib.IMAP4(self.host, self.port, timeout=self.timeout)
        try:
            if self.security == "starttls":
                try:
                    imap.starttls(ssl_context=self.ssl_context)
                except imaplib.IMAP4.error as exc:
                    raise ConfigurationError(f"IMAP server refused STARTTLS: {exc}") from exc
            try:
                imap.login(self.username, self.password)
            except imaplib.IMAP4.error as exc:
                raise ConfigurationError(f"IMAP login refused: {_said(exc)}") from exc
            status, _ = imap.select(_quoted(self.mailbox), readonly=True)
            if status != "OK":
                raise ConfigurationError(f"IMAP mailbox {self.mailbox!r} cannot be opened")
            yield imap
        finally:
            with suppress(imaplib.IMAP4.error, OSError):
                imap.logout()

    def _received(self, imap: imaplib.IMAP4, since: datetime) -> list[Received]:
        """The UIDs, receipt times and sizes of messages from ``since``'s day on (SEARCH
        SINCE ignores the time of day; a day earlier covers the server's time zone)."""
        day = (since - timedelta(days=1)).strftime("%d-%b-%Y")
        status, found = imap.uid("SEARCH", "SINCE", day)
        if status != "OK" or not found or not found[0]:
            return []
        uids = bytes(found[0]).split()
        received: list[Received] = []
        for chunk in _chunks(uids, 500):
            received.extend(_dates(_fetch(imap, chunk, "(INTERNALDATE RFC822.SIZE)")))
        return received

    def _replies(self, imap: imaplib.IMAP4, window: Sequence[Received]) -> list[InboundMessage]:
        replies: list[InboundMessage] = []
        small = [r for r in window if r.size <= self.max_bytes]
        for chunk in _chunks([r.uid for r in small], FETCH_CHUNK):
            for item in _fetch(imap, chunk, "(BODY.PEEK[])"):
                if not isinstance(item, tuple) or not isinstance(item[1], bytes):
                    continue
                message = parse_email(item[1])
                if is_automatic(message):
                    continue
                reply = reply_of_email(PROVIDER, message)
                if reply is not None:
                    replies.append(reply)
        for large in (r for r in window if r.size > self.max_bytes):
            reply = self._too_large(imap, large)
            if reply is not None:
                replies.append(reply)
        return replies

    def _too_large(self, imap: imaplib.IMAP4, large: Received) -> InboundMessage | None:
        """A mail too large to fetch, kept as a reply of its headers saying so."""
        data = _fetch(imap, [large.uid], "(BODY.PEEK[HEADER])")
        item = next((i for i in data if isinstance(i, tuple)), None)
        if item is None or not isinstance(item[1], bytes):
            return None
        headers = parse_email(item[1])
        if is_automatic(headers):
            return None
        size = f"{large.size / 2**20:.1f}"
        headers.set_content(
            f"(E-posta {size.replace('.', ',')} MB: çok büyük, posta kutusunda okuyun. / "
            f"The email is {size} MB: too large, read it in the mailbox.)"
        )
        return reply_of_email(PROVIDER, headers)


def _dates(data: Sequence[object]) -> Iterator[Received]:
    for item in data:
        line = item[0] if isinstance(item, tuple) else item
        if not isinstance(line, bytes):
            continue
        uid, at, size = _UID.search(line), _DATE.search(line), _SIZE.search(line)
        if uid is None or at is None or size is None:
            continue
        stamp = datetime.strptime(at.group(1).decode().strip(), "%d-%b-%Y %H:%M:%S %z")
        yield Received(uid.group(1), stamp.astimezone(UTC), int(size.group(1)))


def _fetch(imap: imaplib.IMAP4, uids: Sequence[bytes], what: str) -> list[object]:
    status, data = imap.uid("FETCH", b",".join(uids).decode(), what)
    if status != "OK":
        raise TransientError(f"IMAP server refused FETCH {what}")
    return list(data)


def _chunks(items: Sequence[bytes], size: int) -> Iterator[Sequence[bytes]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _quoted(mailbox: str) -> str:
    return '"' + mailbox.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _said(exc: imaplib.IMAP4.error) -> str:
    text = exc.args[0] if exc.args else ""
    return text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
