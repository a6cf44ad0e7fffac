"""The ``null`` adapter: accepts every message and does nothing (benchmarks, dry runs)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Self

from channels.base import (
    Accepted,
    CallbackUrls,
    Capability,
    Channel,
    ChannelAdapter,
    InFlight,
    OutboundMessage,
    SendResult,
)


class NullAdapter(ChannelAdapter):
    """Accepts everything, performs no I/O."""

    name = "null"
    channels = frozenset(Channel)
    max_batch = 1000
    delivers = False
    capabilities = frozenset({Capability.RECONCILE})

    @classmethod
    def from_env(
        cls, env: Mapping[str, str] | None = None, *, callbacks: CallbackUrls | None = None
    ) -> Self:
        return cls()

    def deliver(self, chunk: Sequence[OutboundMessage]) -> list[SendResult]:
        return [Accepted(m.id, f"null-{m.id}") for m in chunk]

    def reconcile(self, messages: Sequence[InFlight]) -> dict[int, str | None]:
        return {m.message_id: f"null-{m.message_id}" for m in messages}
