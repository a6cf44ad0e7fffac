"""``campaigns providers``: shares shown, pinned with a reason, unpinned."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from campaigns.cli import app
from campaigns.core.settings import Settings, get_settings

runner = CliRunner()


def test_show_pin_unpin(cli_env: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAMPAIGNS_SMS_ADAPTER", "netgsm:70,twilio-sms:30")
    get_settings.cache_clear()
    shown = runner.invoke(app, ["providers", "show"])
    assert shown.exit_code == 0, shown.output
    assert "netgsm" in shown.output
    assert "70" in shown.output

    refused = runner.invoke(
        app, ["providers", "pin", "sms", "--share", "netgsm=abc", "--reason", "x"]
    )
    assert refused.exit_code != 0
    assert "SAĞLAYICI=PAY" in refused.output
    pinned = runner.invoke(
        app,
        [
            "providers",
            "pin",
            "sms",
            "--share",
            "netgsm=0",
            "--share",
            "twilio-sms=100",
            "--reason",
            "bakım",
        ],
    )
    assert pinned.exit_code == 0, pinned.output
    after = "".join(runner.invoke(app, ["providers", "show"]).output.split())
    assert "bakım" in after
    assert "evet/yes" in after
    assert runner.invoke(app, ["providers", "unpin", "sms"]).exit_code == 0
    unpinned = "".join(runner.invoke(app, ["providers", "show"]).output.split())
    assert "sabitlemekaldırıldı/unpinned" in unpinned
