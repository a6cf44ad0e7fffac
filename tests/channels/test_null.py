"""The ``null`` adapter keeps the adapter contract: it accepts everything, sends nothing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from channels.base import Channel, InFlight
from channels.null import NullAdapter
from tests.support.adapter_contract import AdapterContract


class TestNullKeepsTheAdapterContract(AdapterContract):
    channel = Channel.SMS

    @pytest.fixture
    def adapter(self) -> NullAdapter:
        return NullAdapter.from_env({})


def test_it_delivers_nothing_and_knows_everything_was_taken() -> None:
    adapter = NullAdapter()
    assert not adapter.delivers
    since = datetime.now(UTC)
    assert adapter.reconcile([InFlight(4, Channel.EMAIL, "a@example.com", None, since)]) == {
        4: "null-4"
    }
