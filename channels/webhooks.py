"""Webhook receivers: how an adapter package brings its provider's callbacks with it.

A receiver verifies a request exactly as its provider signs it and parses it into the
normalised vocabulary: ``DeliveryEvent``s (statuses) and ``InboundMessage``s (replies). It
knows nothing of the host's routes, database or texts: the host mounts every receiver of every
registered adapter at ``/webhooks/<path>``, stores what it parsed, and hands it the product's
reply text when the provider expects an answer in the response.
"""

from __future__ import annotations

import enum
import unicodedata
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar, Literal, Self

from channels.base import Channel, ConfigurationError, DeliveryEvent

Keyword = Literal["stop", "start"]

STOP_KEYWORDS = frozenset(
    {"stop", "iptal", "dur", "unsubscribe", "cancel", "end", "quit", "stopall"}
)
START_KEYWORDS = frozenset({"start", "basla", "unstop", "yes"})


def mount_path(path: str) -> str:
    """Where the host mounts the receiver at ``path``."""
    return f"/webhooks/{path}"


def callback_url(base_url: str, path: str, message_id: int) -> str:
    """The public URL of the receiver at ``path`` for one of our messages, under the host's
    public ``base_url``: what a provider is told to call back."""
    return f"{base_url.rstrip('/')}{mount_path(path)}?m={message_id}"


class RejectReason(enum.StrEnum):
    """Why a request was refused, the same for every provider."""

    BAD_SIGNATURE = "bad_signature"
    """Unsigned, or signed by someone else: nothing in it is acted on (403)."""
    STALE = "stale"
    """Signed, but too old: a captured request replayed later (403)."""
    MALFORMED = "malformed"
    """Genuine, but not what the provider sends (400)."""
    OTHER = "other"
    """Anything else the receiver refuses (400)."""


class WebhookRejected(Exception):
    """The request is refused; ``detail`` says why, without repeating its content."""

    def __init__(self, reason: RejectReason, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True, slots=True)
class WebhookRequest:
    """A provider's request as the host received it: ``url`` as the provider called it (the
    public scheme, host and path, query included), its headers (looked up by lower-case
    name), the raw body, and the query parameters."""

    url: str
    headers: Mapping[str, str]
    body: bytes
    query: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file a reply carried: kept only when it is a document or picture of a checked type
    and size (``refused`` says why not, and then ``data`` is empty)."""

    filename: str
    content_type: str
    data: bytes = b""
    refused: str | None = None


@dataclass(frozen=True, slots=True)
class InboundMessage:
    """A message a student sent us; ``keyword`` when all of it is an opt-out or opt-in."""

    provider: str
    provider_message_id: str
    channel: Channel
    from_address: str
    body: str
    keyword: Keyword | None = None
    attachments: tuple[Attachment, ...] = ()


@dataclass(frozen=True, slots=True)
class Received:
    """What one request carried."""

    events: list[DeliveryEvent] = field(default_factory=list)
    inbound: list[InboundMessage] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Reply:
    """The answer the provider gets once what it sent is stored."""

    status: int = 204
    body: str = ""
    media_type: str = "text/plain"


class WebhookReceiver(ABC):
    """One callback endpoint of a provider, mounted by the host at ``/webhooks/<path>``."""

    path: ClassVar[str]
    """Where the host mounts it, e.g. ``"twilio/status"``."""

    @classmethod
    @abstractmethod
    def from_env(cls, env: Mapping[str, str]) -> Self:
        """Build it from the provider's settings (its secret); ``ConfigurationError`` when
        they are missing, and the host then answers that the endpoint is not configured."""

    @abstractmethod
    def receive(self, request: WebhookRequest, now: float) -> Received:
        """Verify and parse ``request`` (``now``: Unix time, for freshness); raise
        ``WebhookRejected`` for anything that is not a genuine, well-formed callback."""

    def reply(self, received: Received, texts: Mapping[InboundMessage, str]) -> Reply:
        """The answer once ``received`` is stored; ``texts`` are the product's answers to
        inbound messages that need one (an acknowledged STOP)."""
        return Reply()


def required_secret(env: Mapping[str, str], variable: str) -> str:
    """The secret a receiver verifies with; ``ConfigurationError`` when it is not set."""
    value = (env.get(variable) or "").strip()
    if not value:
        raise ConfigurationError(f"{variable} is not set")
    return value


def keyword_of(body: str) -> Keyword | None:
    """``"stop"`` or ``"start"`` when the whole message is an opt-out or opt-in keyword
    (any case, Turkish letters or their ASCII look-alikes: ``İPTAL``, ``iptal``, ``BASLA``)."""
    # Turkish casing first (İ → i, I → ı), then accents dropped and ı merged with i, so the
    # Turkish and the ASCII spelling of a keyword fold alike.
    lowered = body.strip().replace("İ", "i").replace("I", "ı").lower()
    bare = "".join(
        ch for ch in unicodedata.normalize("NFKD", lowered) if not unicodedata.combining(ch)
    ).replace("ı", "i")
    if bare in STOP_KEYWORDS:
        return "stop"
    if bare in START_KEYWORDS:
        return "start"
    return None
