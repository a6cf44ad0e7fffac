"""The ``twilio-whatsapp`` adapter: WhatsApp through Twilio's Messages API.

Environment: ``TWILIO_ACCOUNT_SID``, ``TWILIO_AUTH_TOKEN`` and the other ``TWILIO_*`` knobs of
``channels.twilio_client.TwilioSettings``; ``TWILIO_WHATSAPP_FROM`` (required, the E.164
business number; the ``whatsapp:`` prefix is added here, on both ends); optionally
``TWILIO_WHATSAPP_RATE``.

WhatsApp lets a business start a conversation only with an approved template: a message with
a ``template`` is sent as ``ContentSid`` plus ``ContentVariables`` (a JSON string) and no body.
A plain body is delivered only inside the 24 hours after the student last wrote to us;
outside that window Twilio accepts it and later reports it failed with error 63016.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from typing import Any, Self

from channels.base import (
    CallbackUrls,
    Channel,
    OutboundMessage,
)
from channels.ratelimit import AsyncRateLimiter, async_limiter_from_env
from channels.twilio_client import (
    DEFAULT_MAX_RATE_WAIT,
    TwilioAdapter,
    TwilioSettings,
    e164,
    status_url_for,
)

PREFIX = "whatsapp:"


class TwilioWhatsAppSettings(TwilioSettings):
    """Also ``TWILIO_WHATSAPP_FROM``, the business number (E.164)."""

    whatsapp_from: str | None = None


class TwilioWhatsAppAdapter(TwilioAdapter):
    """Sends WhatsApp messages from one business number."""

    name = "twilio-whatsapp"
    channels = frozenset({Channel.WHATSAPP})
    requires_template = frozenset({Channel.WHATSAPP})

    def __init__(
        self,
        settings: TwilioSettings,
        *,
        status_url: Callable[[int], str],
        from_: str,
        limiter: AsyncRateLimiter | None = None,
        max_rate_wait: float = DEFAULT_MAX_RATE_WAIT,
    ) -> None:
        super().__init__(
            settings,
            status_url=status_url,
            limiter=limiter,
            max_rate_wait=max_rate_wait,
        )
        self.from_ = e164(from_, "TWILIO_WHATSAPP_FROM")

    @classmethod
    def from_env(
        cls, env: Mapping[str, str] | None = None, *, callbacks: CallbackUrls | None = None
    ) -> Self:
        env = os.environ if env is None else env
        settings = TwilioWhatsAppSettings.read(env)
        from_ = e164(settings.whatsapp_from or "", "TWILIO_WHATSAPP_FROM")
        return cls(
            settings,
            status_url=status_url_for(env, callbacks),
            from_=from_,
            limiter=async_limiter_from_env(
                env, "TWILIO_WHATSAPP_RATE", f"twilio:{settings.account_sid}:whatsapp:{from_}"
            ),
        )

    def _recipient(self, address: str) -> str:
        return PREFIX + address.removeprefix(PREFIX)

    def _arguments(self, message: OutboundMessage) -> Mapping[str, Any]:
        arguments: dict[str, Any] = {
            "to": PREFIX + message.to.removeprefix(PREFIX),
            "from_": PREFIX + self.from_,
            "status_callback": self.status_url(message.id),
        }
        if message.template is not None:
            arguments["content_sid"] = message.template.id
            arguments["content_variables"] = json.dumps(
                dict(message.template.variables), ensure_ascii=False
            )
        else:
            arguments["body"] = message.text
        return arguments
