"""Everything one process needs to plan and send: settings, database, adapters, sender."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Self

from campaigns.core.db import Database, database
from campaigns.core.dispatch import CeleryDispatcher, Dispatcher, InlineDispatcher
from campaigns.core.settings import Settings
from campaigns.delivery.adapter_pool import AdapterPool
from campaigns.delivery.sending import WaveSender
from campaigns.planning.scheduler import TickReport, tick
from channels.base import Channel, ChannelAdapter


@dataclass
class Runtime:
    settings: Settings
    db: Database
    adapters: AdapterPool
    sender: WaveSender

    @property
    def dispatcher(self) -> Dispatcher:
        """Celery workers when a broker is configured, this process otherwise."""
        if self.settings.broker_url:
            return CeleryDispatcher(self.settings)
        return InlineDispatcher(self.sender)

    def tick(self, *, now: datetime | None = None) -> TickReport:
        return tick(self.db, self.settings, self.adapters, self.dispatcher, now=now)

    def close(self) -> None:
        self.adapters.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def build_runtime(
    settings: Settings,
    adapters: Mapping[Channel, ChannelAdapter] | None = None,
    env: Mapping[str, str] | None = None,
) -> Runtime:
    """A runtime for ``settings``; ``adapters`` replaces configured adapters per channel and
    ``env`` adds provider settings to the environment adapters are built from."""
    db = database(settings.database_url)
    pool = AdapterPool(settings, adapters, env)
    return Runtime(settings, db, pool, WaveSender(db, settings, pool))
