"""The ``sendgrid`` adapter: email through SendGrid's v3 ``mail/send`` API.

A batch becomes as few requests as possible: messages are grouped by campaign (category
``campaign-<id>``) and each group goes out in one request of up to 1000 personalizations, one
per message. The per-recipient text and HTML travel as ``substitutions`` of two tags in a shared
content block, so a 1000-message batch is one HTTP request. A message whose substitutions would
exceed SendGrid's 10,000-byte per-personalization limit goes in a request of its own with its
content inline.

Every message carries ``custom_args`` (``message_id``, ``campaign``, ``wave``) that SendGrid
echoes in its event webhook (see ``channels.sendgrid_webhooks``); the request's ``X-Message-Id``
becomes every message's ``provider_message_id``.

Errors: addresses are checked before anything is sent (one malformed address would make
SendGrid refuse the whole request), so a bad one fails only its message. A 400 fails its
request's messages for good; 401/403 (and 404/405, a wrong host) raise ConfigurationError; a
413 splits the request in halves, down to single messages; a 429, a 5xx or a network failure
stops the batch there: messages already accepted stay accepted, the others come back as
rate-limited or transient. A request whose answer was lost (a read timeout, a connection
dropped while waiting) may have been accepted: its messages come back as
``OutcomeUnknownError``. ``reconcile`` is not offered (SendGrid tells about single messages
only through its paid Email Activity API), so a person decides about those.

Settings: ``SENDGRID_API_KEY`` (required), ``SENDGRID_API_HOST`` (default
``https://api.sendgrid.com``; ``https://api.eu.sendgrid.com`` for EU data residency),
``SENDGRID_TIMEOUT`` (seconds, default 30), ``SENDGRID_RATE`` (optional, e.g. ``100/s``: HTTP
requests per time unit, shared by every worker through Redis when configured),
``CAMPAIGNS_EMAIL_FROM`` and ``CAMPAIGNS_EMAIL_REPLY_TO``.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import logging
import os
import re
import time
import urllib.error
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from email.utils import parseaddr
from typing import Any, Final, Self

from email_validator import EmailNotValidError, validate_email
from pydantic import PositiveFloat, SecretStr
from pydantic_settings import SettingsConfigDict
from python_http_client import exceptions as http_errors  # type: ignore[import-untyped, unused-ignore]
from sendgrid import SendGridAPIClient  # type: ignore[import-untyped, unused-ignore]

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
    RateLimitedError,
    Rejected,
    SendResult,
    TransientError,
    Unknown,
)
from channels.mime import Sender
from channels.ratelimit import RateLimiter, limiter_from_env
from channels.sendgrid_inbound import SendGridInboundReceiver
from channels.sendgrid_webhooks import SendGridEventReceiver
from channels.settings import AdapterSettings, HttpUrl

log = logging.getLogger(__name__)

DEFAULT_HOST = "https://api.sendgrid.com"
EU_HOST = "https://api.eu.sendgrid.com"
DEFAULT_TIMEOUT = 30.0
MAX_RECIPIENTS = 1000
MAX_SUBSTITUTION_BYTES = 10_000

# Placeholders for the per-recipient bodies; long and odd enough never to occur in a message.
TEXT_TAG = "-campaigns-text-9f3c2e-"
HTML_TAG = "-campaigns-html-9f3c2e-"

# Headers SendGrid refuses in ``headers`` (it sets them itself).
RESERVED_HEADERS = frozenset(
    {
        "x-sg-id",
        "x-sg-eid",
        "received",
        "dkim-signature",
        "content-type",
        "content-transfer-encoding",
        "to",
        "from",
        "subject",
        "reply-to",
        "cc",
        "bcc",
    }
)

# How long one request may wait for a token of SENDGRID_RATE before the rest of the batch is
# handed back as rate limited.
LIMITER_MAX_WAIT = 5.0

_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_ADDRESS = re.compile(
    rf"{_ATEXT}(?:\.{_ATEXT})*@(?:{_LABEL}\.)+[A-Za-z](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
)


def parse_recipient(raw: str) -> tuple[str, str | None]:
    """``(email, display name)`` of a recipient, or ValueError when SendGrid would refuse it.

    Checked here because one malformed address fails SendGrid's whole request (and crashes deep
    inside the SDK's helper classes). ASCII addresses take a fast path; an internationalised
    domain is sent in its IDNA form; a non-ASCII local part (SMTPUTF8) is refused.
    """
    text = raw.strip()
    name: str | None = None
    address = text
    if "<" in text:
        parsed_name, address = parseaddr(text)
        name = parsed_name or None
    if len(address) > 254 or "@" not in address:
        raise ValueError("not an email address")
    if address.isascii():
        local = address.rpartition("@")[0]
        if len(local) > 64 or not _ADDRESS.fullmatch(address):
            raise ValueError("not a valid email address")
        return address, name
    try:
        info = validate_email(address, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(f"not a valid email address: {exc}") from exc
    if info.ascii_email is None:
        raise ValueError("internationalised local parts (SMTPUTF8) are not sent")
    return info.ascii_email, name


def _address_object(raw: str) -> dict[str, str]:
    email, name = parse_recipient(raw)
    return {"email": email, "name": name} if name else {"email": email}


def classify_error(exc: BaseException) -> DeliveryError | ConfigurationError | None:
    """The project's error for what ``mail.send.post`` raised; None for what it does not know.

    HTTP errors are mapped by status (so the generic ``HTTPError`` that the client raises for
    codes it has no class for, such as 502, is covered too); 413 is handled by splitting the
    request and reaches this only for a single message.
    """
    if isinstance(exc, http_errors.HTTPError):
        status = int(exc.status_code)
        detail = f"SendGrid {status}: {_error_messages(exc.body)}"
        if status in (401, 403):
            return ConfigurationError(
                f"SendGrid refused the API key (HTTP {status}); check SENDGRID_API_KEY "
                "and its mail.send permission"
            )
        if status in (404, 405):
            return ConfigurationError(
                f"SendGrid answered HTTP {status} for mail/send; check SENDGRID_API_HOST"
            )
        if status == 429:
            return RateLimitedError(
                detail, status=status, code=str(status), retry_after=_retry_after(exc.headers)
            )
        if status >= 500 or status in (408, 425):
            return TransientError(detail, status=status, code=str(status))
        return PermanentError(detail, status=status, code=str(status))
    # Read timeouts are TimeoutError (socket.timeout); a connect timeout, a refused connection
    # or a failed TLS handshake arrive wrapped in URLError; a connection dropped while the
    # answer was awaited is a ConnectionError or an http.client error. Those two happen after
    # the request was sent: SendGrid may have accepted it, so the outcome is unknown.
    if isinstance(exc, TimeoutError):  # socket.timeout is an alias
        return OutcomeUnknownError(
            "SendGrid did not answer in time; it may have accepted the messages", code="timeout"
        )
    if isinstance(exc, urllib.error.URLError):
        return TransientError(f"cannot reach SendGrid: {exc.reason}", code="connection")
    if isinstance(exc, ConnectionError | http.client.HTTPException):
        return OutcomeUnknownError(
            f"the connection to SendGrid broke ({type(exc).__name__}); it may have accepted "
            "the messages",
            code="connection",
        )
    if isinstance(exc, OSError):
        return TransientError(
            f"connection to SendGrid failed: {type(exc).__name__}: {exc}", code="connection"
        )
    return None


def _category(message: OutboundMessage) -> str | None:
    campaign = message.tags.get("campaign")
    return f"campaign-{campaign}" if campaign else None


def _substitution_size(message: OutboundMessage) -> int:
    """Bytes of a message's substitutions (SendGrid limits them per personalization)."""
    size = len(TEXT_TAG) + len(message.text.encode())
    if message.html is not None:
        size += len(HTML_TAG) + len(message.html.encode())
    return size


def _error_messages(body: object) -> str:
    """SendGrid's ``{"errors": [{"message", "field"}]}`` as one line (or the raw body)."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body or "")
    try:
        errors = json.loads(text)["errors"]
        parts = [
            f"{e.get('message')} ({e['field']})" if e.get("field") else str(e.get("message"))
            for e in errors
        ]
    except (ValueError, KeyError, TypeError, AttributeError):
        return text[:500] or "no details"
    return "; ".join(parts)[:1000] or "no details"


def _retry_after(headers: Any) -> float | None:
    """Seconds until ``X-RateLimit-Reset`` (epoch seconds), else ``Retry-After``."""
    if headers is None:
        return None
    reset = headers.get("X-RateLimit-Reset")
    if reset is not None:
        try:
            return max(0.0, float(reset) - time.time())
        except ValueError:
            pass
    retry = headers.get("Retry-After")
    if retry is not None:
        try:
            return max(0.0, float(retry))
        except ValueError:
            pass
    return None


@dataclass(slots=True)
class _Request:
    """One ``mail/send`` call: its messages, one personalization each, in the same order."""

    messages: list[OutboundMessage]
    personalizations: list[dict[str, Any]]
    content: list[dict[str, str]]
    category: str | None

    def halves(self) -> tuple[_Request, _Request]:
        middle = len(self.messages) // 2
        return (
            _Request(
                self.messages[:middle],
                self.personalizations[:middle],
                self.content,
                self.category,
            ),
            _Request(
                self.messages[middle:],
                self.personalizations[middle:],
                self.content,
                self.category,
            ),
        )


class _Stop(Exception):
    """Ends a batch early: ``messages`` (the request that failed) get ``error``; the rest of
    the batch is not sent."""

    def __init__(self, error: DeliveryError, messages: Sequence[OutboundMessage] = ()) -> None:
        super().__init__(error.detail)
        self.error = error
        self.messages = list(messages)


class SendGridSettings(AdapterSettings):
    """``SENDGRID_API_KEY`` (required), ``SENDGRID_API_HOST`` (the EU host, or a stand-in),
    ``SENDGRID_TIMEOUT`` (seconds)."""

    model_config = SettingsConfigDict(env_prefix="SENDGRID_")

    api_key: SecretStr
    api_host: HttpUrl = DEFAULT_HOST
    timeout: PositiveFloat = DEFAULT_TIMEOUT


NO_TRACKING: Final[dict[str, Any]] = {
    "click_tracking": {"enable": False, "enable_text": False},
    "open_tracking": {"enable": False},
    "subscription_tracking": {"enable": False},
    "ganalytics": {"enable": False},
}


class SendGridAdapter(ChannelAdapter):
    """Sends email through SendGrid, up to 1000 messages per HTTP request."""

    name = "sendgrid"
    channels = frozenset({Channel.EMAIL})
    max_batch = MAX_RECIPIENTS
    capabilities = frozenset({Capability.STATUS_CALLBACKS, Capability.INBOUND})
    receivers = (SendGridEventReceiver, SendGridInboundReceiver)
    variables = frozenset({"CAMPAIGNS_EMAIL_FROM", "CAMPAIGNS_EMAIL_REPLY_TO"})

    def __init__(
        self,
        api_key: str,
        sender: Sender,
        *,
        host: str = DEFAULT_HOST,
        timeout: float = DEFAULT_TIMEOUT,
        limiter: RateLimiter | None = None,
    ) -> None:
        self.host = host.rstrip("/")
        self.timeout = timeout
        self.sender = sender
        self.limiter = limiter
        self.api = SendGridAPIClient(api_key, host=self.host)
        self._from = _address_object(sender.from_address)
        self._reply_to = _address_object(sender.reply_to) if sender.reply_to else None

    @classmethod
    def from_env(
        cls, env: Mapping[str, str] | None = None, *, callbacks: CallbackUrls | None = None
    ) -> Self:
        env = os.environ if env is None else env
        settings = SendGridSettings.read(env)
        api_key = settings.api_key.get_secret_value()
        host, timeout = settings.api_host or DEFAULT_HOST, settings.timeout
        sender = Sender.from_env(env)
        try:
            parse_recipient(sender.from_address)
            if sender.reply_to:
                parse_recipient(sender.reply_to)
        except ValueError as exc:
            raise ConfigurationError(f"sender address cannot be used with SendGrid: {exc}") from exc
        key_hash = hashlib.sha256(api_key.encode()).hexdigest()[:12]
        limiter = limiter_from_env(env, "SENDGRID_RATE", f"sendgrid:{key_hash}")
        return cls(api_key, sender, host=host, timeout=timeout, limiter=limiter)

    def chunks(self, messages: Sequence[OutboundMessage]) -> Iterator[Sequence[OutboundMessage]]:
        """One ``mail/send`` request each: messages sharing a category and content types,
        up to 1000; a message too large for substitutions goes alone, with its own content."""
        groups: dict[tuple[str | None, bool], list[OutboundMessage]] = {}
        for message in messages:
            if _substitution_size(message) > MAX_SUBSTITUTION_BYTES:
                yield [message]
                continue
            groups.setdefault((_category(message), message.html is not None), []).append(message)
        for members in groups.values():
            for start in range(0, len(members), MAX_RECIPIENTS):
                yield members[start : start + MAX_RECIPIENTS]

    def deliver(self, chunk: Sequence[OutboundMessage]) -> list[SendResult]:
        results: dict[int, SendResult] = {}
        members: list[tuple[OutboundMessage, dict[str, Any]]] = []
        for message in chunk:
            try:
                members.append((message, self._personalization(message)))
            except ValueError as exc:
                results[message.id] = Rejected(message.id, PermanentError(str(exc), code="invalid"))
        if not members:
            return list(results.values())
        first = members[0][0]
        if len(members) == 1 and _substitution_size(first) > MAX_SUBSTITUTION_BYTES:
            del members[0][1]["substitutions"]
            content = [{"type": "text/plain", "value": first.text}]
            if first.html is not None:
                content.append({"type": "text/html", "value": first.html})
        else:
            content = [{"type": "text/plain", "value": TEXT_TAG}]
            if first.html is not None:
                content.append({"type": "text/html", "value": HTML_TAG})
        request = _Request(
            [m for m, _ in members], [p for _, p in members], content, _category(first)
        )
        try:
            self._deliver(request, results)
        except _Stop as halt:
            for message in halt.messages:
                results[message.id] = (
                    Unknown(message.id, halt.error)
                    if isinstance(halt.error, OutcomeUnknownError)
                    else Rejected(message.id, halt.error)
                )
            raise BatchStopped(halt.error, list(results.values())) from halt
        except ConfigurationError as exc:
            raise BatchStopped(exc, list(results.values())) from exc
        return list(results.values())

    def classify(self, exc: Exception) -> DeliveryError | ConfigurationError:
        return classify_error(exc) or super().classify(exc)

    def _personalization(self, message: OutboundMessage) -> dict[str, Any]:
        """The message's personalization (``ValueError`` if it cannot be sent)."""
        if not message.subject:
            raise ValueError("an email needs a subject")
        substitutions = {TEXT_TAG: message.text}
        if message.html is not None:
            substitutions[HTML_TAG] = message.html
        headers = {
            name: value
            for name, value in message.headers.items()
            if name.lower() not in RESERVED_HEADERS
        }
        headers["X-Campaigns-Message-Id"] = str(message.id)
        custom_args = {"message_id": str(message.id)}
        for tag in ("campaign", "wave"):
            if message.tags.get(tag):
                custom_args[tag] = str(message.tags[tag])
        personalization: dict[str, Any] = {
            "to": [_address_object(message.to)],
            "subject": message.subject,
            "substitutions": substitutions,
            "headers": headers,
            "custom_args": custom_args,
        }
        return personalization

    def _body(self, request: _Request) -> dict[str, Any]:
        body: dict[str, Any] = {
            "personalizations": request.personalizations,
            "from": self._from,
            "content": request.content,
            # Opens are never tracked and links are never rewritten: clicks are counted (or
            # not) by the service's own links, and unsubscribing is its own page.
            "tracking_settings": NO_TRACKING,
        }
        if self._reply_to is not None:
            body["reply_to"] = self._reply_to
        if request.category:
            body["categories"] = [request.category]
        return body

    def _deliver(self, request: _Request, results: dict[int, SendResult]) -> None:
        """Send one request and record its results; on 413 send its halves instead (down to
        single messages).

        Raises ``_Stop`` when the rest of the batch should not be tried (rate limited,
        SendGrid or the network failing) and ConfigurationError for a refused key.
        """
        if self.limiter is not None:
            wait = self.limiter.acquire(LIMITER_MAX_WAIT)
            if wait is not None:
                # Not sent: the request's messages get no result and wait with the rest.
                raise _Stop(
                    RateLimitedError(
                        "SENDGRID_RATE reached", code="local_rate_limit", retry_after=wait
                    )
                )
        try:
            response = self.api.client.mail.send.post(
                request_body=self._body(request), timeout=self.timeout
            )
        except http_errors.PayloadTooLargeError as exc:
            if len(request.messages) > 1:
                log.debug("sendgrid 413 for %d messages: splitting", len(request.messages))
                first, second = request.halves()
                self._deliver(first, results)
                self._deliver(second, results)
                return
            error: DeliveryError = PermanentError(
                f"message too large for SendGrid: {_error_messages(exc.body)}",
                status=413,
                code="413",
            )
            results[request.messages[0].id] = Rejected(request.messages[0].id, error)
            return
        except Exception as exc:
            mapped = self.classify(exc)
            if isinstance(mapped, ConfigurationError):
                raise mapped from exc
            if isinstance(mapped, PermanentError):
                # A 400 concerns this request's content only: the next request may be fine.
                log.warning(
                    "sendgrid refused a request of %d messages: HTTP %s",
                    len(request.messages),
                    mapped.status,
                )
                results.update((m.id, Rejected(m.id, mapped)) for m in request.messages)
                return
            log.warning(
                "sendgrid request of %d messages failed (%s); stopping the batch",
                len(request.messages),
                mapped.code or mapped.status,
            )
            raise _Stop(mapped, request.messages) from exc
        status = response.status_code
        if not 200 <= status < 300:
            error = TransientError(f"unexpected SendGrid answer {status}", status=status)
            raise _Stop(error, request.messages)
        provider_id = response.headers.get("X-Message-Id") or ""
        if not provider_id:
            log.warning("sendgrid accepted a request without an X-Message-Id")
        log.debug("sendgrid accepted %d messages", len(request.messages))
        results.update((m.id, Accepted(m.id, provider_id)) for m in request.messages)
