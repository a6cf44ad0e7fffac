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

``ChannelAdapter.send`` is the one send flow every adapter shares: channel checks, chunks of
the adapter's ``max_batch``, one classification of failures, and the partial-batch rule (what
the provider accepted stays accepted; after a failure that stops the batch, nothing more is
tried). An adapter writes only ``deliver`` (one chunk to its provider) and, if its SDK has
its own exceptions, ``classify``.
"""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar, Self, final

if TYPE_CHECKING:
    from channels.webhooks import InboundMessage, WebhookReceiver

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
class Polled:
    """A message the provider accepted and has not finished with: what a status poll asks
    about."""

    provider_message_id: str
    sent_at: datetime


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
    commercial: bool = False
    """A commercial message (Turkish law): operators that can check İYS consent are asked to."""


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


@dataclass(frozen=True, slots=True)
class Unknown:
    """The provider may have the message (the request went out, its answer was lost): it is
    reconciled with the provider, never resent blindly."""

    message_id: int
    error: OutcomeUnknownError


SendResult = Accepted | Rejected | Unknown


class Capability(enum.StrEnum):
    """What an adapter can do besides sending, declared rather than guessed."""

    RECONCILE = "reconcile"
    """Tell whether it has a message whose outcome was lost (``reconcile``)."""
    FETCH_COSTS = "fetch_costs"
    """Tell prices that are known only after sending (``fetch_costs``)."""
    STATUS_CALLBACKS = "status_callbacks"
    """The provider calls us back with delivery statuses (a webhook receiver)."""
    INBOUND = "inbound"
    """Students' replies reach us (STOP/İPTAL, questions)."""
    POLLED_STATUSES = "polled_statuses"
    """Delivery statuses are asked for (``poll_statuses``): the provider calls nobody back."""
    POLLED_INBOUND = "polled_inbound"
    """Replies are fetched from the provider's inbox (``poll_inbound``)."""


class BatchStopped(Exception):
    """Raised by ``deliver`` when the rest of the batch must not be tried (rate limited, the
    provider or the network failing, the configuration refused). ``results`` holds what was
    answered before: it stays as it is; messages without a result never left."""

    def __init__(
        self,
        error: DeliveryError | ConfigurationError,
        results: Sequence[SendResult] = (),
    ) -> None:
        super().__init__(str(error))
        self.error = error
        self.results = list(results)


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


CallbackUrls = Callable[[str, int], str]
"""The host's public URL for (a receiver's path, our message id): adapters never know the
host's routes."""


class ChannelAdapter(ABC):
    """A way to hand messages to one provider.

    Subclasses declare ``name``, the ``channels`` they serve, ``max_batch`` (how many
    messages one ``deliver`` call gets) and their ``capabilities``, and write ``deliver``.
    """

    name: ClassVar[str]
    channels: ClassVar[frozenset[Channel]]
    max_batch: ClassVar[int] = 1
    capabilities: ClassVar[frozenset[Capability]] = frozenset()
    receivers: ClassVar[tuple[type[WebhookReceiver], ...]] = ()
    """The provider's callback endpoints: the host mounts each at ``/webhooks/<path>``."""
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
    def from_env(
        cls, env: Mapping[str, str] | None = None, *, callbacks: CallbackUrls | None = None
    ) -> Self:
        """Build the adapter from its settings in ``env`` (``os.environ`` when None);
        ``callbacks`` gives the public URL of one of its ``receivers`` for a message."""

    @final
    def send(self, batch: Sequence[OutboundMessage]) -> list[SendResult]:
        """Send a batch; exactly one result per message, in the batch's order.

        Raises only ``ConfigurationError``, and only when nothing of the batch was accepted
        (the channel cannot send: its messages wait as they are).
        """
        results: dict[int, SendResult] = {}
        sendable: list[OutboundMessage] = []
        for message in batch:
            if message.channel in self.channels:
                sendable.append(message)
            else:
                error = PermanentError(
                    f"{self.name} cannot send {message.channel.value}", code="wrong-channel"
                )
                results[message.id] = Rejected(message.id, error)
        stop: DeliveryError | None = None
        for chunk in self.chunks(sendable):
            if stop is None:
                stop = self._deliver_chunk(chunk, results)
            if stop is not None:
                left = _not_sent(stop)
                for message in chunk:
                    results.setdefault(message.id, Rejected(message.id, left))
        return [results[m.id] for m in batch]

    def chunks(self, messages: Sequence[OutboundMessage]) -> Iterator[Sequence[OutboundMessage]]:
        """The groups ``deliver`` gets, in order: slices of ``max_batch``."""
        size = max(1, self.max_batch)
        for start in range(0, len(messages), size):
            yield messages[start : start + size]

    @abstractmethod
    def deliver(self, chunk: Sequence[OutboundMessage]) -> Sequence[SendResult]:
        """Hand ``chunk`` to the provider: a result per message it answered for (a message
        left out is ``Unknown``). Raise ``BatchStopped`` to stop the batch keeping what was
        answered; any other exception is the whole chunk's failure, mapped by ``classify``."""

    def classify(self, exc: Exception) -> DeliveryError | ConfigurationError:
        """What a failure of ``deliver`` means. Adapters map their SDK's exceptions and leave
        the rest here: an unexpected exception may have come after the request went out, so
        its messages are ``Unknown`` (reconciled), never retried blindly."""
        if isinstance(exc, DeliveryError | ConfigurationError):
            return exc
        return OutcomeUnknownError(
            f"{self.name}: unexpected {type(exc).__name__}", code="unexpected"
        )

    def _deliver_chunk(
        self, chunk: Sequence[OutboundMessage], results: dict[int, SendResult]
    ) -> DeliveryError | None:
        """Record ``chunk``'s results; the error that stops the batch, if one does."""
        stop: DeliveryError | ConfigurationError | None
        try:
            answered, stop = list(self.deliver(chunk)), None
        except BatchStopped as halt:
            answered, stop = halt.results, halt.error
        except Exception as exc:  # the chunk's failure, whatever it is: see ``classify``
            stop = self.classify(exc)
            answered = []
            if isinstance(stop, DeliveryError):
                answered = [_result(m.id, stop) for m in chunk]
                if stop.kind is ErrorKind.PERMANENT:
                    stop = None  # this request's content was refused: the next may be fine
        ids = {m.id for m in chunk}
        for result in answered:
            message_id = result.message_id
            if message_id in ids:
                # Accepted, the common case, as it is; an error that may have arrived: Unknown.
                accepted = type(result) is Accepted
                results[message_id] = result if accepted else _result(message_id, result)
        if stop is None:
            for message in chunk:
                if message.id not in results:
                    missing = OutcomeUnknownError(f"{self.name}: no result", code="no-result")
                    results[message.id] = Unknown(message.id, missing)
            return None
        if isinstance(stop, ConfigurationError):
            if not any(isinstance(r, Accepted) for r in results.values()):
                raise stop
            # Raising now would lose the acceptances already made (and send them again).
            return TransientError(f"batch stopped: {stop}", code="configuration")
        return stop

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

    def serves(self, capability: Capability) -> bool:
        """Whether this adapter, as configured, does what ``capability`` says: a declared
        capability an adapter serves only with an optional setting is narrowed here."""
        return capability in self.capabilities

    def poll_statuses(self, messages: Sequence[Polled]) -> list[DeliveryEvent]:
        """The statuses of messages still on their way, for providers that are asked rather
        than calling back (``POLLED_STATUSES``), within the provider's query limits: what
        is not answered now is asked again at the next poll."""
        return []

    def poll_inbound(self, since: datetime, until: datetime) -> list[InboundMessage]:
        """Replies received between ``since`` and ``until``, for providers whose inbox is read
        (``POLLED_INBOUND``); the host stores each once, so overlapping windows are safe.
        Raises ``DeliveryError`` or ``ConfigurationError`` when the inbox cannot be read: the
        host then reads the same window again next time (an empty answer means no replies)."""
        return []

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _result(message_id: int, outcome: SendResult | DeliveryError) -> SendResult:
    """A result, with a possibly-sent error as ``Unknown`` whichever way it was reported."""
    if isinstance(outcome, Rejected):
        outcome = outcome.error
    if isinstance(outcome, Accepted | Unknown):
        return outcome
    if isinstance(outcome, OutcomeUnknownError):
        return Unknown(message_id, outcome)
    return Rejected(message_id, outcome)


def _not_sent(stop: DeliveryError) -> DeliveryError:
    """The error of messages the batch never tried after ``stop``: the same (a rate limit's
    hint holds for them too), except that they certainly did not go out."""
    if stop.kind is ErrorKind.UNKNOWN:
        return TransientError("not sent: the batch stopped before it", code="not-sent")
    return stop
