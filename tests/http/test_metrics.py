"""``/metrics`` counts messages by channel, provider and outcome, times provider calls,
and reads the queue, the scheduler's age and providers' shares from the database;
``/readyz`` says whether the service can send."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from campaigns.core.db import Database
from campaigns.core.models import utcnow
from campaigns.core.settings import Settings
from campaigns.http.app import create_app
from campaigns.planning.heartbeats import SCHEDULER, beat
from tests.support.waves import planned_wave, sent_wave


def value(text: str, name: str, **labels: str) -> float:
    """A sample's value in the exposition text (0 when absent)."""
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        match = re.match(r"^(\w+)(?:\{(.*)\})? (\S+)$", line)
        if match and match[1] == name:
            found = ",".join(sorted((match[2] or "").split(","))) if match[2] else ""
            if found == wanted:
                return float(match[3])
    return 0.0


def test_messages_providers_queue_and_shares_are_exposed(db: Database, settings: Settings) -> None:
    two = settings.model_copy(update={"sms_adapter": "netgsm:70,twilio-sms:30"})
    with TestClient(create_app(two)) as client:
        before = client.get("/metrics").text
        sent_wave(db, two, students=3)
        planned_wave(db, 2, term="2020-2021 Güz")  # two messages waiting
        after = client.get("/metrics")
    assert after.headers["content-type"].startswith("text/plain")
    labels = {"channel": "email", "provider": "recording", "outcome": "sent"}
    assert (
        value(after.text, "campaigns_messages_total", **labels)
        - value(before, "campaigns_messages_total", **labels)
        == 3
    )
    assert value(after.text, "campaigns_provider_request_seconds_count", provider="recording") >= 1
    assert value(after.text, "campaigns_queue_messages", channel="email", status="pending") == 2
    assert value(after.text, "campaigns_provider_share", channel="sms", provider="netgsm") == 70


def test_readiness_needs_a_ticking_scheduler(db: Database, settings: Settings) -> None:
    with TestClient(create_app(settings)) as client:
        not_yet = client.get("/readyz")
        assert not_yet.status_code == 503
        assert not_yet.json()["checks"]["zamanlayıcı / scheduler"] is False
        with db.session() as session:
            beat(session, SCHEDULER, utcnow())
        ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready"
