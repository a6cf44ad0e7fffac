"""The ``twilio-sms`` adapter: SMS through Twilio's Messages API.

Environment: ``TWILIO_ACCOUNT_SID``, ``TWILIO_AUTH_TOKEN`` and the other ``TWILIO_*`` knobs of
``channels.twilio_client.TwilioSettings``; exactly one of ``TWILIO_SMS_FROM`` (a number or an
alphanumeric sender ID) and ``TWILIO_MESSAGING_SERVICE_SID``; optionally ``TWILIO_SMS_RATE``
(``"1/s"``, shared by every worker through Redis when ``CAMPAIGNS_REDIS_URL`` is set).
Status callbacks go to ``<public URL>/webhooks/twilio/status?m=<message id>``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any, Self

from channels.base import (
    CallbackUrls,
    Channel,
    ConfigurationError,
    OutboundMessage,
)
from channels.ratelimit import AsyncRateLimiter, async_limiter_from_env
from channels.twilio_client import (
    DEFAULT_MAX_RATE_WAIT,
    TwilioAdapter,
    TwilioSettings,
    status_url_for,
)


class TwilioSmsSettings(TwilioSettings):
    """Also ``TWILIO_SMS_FROM`` (a number or an alphanumeric sender ID) or
    ``TWILIO_MESSAGING_SERVICE_SID``, exactly one of them."""

    sms_from: str | None = None
    messaging_service_sid: str | None = None


class TwilioSmsAdapter(TwilioAdapter):
    """Sends SMS from one sender (a number, an alphanumeric ID or a Messaging Service)."""

    name = "twilio-sms"
    channels = frozenset({Channel.SMS})

    def __init__(
        self,
        settings: TwilioSettings,
        *,
        status_url: Callable[[int], str],
        from_: str | None = None,
        messaging_service_sid: str | None = None,
        limiter: AsyncRateLimiter | None = None,
        max_rate_wait: float = DEFAULT_MAX_RATE_WAIT,
    ) -> None:
        if (from_ is None) == (messaging_service_sid is None):
            raise ConfigurationError(
                "set exactly one of TWILIO_SMS_FROM and TWILIO_MESSAGING_SERVICE_SID"
            )
        super().__init__(
            settings,
            status_url=status_url,
            limiter=limiter,
            max_rate_wait=max_rate_wait,
        )
        self.from_ = from_
        self.messaging_service_sid = messaging_service_sid

    @classmethod
    def from_env(
        cls, env: Mapping[str, str] | None = None, *, callbacks: CallbackUrls | None = None
    ) -> Self:
        env = os.environ if env is None else env
        settings = TwilioSmsSettings.read(env)
        from_, service = settings.sms_from, settings.messaging_service_sid
        sender = from_ or service or ""
        return cls(
            settings,
            status_url=status_url_for(env, callbacks),
            from_=from_,
            messaging_service_sid=service,
            limiter=async_limiter_from_env(
                env, "TWILIO_SMS_RATE", f"twilio:{settings.account_sid}:sms:{sender}"
            ),
        )

    def _arguments(self, message: OutboundMessage) -> Mapping[str, Any]:
        arguments: dict[str, Any] = {
            "to": message.to,
            "body": message.text,
            "status_callback": self.status_url(message.id),
        }
        if self.messaging_service_sid is not None:
            arguments["messaging_service_sid"] = self.messaging_service_sid
        else:
            arguments["from_"] = self.from_
        return arguments
