"""The stage the demo (and the benchmarks) play on: the provider simulator and our HTTP app,
each on a loopback port of its own, wired to each other like production.

Adapters send through the real Netgsm, Twilio and SendGrid SDKs to the simulator; the
simulator calls our webhooks back, signed (Netgsm's statuses and replies are polled);
student links and the alumni system's conversion webhook reach the same app.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from decimal import Decimal

from campaigns.core.settings import Settings
from campaigns.http.app import create_app
from simulator.core import SimulatorConfig
from simulator.server import BackgroundServer, free_port, simulator_in_background


@dataclass(frozen=True)
class Stage:
    settings: Settings
    env: dict[str, str]
    simulator_url: str
    app_url: str


DEMO_FROM = "Mezunlar Ofisi (deneme / demo) <mezun-demo@universite.example.edu.tr>"


def provider_env(config: SimulatorConfig, simulator_url: str) -> dict[str, str]:
    """Provider settings pointing the real adapters at the simulator."""
    return {
        "TWILIO_API_BASE_URL": simulator_url,
        "TWILIO_ACCOUNT_SID": config.twilio_account_sid,
        "TWILIO_AUTH_TOKEN": config.twilio_auth_token,
        "TWILIO_SMS_FROM": "+15005550006",
        "TWILIO_WHATSAPP_FROM": "+15005550007",
        "SENDGRID_API_HOST": simulator_url,
        "SENDGRID_API_KEY": config.sendgrid_api_key,
        "SENDGRID_WEBHOOK_PUBLIC_KEY": config.sendgrid_public_key,
        "NETGSM_USERNAME": config.netgsm_username,
        "NETGSM_PASSWORD": config.netgsm_password,
        "NETGSM_MSGHEADER": config.netgsm_msgheader,
        "NETGSM_API_URL": simulator_url,
        # The stand-in answers as often as the demo's quick ticks ask.
        "NETGSM_REPORT_QUERIES_PER_MINUTE": str(config.netgsm_report_queries_per_minute),
        "CAMPAIGNS_EMAIL_FROM": DEMO_FROM,
    }


@contextmanager
def provider_stage(
    settings: Settings, config: SimulatorConfig | None = None, *, access_log: bool = False
) -> Iterator[Stage]:
    """Start the simulator and the app (with uvicorn's access log when ``access_log``, as
    ``campaigns serve`` runs it); ``settings`` gets the real adapters, the app's public URL
    and a conversion secret."""
    config = config or SimulatorConfig(callback_delay=0.02, netgsm_report_queries_per_minute=600)
    app_port = free_port()
    app_url = f"http://127.0.0.1:{app_port}"
    config.sendgrid_event_url = f"{app_url}/webhooks/sendgrid/events"
    with ExitStack() as stack:
        simulator = stack.enter_context(simulator_in_background(config))
        env = provider_env(config, simulator.url)
        staged = settings.model_copy(
            update={
                "public_url": app_url,
                "email_adapter": "sendgrid",
                "sms_adapter": "netgsm",
                "whatsapp_adapter": "twilio-whatsapp",
                "conversion_secret": settings.conversion_secret or secrets.token_hex(16),
                "sms_price_per_segment": settings.sms_price_per_segment or Decimal("0.04"),
                "whatsapp_price_per_message": settings.whatsapp_price_per_message
                or Decimal("0.01"),
                "email_price_per_message": settings.email_price_per_message or Decimal("0.001"),
            }
        )
        app = create_app(staged, env)
        stack.enter_context(BackgroundServer(app, app_port, access_log=access_log))
        yield Stage(staged, env, simulator.url, app_url)
