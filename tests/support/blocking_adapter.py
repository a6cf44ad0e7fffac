"""An adapter for crash tests, used by real worker processes through a ``module:Class`` name.

It writes every message id it is handed to ``received.log`` (what the provider got), then,
while a ``block`` file exists, hangs until the worker is killed: the provider has the
messages but the worker never records the result.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Self

from channels.base import (
    Accepted,
    CallbackUrls,
    Channel,
    ChannelAdapter,
    OutboundMessage,
    SendResult,
)


class BlockingAdapter(ChannelAdapter):
    name = "blocking"
    channels = frozenset(Channel)
    max_batch = 1000

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    @classmethod
    def from_env(
        cls, env: Mapping[str, str] | None = None, *, callbacks: CallbackUrls | None = None
    ) -> Self:
        env = os.environ if env is None else env
        return cls(Path(env["BLOCKING_ADAPTER_DIR"]))

    def deliver(self, batch: Sequence[OutboundMessage]) -> list[SendResult]:
        with (self.directory / "received.log").open("a") as log:
            log.writelines(f"{m.id}\n" for m in batch)
            log.flush()
            os.fsync(log.fileno())
        if (self.directory / "block").exists():
            (self.directory / "blocked").touch()
            time.sleep(3600)
        return [Accepted(m.id, f"blocking-{m.id}") for m in batch]

    def received(self) -> list[int]:
        path = self.directory / "received.log"
        return [int(line) for line in path.read_text().split()] if path.exists() else []
