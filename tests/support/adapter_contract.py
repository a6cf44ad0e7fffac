"""The contract every channel adapter keeps, as test classes an adapter's tests subclass (the
way django-anymail's backend tests share their cases).

A subclass provides the fixture ``adapter`` (a fresh adapter whose stand-in provider accepts
everything) and may set ``channel`` (the channel its messages use). Adapters that talk to a
provider also subclass ``OutageContract`` and provide ``outage``: a callable after which the
provider fails every request (refused, erroring or unreachable).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import ClassVar

import pytest

from channels.base import (
    Accepted,
    Capability,
    Channel,
    ChannelAdapter,
    ErrorKind,
    OutboundMessage,
    Rejected,
    Unknown,
)
from simulator.core import SimulatorConfig

# Each capability and the method that serves it: declaring one without the other is a bug.
SERVED_BY = {
    Capability.RECONCILE: "reconcile",
    Capability.FETCH_COSTS: "fetch_costs",
}


def contract_message(channel: Channel, message_id: int) -> OutboundMessage:
    """A message any adapter of ``channel`` can send."""
    if channel is Channel.EMAIL:
        return OutboundMessage(
            id=message_id,
            channel=channel,
            to=f"ogrenci{message_id}@ogr.universite.example.edu.tr",
            text=f"Merhaba {message_id}, mezun sistemine kaydolun.",
            subject="Mezun Bilgi Sistemi kaydı",
            html=f"<p>Merhaba {message_id}</p>",
            headers={"List-Unsubscribe": f"<https://kampanya.example.edu.tr/u/{message_id}>"},
            tags={"campaign": "1", "wave": "duyuru"},
        )
    return OutboundMessage(
        id=message_id,
        channel=channel,
        to=f"+90532{message_id % 10_000_000:07d}",
        text=f"Mezun sistemine kaydolun: https://k.example.edu.tr/r/{message_id}",
        tags={"campaign": "1", "wave": "duyuru"},
    )


class AdapterContract:
    """What every adapter does the same way."""

    channel: ClassVar[Channel] = Channel.EMAIL

    def test_one_result_per_message_in_the_batchs_order(self, adapter: ChannelAdapter) -> None:
        batch = [contract_message(self.channel, i) for i in (5, 3, 9)]
        results = adapter.send(batch)
        assert [r.message_id for r in results] == [5, 3, 9]
        assert all(isinstance(r, Accepted) and r.provider_message_id for r in results)
        assert len({r.provider_message_id for r in results if isinstance(r, Accepted)}) in (1, 3)

    def test_a_batch_above_max_batch_is_sent_whole(self, adapter: ChannelAdapter) -> None:
        count = adapter.max_batch + 1
        results = adapter.send([contract_message(self.channel, i) for i in range(1, count + 1)])
        assert [r.message_id for r in results] == list(range(1, count + 1))
        assert all(isinstance(r, Accepted) for r in results)

    def test_a_message_of_another_channel_is_refused_alone(self, adapter: ChannelAdapter) -> None:
        others = [c for c in Channel if c not in adapter.channels]
        batch = [contract_message(self.channel, 1)] + [
            contract_message(c, 2 + i) for i, c in enumerate(others)
        ]
        first, *rest = adapter.send(batch)
        assert isinstance(first, Accepted)
        for result in rest:
            assert isinstance(result, Rejected)
            assert (result.error.kind, result.error.code) == (ErrorKind.PERMANENT, "wrong-channel")
        assert len(rest) == len(others)

    def test_declared_capabilities_are_the_ones_served(self, adapter: ChannelAdapter) -> None:
        for capability, method in SERVED_BY.items():
            served = getattr(type(adapter), method) is not getattr(ChannelAdapter, method)
            assert served == (capability in adapter.capabilities), capability
        assert adapter.channels
        assert adapter.max_batch >= 1

    def test_nothing_at_all_is_nothing(self, adapter: ChannelAdapter) -> None:
        assert adapter.send([]) == []


class OutageContract:
    """What an adapter does when its provider fails: a result for every message, never an
    exception, nothing claimed as accepted."""

    channel: ClassVar[Channel] = Channel.EMAIL

    def test_an_outage_is_a_result_for_every_message(
        self, adapter: ChannelAdapter, outage: Callable[[], None]
    ) -> None:
        outage()
        batch = [contract_message(self.channel, i) for i in (1, 2, 3)]
        results = adapter.send(batch)
        assert [r.message_id for r in results] == [1, 2, 3]
        for result in results:
            assert isinstance(result, Rejected | Unknown), result
            assert result.error.kind is not ErrorKind.PERMANENT, result


class SimulatorOutage:
    """``outage`` for adapters tested against the simulator (a ``config`` fixture): from the
    call on, every request fails."""

    @pytest.fixture
    def outage(self, config: SimulatorConfig) -> Iterator[Callable[[], None]]:
        def fail() -> None:
            config.error_rate = 1.0

        yield fail
        config.error_rate = 0.0
