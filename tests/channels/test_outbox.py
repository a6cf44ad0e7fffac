"""The ``outbox`` adapter keeps the adapter contract: a message is a whole file or nothing,
which lets it tell for certain what went out."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from channels.base import Accepted, Channel, InFlight
from channels.outbox import OutboxAdapter
from tests.support.adapter_contract import AdapterContract, OutageContract, contract_message


class TestOutboxKeepsTheAdapterContract(AdapterContract, OutageContract):
    channel = Channel.SMS

    @pytest.fixture
    def adapter(self, tmp_path: Path) -> OutboxAdapter:
        return OutboxAdapter.from_env({"CAMPAIGNS_OUTBOX_DIR": str(tmp_path / "outbox")})

    @pytest.fixture
    def outage(self, tmp_path: Path) -> Callable[[], None]:
        def fail() -> None:
            # The channel's folder becomes a file: nothing can be written into it.
            folder = tmp_path / "outbox" / "sms"
            shutil.rmtree(folder)
            folder.write_text("")

        return fail


def test_files_hold_the_message_and_reconcile_tells_what_exists(tmp_path: Path) -> None:
    adapter = OutboxAdapter.from_env({"CAMPAIGNS_OUTBOX_DIR": str(tmp_path)})
    [result] = adapter.send([contract_message(Channel.SMS, 7)])
    assert isinstance(result, Accepted)
    written = json.loads((tmp_path / "sms" / "7.json").read_text())
    assert (written["id"], written["segments"]) == (7, result.segments)
    since = datetime.now(UTC)
    found = adapter.reconcile(
        [
            InFlight(7, Channel.SMS, written["to"], None, since),
            InFlight(8, Channel.SMS, written["to"], None, since),
        ]
    )
    assert found == {7: "outbox-7", 8: None}
    assert not [p for p in (tmp_path / "sms").iterdir() if p.name.startswith(".tmp-")]
