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
        self._unavailable: dict[tuple[str, Channel], tuple[str, float]] = {}
        self._lock = threading.Lock()

    def for_channel(self, channel: Channel) -> ChannelAdapter:
        """The adapter with the channel's largest configured share (raises
        ConfigurationError if it cannot run)."""
        name, _ = max(self.configured(channel), key=lambda pair: pair[1])
        return self.named(name, channel)

    def named(self, name: str, channel: Channel) -> ChannelAdapter:
        """The adapter ``name`` for ``channel``, which it must serve; raises
        ConfigurationError if it cannot run, or could not for this channel a moment ago."""
        with self._lock:
            marked = self._unavailable.get((name, channel))
        if marked is not None and time.monotonic() < marked[1]:
            raise ConfigurationError(marked[0])
        for override in self._overrides.values():
            if override.name == name and channel in override.channels:
                return override
        adapter = self._built(name) if name in self.providers(channel) else None
        if adapter is None:
            # Rows record the adapter's own name, which a "module:Class" setting differs from.
            for configured in self.providers(channel):
                candidate = self._built(configured)
                if candidate.name == name:
                    adapter = candidate
                    break
            else:
                adapter = self._built(name)
        if channel not in adapter.channels:
            raise ConfigurationError(f"adapter {name!r} cannot send {channel.value}")
        return adapter

    def _built(self, name: str) -> ChannelAdapter:
        """The adapter of the setting ``name``, built once."""
        with self._lock:
            adapter = self._by_name.get(name)
            if adapter is None:
                adapter = load(name).from_env(self.env, callbacks=self.callback_url)
                self._by_name[name] = adapter
        return adapter

    def configured(self, channel: Channel) -> list[tuple[str, int]]:
        """The channel's providers and their configured shares (the override's, in tests)."""
        if channel in self._overrides:
            return [(self._overrides[channel].name, 100)]
        return self.settings.providers_for(channel.value)

    def providers(self, channel: Channel) -> list[str]:
        """The names of the channel's configured providers."""
        return [name for name, _ in self.configured(channel)]

    def usable(self, channel: Channel) -> dict[str, str | None]:
        """Each configured provider of ``channel`` and why it cannot run (None: it can)."""
        found: dict[str, str | None] = {}
        for name in self.providers(channel):
            try:
                self.named(name, channel)
            except ConfigurationError as exc:
                found[name] = self.mark_unavailable(name, channel, exc)
            else:
                found[name] = None
        return found

    def with_capability(self, capability: Capability) -> dict[str, ChannelAdapter]:
        """The configured adapters that declare ``capability``, by name (those that cannot
        run are passed over)."""
        found: dict[str, ChannelAdapter] = {}
        for channel in Channel:
            for name in self.providers(channel):
                try:
                    adapter = self.named(name, channel)
                except ConfigurationError:
                    continue
                if adapter.serves(capability):
                    found[adapter.name] = adapter
        return found

    def send_one(
        self, message: OutboundMessage, *, provider: str | None = None
    ) -> tuple[str, Accepted]:
        """Hand one message that has no row (a test send, a sign-in link, an answer) to its
        channel's adapter, or to ``provider`` when it can send on that channel: the
        adapter's name and its acceptance; ``DeliveryError`` if it is refused or its fate is
        unknown (``ConfigurationError`` if no adapter can run)."""
        adapter = None
        if provider is not None:
            try:
                adapter = self.named(provider, message.channel)
            except ConfigurationError:
                adapter = None
        adapter = adapter or self.for_channel(message.channel)
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
        """Why ``channel`` cannot send now (none of its providers can run), or None."""
        reasons = self.usable(channel)
        if any(reason is None for reason in reasons.values()):
            return None
        return "; ".join(f"{name}: {reason}" for name, reason in reasons.items())

    def mark_unavailable(self, name: str, channel: Channel, exc: ConfigurationError) -> str:
        """Remember that the adapter ``name`` cannot send ``channel``, for a while (a fixed
        setting needs a restart; a provider's passing refusal heals by itself); the reason."""
        reason = str(exc) or type(exc).__name__
        key = (name, channel)
        with self._lock:
            known = self._unavailable.get(key)
            if known is None or time.monotonic() >= known[1]:
                self._unavailable[key] = (reason, time.monotonic() + RETRY_UNAVAILABLE)
        return reason

    def close(self) -> None:
        for adapter in [*self._by_name.values(), *self._overrides.values()]:
            adapter.close()
        self._by_name.clear()
