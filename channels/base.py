"""The channel adapter interface: a batch of rendered messages in, one result per message out.

Error tree (every adapter maps its provider's failures onto it)::

    Exception
    ├── ConfigurationError        the adapter cannot run as configured (never retried)
    └── DeliveryError             one message, or a whole batch, was not accepted
        ├── PermanentError        bad or opted-out recipient, rejected content: never retry
        ├── TransientError        no answer before sending, connection refused, 5xx: retry
        ├── RateLimitedError      429 and friends: retry after the provider's hint
        └── OutcomeUnknownError   the request went out but the answer did not come back
                                  (a read timeout): reconciled with the provider, never
                                  resent blindly

Adapters do not touch the database or Celery; they only talk to their provider.
"""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar, Self

MAX_MESSAGE_ID = 2**63 - 1
"""Our message ids are signed 64-bit integers: a larger number echoed back is not ours."""


class Channel(enum.StrEnum):
    """A way to reach a student."""

    EMAIL = "email"
    SMS = "sms"
    WHATSAPP = "whatsapp"


class ErrorKind(enum.StrEnum):
    PERMANENT = "permanent"
    TRANSIENT = "transient"
    RATE_LIMITED = "rate_limited"
    UNKNOWN = "unknown"


class ConfigurationError(Exception):
    """The adapter is misconfigured (missing credentials, bad URL): no message can be sent."""


class DeliveryError(Exception):
    """A provider did not accept a message; ``kind`` says whether and when to retry."""

    kind: ClassVar[ErrorKind]

    def __init__(
        self,
        detail: str,
        *,
        code: str | None = None,
        status: int | None = None,
        retry_after: float | None = None,
        suppress: bool = False,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.code = code
        self.status = status
        self.retry_after = retry_after
        self.suppress = suppress

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.detail!r}, code={self.code!r}, status={self.status})"


class PermanentError(DeliveryError):
    """Never retried. ``suppress`` marks a recipient that opted out or does not exist."""

    kind = ErrorKind.PERMANENT


class TransientError(DeliveryError):
    """Retried with exponential backoff and jitter, up to a limit."""

    kind = ErrorKind.TRANSIENT


class RateLimitedError(DeliveryError):
    """Retried after ``retry_after`` seconds (the provider's hint) or a backoff."""

    kind = ErrorKind.RATE_LIMITED


class OutcomeUnknownError(DeliveryError):
    """The provider may have accepted the message (the request was sent, its answer was
    lost): sending again could reach the student twice, so it is reconciled first."""

    kind = ErrorKind.UNKNOWN


@dataclass(frozen=True, slots=True)
class InFlight:
    """A message whose outcome was lost, as the provider could recognise it: its recipient,
    a text that only this message carries (its link token, when the text has the link),
    and when it was handed over (the provider cannot have it from before)."""

    message_id: int
    channel: Channel
    to: str
    marker: str | None
    since: datetime


@dataclass(frozen=True, slots=True)
class ProviderTemplate:
    """A provider-side approved template (WhatsApp) and the values of its placeholders."""

    id: str
    variables: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class OutboundMessage:
    """A rendered message for one recipient. ``id`` is ours and is echoed back by providers."""

    id: int
    channel: Channel
    to: str
    text: str
    subject: str | None = None
    html: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    tags: Mapping[str, str] = field(default_factory=dict)
    template: ProviderTemplate | None = None


@dataclass(frozen=True, slots=True)
class Accepted:
    """The provider took the message; ``provider_message_id`` identifies it in callbacks."""

    message_id: int
    provider_message_id: str
    segments: int | None = None
    cost: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Rejected:
    """The provider did not take the message."""

    message_id: int
    error: DeliveryError


SendResult = Accepted | Rejected


class EventType(enum.StrEnum):
    """The one vocabulary every provider's status callbacks are normalised to."""

    ACCEPTED = "accepted"
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    OPENED = "opened"
    CLICKED = "clicked"
    DEFERRED = "deferred"
    BOUNCED = "bounced"
    UNDELIVERED = "undelivered"
    FAILED = "failed"
    COMPLAINED = "complained"
    UNSUBSCRIBED = "unsubscribed"
    RESUBSCRIBED = "resubscribed"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class DeliveryEvent:
    """A provider status callback, normalised. ``raw`` keeps the provider's payload."""

    type: EventType
    provider: str
    occurred_at: datetime
    provider_message_id: str | None
    message_id: int | None = None
    recipient: str | None = None
    event_id: str | None = None
    error_code: str | None = None
    description: str | None = None
    cost: Decimal | None = None
    raw: Mapping[str, Any] = field(default_factory=dict)


class ChannelAdapter(ABC):
    """A way to hand messages to one provider.

    Subclasses declare ``name``, the ``channels`` they serve and ``max_batch`` (how many
    messages one ``send`` call should get; the worker sizes its batches from it).
    """

    name: ClassVar[str]
    channels: ClassVar[frozenset[Channel]]
    max_batch: ClassVar[int] = 1
    delivers: ClassVar[bool] = True
    """False for adapters whose messages reach nobody (files, benchmarks): checks say so."""
    requires_template: ClassVar[frozenset[Channel]] = frozenset()
    """Channels on which the provider only delivers an approved template (WhatsApp
    business messages): a wave without one is a problem before anything is sent."""
    variables: ClassVar[frozenset[str]] = frozenset()
    """The host's ``CAMPAIGNS_*`` variables the adapter reads, so a check can tell a typo
    from a setting."""

    @classmethod
    @abstractmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Self:
        """Build the adapter from environment variables (``os.environ`` when ``env`` is None)."""

    @abstractmethod
    def send(self, batch: Sequence[OutboundMessage]) -> list[SendResult]:
        """Send a batch; return exactly one result per message.

        Raising a ``DeliveryError`` means the whole batch failed that way (e.g. the provider
        was unreachable): nothing in it was accepted.
        """

    def reconcile(self, messages: Sequence[InFlight]) -> dict[int, str | None]:
        """Tell what became of messages whose outcome was lost (a worker died mid-send, a
        request timed out after it was sent).

        Returns ``{id: provider_message_id}`` for messages the provider has, ``{id: None}``
        for messages it certainly never got; ids it cannot tell about are left out (by
        default all of them: a person decides).
        """
        return {}

    def fetch_costs(self, provider_message_ids: Sequence[str]) -> dict[str, tuple[Decimal, str]]:
        """What the provider charged, for providers that say so only after sending (Twilio):
        ``{provider_message_id: (amount, currency)}`` for the messages priced by now."""
        return {}

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
