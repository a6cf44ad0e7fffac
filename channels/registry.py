"""Find channel adapters by name: built-in aliases and the ``campaigns.channels`` entry points.

A university can ship its own adapter (say, a local SMS gateway) as a separate package that
declares an entry point in that group; ``module:Class`` paths work too.
"""

from __future__ import annotations

import difflib
import importlib
import logging
from importlib.metadata import entry_points

from channels.base import ChannelAdapter, ConfigurationError
from channels.webhooks import WebhookReceiver

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "campaigns.channels"

BUILTIN: dict[str, str] = {
    "null": "channels.null:NullAdapter",
    "outbox": "channels.outbox:OutboxAdapter",
}


class UnknownAdapterError(ConfigurationError):
    """No adapter has that name."""


def available() -> dict[str, str]:
    """Every known adapter name and the ``module:Class`` it loads."""
    found = dict(BUILTIN)
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        found.setdefault(ep.name, ep.value)
    return found


def load(name: str) -> type[ChannelAdapter]:
    """The adapter class for a name or a ``module:Class`` path."""
    known = available()
    target = known.get(name)
    if target is None:
        if ":" not in name:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise UnknownAdapterError(
                f"unknown channel adapter {name!r}{hint} (known: {', '.join(sorted(known))})"
            )
        target = name
    module_name, _, attr = target.partition(":")
    try:
        cls = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise UnknownAdapterError(f"cannot load channel adapter {target!r}: {exc}") from exc
    if not (isinstance(cls, type) and issubclass(cls, ChannelAdapter)):
        raise UnknownAdapterError(f"{target!r} is not a ChannelAdapter")
    return cls


def receivers() -> dict[str, type[WebhookReceiver]]:
    """Every webhook receiver of every known adapter, by the path it is mounted at; an
    adapter that cannot be loaded brings none (choosing it reports why)."""
    found: dict[str, type[WebhookReceiver]] = {}
    for name in sorted(available()):
        try:
            adapter = load(name)
        except UnknownAdapterError:
            log.warning("channel adapter %r cannot be loaded: its webhooks are not mounted", name)
            continue
        for receiver in adapter.receivers:
            found.setdefault(receiver.path, receiver)
    return found
