"""The ``outbox`` adapter: every message becomes a file (``.eml`` for email, JSON otherwise).

For development and demos. Files are written atomically, so a message's file either exists
whole or not at all, which lets ``reconcile`` tell for certain whether a message went out.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Self

from channels.base import (
    Accepted,
    CallbackUrls,
    Capability,
    Channel,
    ChannelAdapter,
    ConfigurationError,
    InFlight,
    OutboundMessage,
    SendResult,
)
from channels.gsm import sms_info
from channels.mime import Sender, build_email


class OutboxAdapter(ChannelAdapter):
    """Writes messages into ``<outbox>/<channel>/<message id>.(eml|json)``."""

    name = "outbox"
    channels = frozenset(Channel)
    max_batch = 500
    delivers = False
    capabilities = frozenset({Capability.RECONCILE})
    variables = frozenset(
        {"CAMPAIGNS_OUTBOX_DIR", "CAMPAIGNS_EMAIL_FROM", "CAMPAIGNS_EMAIL_REPLY_TO"}
    )

    def __init__(self, directory: Path, sender: Sender) -> None:
        self.directory = directory
        self.sender = sender
        for channel in Channel:
            (directory / channel.value).mkdir(parents=True, exist_ok=True)

    @classmethod
    def from_env(
        cls, env: Mapping[str, str] | None = None, *, callbacks: CallbackUrls | None = None
    ) -> Self:
        env = os.environ if env is None else env
        directory = Path(env.get("CAMPAIGNS_OUTBOX_DIR", "outbox"))
        try:
            return cls(directory, Sender.from_env(env))
        except OSError as exc:
            raise ConfigurationError(f"cannot use outbox directory {directory}: {exc}") from exc

    def path_for(self, channel: Channel, message_id: int) -> Path:
        suffix = "eml" if channel is Channel.EMAIL else "json"
        return self.directory / channel.value / f"{message_id}.{suffix}"

    def deliver(self, chunk: Sequence[OutboundMessage]) -> list[SendResult]:
        results: list[SendResult] = []
        for message in chunk:
            segments = None
            if message.channel is Channel.EMAIL:
                data = bytes(build_email(message, self.sender))
            else:
                info = sms_info(message.text)
                segments = info.segments
                data = json.dumps(
                    {
                        "id": message.id,
                        "channel": message.channel.value,
                        "to": message.to,
                        "body": message.text,
                        "encoding": info.encoding,
                        "characters": info.characters,
                        "segments": info.segments,
                        "template": None
                        if message.template is None
                        else {"id": message.template.id, "variables": message.template.variables},
                        "tags": dict(message.tags),
                    },
                    ensure_ascii=False,
                    indent=2,
                ).encode()
            self._write_atomically(self.path_for(message.channel, message.id), data)
            results.append(Accepted(message.id, f"outbox-{message.id}", segments=segments))
        return results

    def reconcile(self, messages: Sequence[InFlight]) -> dict[int, str | None]:
        found: dict[int, str | None] = {}
        for message in messages:
            exists = self.path_for(message.channel, message.message_id).exists()
            found[message.message_id] = f"outbox-{message.message_id}" if exists else None
        return found

    @staticmethod
    def _write_atomically(path: Path, data: bytes) -> None:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
