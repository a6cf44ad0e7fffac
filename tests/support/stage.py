"""The provider simulator as Twilio for SMS, with the app taking its callbacks: the stage of
the tests that run real workers against a provider that misbehaves."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from campaigns.core.settings import Settings
from campaigns.http.app import create_app
from simulator.core import SimulatorConfig
from simulator.server import BackgroundServer, free_port, simulator_in_background


@dataclass(frozen=True)
class Stage:
    settings: Settings
    env: dict[str, str]
    simulator_url: str


def twilio_env(simulator_url: str, config: SimulatorConfig, **extra: str) -> dict[str, str]:
    """The provider variables that point the Twilio adapters at the simulator."""
    return {
        "TWILIO_API_BASE_URL": simulator_url,
        "TWILIO_ACCOUNT_SID": config.twilio_account_sid,
        "TWILIO_AUTH_TOKEN": config.twilio_auth_token,
        "TWILIO_SMS_FROM": "+15005550006",
        **extra,
    }


@contextmanager
def twilio_sms_stage(
    settings: Settings, config: SimulatorConfig, *, concurrency: int, **updates: Any
) -> Iterator[Stage]:
    """``settings`` sending SMS through the simulator (``concurrency`` requests at a time),
    with ``updates``; the app, serving the callbacks, runs until the block ends."""
    app_port = free_port()
    with simulator_in_background(config) as simulator:
        env = twilio_env(simulator.url, config, TWILIO_CONCURRENCY=str(concurrency))
        staged = settings.model_copy(
            update={
                "public_url": f"http://127.0.0.1:{app_port}",
                "sms_adapter": "twilio-sms",
                "batch_size": 200,
                "send_parallelism": 2,
                **updates,
            }
        )
        with BackgroundServer(create_app(staged, env), app_port):
            yield Stage(staged, env, simulator.url)
