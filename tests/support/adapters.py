"""Adapters for tests: they record what they were given and answer as told."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from typing import Self

from channels.base import (
    Accepted,
    CallbackUrls,
    Channel,
    ChannelAdapter,
    DeliveryError,
    OutboundMessage,
    Rejected,
    SendResult,
)

Answer = Callable[[OutboundMessage], DeliveryError | Exception | None]


class RecordingAdapter(ChannelAdapter):
    """Accepts every message unless ``answer`` returns an error for it."""

    name = "recording"
    channels = frozenset(Channel)
    max_batch = 100

    def __init__(self, answer: Answer | None = None, max_batch: int | None = None) -> None:
        self.answer = answer or (lambda _m: None)
        self.sent: list[OutboundMessage] = []
        self.calls: list[int] = []
        self._ids = itertools.count(1)
        if max_batch is not None:
            self.max_batch = max_batch  # type: ignore[misc]

    @classmethod
    def from_env(
        cls, env: Mapping[str, str] | None = None, *, callbacks: CallbackUrls | None = None
    ) -> Self:
        return cls()

    def deliver(self, batch: Sequence[OutboundMessage]) -> list[SendResult]:
        self.calls.append(len(batch))
        results: list[SendResult] = []
        for message in batch:
            outcome = self.answer(message)
            if isinstance(outcome, DeliveryError):
                results.append(Rejected(message.id, outcome))
            elif isinstance(outcome, Exception):
                raise outcome
            else:
                self.sent.append(message)
                results.append(Accepted(message.id, f"rec-{next(self._ids)}"))
        return results

    def sent_to(self) -> list[str]:
        return [m.to for m in self.sent]
