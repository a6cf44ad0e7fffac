"""The alumni system's signed conversion webhook."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from campaigns.conversions.signing import REPLAY_WINDOW_SECONDS, sign
from campaigns.core.db import Database
from campaigns.core.models import Conversion, ConversionStage
from campaigns.core.settings import Settings
from tests.support import factories
from tests.support.http import client_for

SECRET = "mezun-sistemi-paylasilan-anahtar"


@pytest.fixture
def signed_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"conversion_secret": SECRET})


def post(client, body: object, *, secret: str = SECRET, at: float | None = None):  # type: ignore[no-untyped-def]
    raw = json.dumps(body).encode()
    timestamp = str(int(at if at is not None else time.time()))
    return client.post(
        "/conversions",
        content=raw,
        headers={
            "Content-Type": "application/json",
            "X-Campaigns-Timestamp": timestamp,
            "X-Campaigns-Signature": "sha256=" + sign(secret, timestamp, raw),
        },
    )


def stored(db: Database) -> dict[tuple[str, str], datetime]:
    with db.session() as session:
        return {
            (c.student_no, c.stage.value): c.occurred_at
            for c in session.scalars(select(Conversion))
        }


def test_single_and_batch_conversions_are_recorded_idempotently(
    db: Database, signed_settings: Settings
) -> None:
    with db.session() as session:
        session.add_all([factories.student(student_no=n) for n in ("801", "802")])
    with client_for(signed_settings) as client:
        one = post(client, {"student_no": "801", "registered_at": "2020-07-01T10:00:00+03:00"})
        assert one.status_code == 200, one.text
        assert one.json()["recorded"] == 1
        batch = {
            "conversions": [
                {"student_no": "801", "registered_at": "2020-06-30T09:00:00"},
                {"student_no": "802", "registered_at": "2020-07-02T12:00:00Z"},
                {
                    "student_no": "802",
                    "registered_at": "2020-07-05T12:00:00Z",
                    "stage": "form_submitted",
                },
                {"student_no": "999", "registered_at": "2020-07-02T12:00:00Z"},
            ]
        }
        response = post(client, batch)
        assert response.status_code == 200, response.text
        assert response.json() == {
            "recorded": 3,
            "earlier": 1,
            "unchanged": 0,
            "unmatched": 1,
            "unmatched_student_nos": ["999"],
        }
        again = post(client, batch)
        assert again.json()["unchanged"] == 4
    assert stored(db) == {
        ("801", "registered"): datetime(2020, 6, 30, 6, 0, tzinfo=UTC),
        ("802", "registered"): datetime(2020, 7, 2, 12, 0, tzinfo=UTC),
        ("802", "form_submitted"): datetime(2020, 7, 5, 12, 0, tzinfo=UTC),
        ("999", "registered"): datetime(2020, 7, 2, 12, 0, tzinfo=UTC),
    }


def test_forged_stale_and_unsigned_requests_change_nothing(
    db: Database, signed_settings: Settings
) -> None:
    body = {"student_no": "801", "registered_at": "2020-07-01T10:00:00Z"}
    with client_for(signed_settings) as client:
        assert post(client, body, secret="baska-anahtar").status_code == 403
        # Well outside the window: the header's whole seconds drop up to one second of a
        # future stamp, and the request itself takes time.
        outside = REPLAY_WINDOW_SECONDS + 10
        assert post(client, body, at=time.time() - outside).status_code == 403
        assert post(client, body, at=time.time() + outside).status_code == 403
        unsigned = client.post("/conversions", json=body)
        assert unsigned.status_code == 403
    assert stored(db) == {}


def test_bad_bodies_get_422_with_the_field(db: Database, signed_settings: Settings) -> None:
    with client_for(signed_settings) as client:
        for body, field in (
            ({"student_no": "", "registered_at": "2020-07-01T10:00:00Z"}, "student_no"),
            ({"student_no": "801", "registered_at": "dün"}, "registered_at"),
            ({"student_no": "801", "registered_at": "2020-07-01", "stage": "x"}, "stage"),
            ({"conversions": []}, "conversions"),
        ):
            response = post(client, body)
            assert response.status_code == 422, body
            locations = [".".join(map(str, e["loc"])) for e in response.json()["detail"]]
            assert any(field in loc for loc in locations), locations
    assert stored(db) == {}


def test_the_webhook_is_off_without_a_secret(db: Database, settings: Settings) -> None:
    with client_for(settings) as client:
        response = post(client, {"student_no": "801", "registered_at": "2020-07-01T10:00:00Z"})
    assert response.status_code == 404
    assert ConversionStage.REGISTERED.value == "registered"
