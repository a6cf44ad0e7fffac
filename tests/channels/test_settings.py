"""Adapter settings: one pydantic-settings model per adapter, problems named by variable."""

from __future__ import annotations

import pytest

from channels.base import ConfigurationError
from channels.sendgrid import SendGridSettings
from channels.smtp import SmtpSettings
from channels.twilio_client import TwilioSettings

SECRET = "SG.cok-gizli-anahtar"


def problem(settings: type[TwilioSettings | SendGridSettings | SmtpSettings], **env: str) -> str:
    with pytest.raises(ConfigurationError) as caught:
        settings.read(env)
    return str(caught.value)


def test_every_problem_is_named_by_its_variable_at_once() -> None:
    said = problem(TwilioSettings, TWILIO_TIMEOUT="soon", TWILIO_CONCURRENCY="2.5")
    for variable in (
        "TWILIO_ACCOUNT_SID",
        "TWILIO_AUTH_TOKEN",
        "TWILIO_TIMEOUT",
        "TWILIO_CONCURRENCY",
    ):
        assert variable in said
    assert "'soon'" in said


def test_secrets_are_never_repeated_and_blank_means_unset() -> None:
    said = problem(SendGridSettings, SENDGRID_API_KEY=SECRET, SENDGRID_API_HOST="ftp://x")
    assert "SENDGRID_API_HOST" in said
    assert SECRET not in said
    assert problem(SmtpSettings, CAMPAIGNS_SMTP_URL="   ") == "CAMPAIGNS_SMTP_URL is not set"


def test_values_are_read_under_the_adapters_prefix_with_defaults() -> None:
    read = SendGridSettings.read(
        {"SENDGRID_API_KEY": SECRET, "SENDGRID_API_HOST": "https://api.eu.sendgrid.com/"}
    )
    assert (read.api_host, read.timeout) == ("https://api.eu.sendgrid.com", 30.0)
    assert read.api_key.get_secret_value() == SECRET
    assert SECRET not in repr(read)
    assert (
        SmtpSettings.read({"CAMPAIGNS_SMTP_URL": "smtp://relay", "SMTP_TIMEOUT": "x"}).timeout > 0
    )
