"""The channel adapters a process sends through, built once from the configuration."""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping

from dotenv import dotenv_values

from campaigns.settings import Settings
from channels.base import Channel, ChannelAdapter, ConfigurationError
from channels.registry import load


def adapter_env(settings: Settings, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """What adapters read: the ``.env`` file, overridden by the environment, by ``extra``
    (provider settings given in code, e.g. by the demo) and by the settings."""
    env = {k: v for k, v in dotenv_values(".env").items() if v is not None}
    env.update(os.environ)
    env.update(extra or {})
    env["CAMPAIGNS_OUTBOX_DIR"] = str(settings.outbox_dir)
    env["CAMPAIGNS_PUBLIC_URL"] = settings.public_url
    if settings.shared_redis_url:
        env["CAMPAIGNS_REDIS_URL"] = settings.shared_redis_url
    return env


class AdapterPool:
    """One adapter instance per configured name, created on first use, shared by channels."""

    def __init__(
        self,
        settings: Settings,
        overrides: Mapping[Channel, ChannelAdapter] | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.settings = settings
        self.env = adapter_env(settings, env)
        self._overrides = dict(overrides or {})
        self._by_name: dict[str, ChannelAdapter] = {}
        self._lock = threading.Lock()

    def for_channel(self, channel: Channel) -> ChannelAdapter:
        """The adapter that sends ``channel`` (raises ConfigurationError if it cannot)."""
        if channel in self._overrides:
            return self._overrides[channel]
        name = self.settings.adapter_for(channel.value)
        with self._lock:
            adapter = self._by_name.get(name)
            if adapter is None:
                cls = load(name)
                adapter = cls.from_env(self.env)
                self._by_name[name] = adapter
        if channel not in adapter.channels:
            raise ConfigurationError(f"adapter {name!r} cannot send {channel.value}")
        return adapter

    def close(self) -> None:
        for adapter in [*self._by_name.values(), *self._overrides.values()]:
            adapter.close()
        self._by_name.clear()
