"""The channel adapters a process sends through, built once from the configuration."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Mapping

from dotenv import dotenv_values

from campaigns.core.settings import Settings
from channels import webhooks
from channels.base import (
    Accepted,
    Capability,
    Channel,
    ChannelAdapter,
    ConfigurationError,
    OutboundMessage,
    PermanentError,
)
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


RETRY_UNAVAILABLE = 300.0
"""Seconds before a channel found unable to send is tried again."""


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
        self._unavailable: dict[Channel, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def for_channel(self, channel: Channel) -> ChannelAdapter:
        """The adapter that sends ``channel`` (raises ConfigurationError if it cannot)."""
        with self._lock:
            marked = self._unavailable.get(channel)
        if marked is not None and time.monotonic() < marked[1]:
            raise ConfigurationError(marked[0])
        if channel in self._overrides:
            return self._overrides[channel]
        name = self.settings.adapter_for(channel.value)
        with self._lock:
            adapter = self._by_name.get(name)
            if adapter is None:
                cls = load(name)
                adapter = cls.from_env(self.env, callbacks=self.callback_url)
                self._by_name[name] = adapter
        if channel not in adapter.channels:
            raise ConfigurationError(f"adapter {name!r} cannot send {channel.value}")
        return adapter

    def with_capability(self, capability: Capability) -> dict[str, ChannelAdapter]:
        """The configured adapters that declare ``capability``, by name (channels nobody
        configured are passed over)."""
        found: dict[str, ChannelAdapter] = {}
        for channel in Channel:
            try:
                adapter = self.for_channel(channel)
            except ConfigurationError:
                continue
            if capability in adapter.capabilities:
                found[adapter.name] = adapter
        return found

    def send_one(self, message: OutboundMessage) -> tuple[str, Accepted]:
        """Hand one message that has no row (a test send, a sign-in link) to its channel's
        adapter: the adapter's name and its acceptance; ``DeliveryError`` if it is refused
        or its fate is unknown (``ConfigurationError`` if the adapter cannot run)."""
        adapter = self.for_channel(message.channel)
        results = adapter.send([message])
        result = next((r for r in results if r.message_id == message.id), None)
        if result is None:
            raise PermanentError(f"{adapter.name}: sonuç yok / no result returned")
        if not isinstance(result, Accepted):
            raise result.error
        return adapter.name, result

    def callback_url(self, path: str, message_id: int) -> str:
        """The public URL of the webhook receiver at ``path``, for a message (adapters
        never know the host's routes)."""
        base = self.settings.webhook_url_base or self.settings.public_url
        return webhooks.callback_url(base, path, message_id)

    def unavailable(self, channel: Channel) -> str | None:
        """Why ``channel`` cannot send now (its adapter cannot be built, or its provider
        refused the configuration a moment ago), or None when it can."""
        try:
            self.for_channel(channel)
        except ConfigurationError as exc:
            return self.mark_unavailable(channel, exc)
        return None

    def mark_unavailable(self, channel: Channel, exc: ConfigurationError) -> str:
        """Remember that ``channel`` cannot send, for a while (a fixed setting needs a
        restart; a provider's passing refusal heals by itself); the reason."""
        reason = str(exc) or type(exc).__name__
        with self._lock:
            known = self._unavailable.get(channel)
            if known is None or time.monotonic() >= known[1]:
                self._unavailable[channel] = (reason, time.monotonic() + RETRY_UNAVAILABLE)
        return reason

    def close(self) -> None:
        for adapter in [*self._by_name.values(), *self._overrides.values()]:
            adapter.close()
        self._by_name.clear()
