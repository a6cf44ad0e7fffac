"""One bad request never fails the good ones that share its transaction (group commit).

The hot endpoints batch concurrent requests into one transaction. Malformed tokens, ids and
times are refused at the edge; whatever still fails inside a batch fails alone.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Sequence
from typing import Any

import pytest
from sqlalchemy import func, select

from campaigns.conversions.signing import sign
from campaigns.core.db import Database
from campaigns.core.models import Conversion, DeliveryEvent, Message
from campaigns.core.settings import Settings
from campaigns.http.app import create_app
from campaigns.http.batching import Batcher
from simulator.core import generate_signing_key, public_key_base64
from tests.support import factories
from tests.support.http import requests_at_once, sendgrid_headers, sent_tokens

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36"
SECRET = "mezun-sistemi-paylasilan-anahtar"
KEY = generate_signing_key()
POISONED_TOKENS = [
    "-" + "z" * 23 + "a" * 16,  # a BIGINT overflow, once let through to the database
    " -" + "z" * 22 + "a" * 16,
    "-" + "a" * 40,
    "-" + "a" * 24,
    "+" + "z" * 22,
    " 1abcdefghijklmnop",
    "1_2" + "a" * 16,
    "zzzzzzzzzzzzzz" + "A" * 16,
    "%00" + "a" * 16,
    "1 2" + "a" * 16,
    "١٢" + "a" * 16,
    "a" * 4000,
]


def test_a_failing_item_fails_alone() -> None:
    """The batcher's rule itself: a failed batch is retried item by item."""
    release = threading.Event()
    seen: list[list[int]] = []

    def work(items: Sequence[int]) -> list[int]:
        if items == [0]:
            release.wait(5)  # holds the first batch so the others gather behind it
        seen.append(list(items))
        if any(item % 10 == 7 for item in items):
            raise ValueError("poisoned")
        return [item * 2 for item in items]

    async def run() -> list[int | BaseException]:
        batcher: Batcher[int, int] = Batcher(work)
        first = asyncio.ensure_future(batcher.submit(0))
        await asyncio.sleep(0.05)
        rest = [asyncio.ensure_future(batcher.submit(i)) for i in range(1, 50)]
        await asyncio.sleep(0.05)
        release.set()
        results = await asyncio.gather(first, *rest, return_exceptions=True)
        await batcher.close()
        return results

    results = asyncio.run(run())
    assert any(len(batch) > 10 for batch in seen), "the requests were not batched"
    for item, result in enumerate(results):
        if item % 10 == 7:
            assert isinstance(result, ValueError)
        else:
            assert result == item * 2


def test_poisoned_tokens_do_not_fail_concurrent_clicks(
    pg_db: Database, pg_settings: Settings
) -> None:
    tokens = sent_tokens(pg_db, 200)
    agent = {"headers": {"User-Agent": BROWSER}}
    good = [("GET", f"/r/{token}", agent) for token in tokens.values()]
    bad = [("GET", f"/{kind}/{t}", agent) for t in POISONED_TOKENS for kind in ("r", "u")]
    responses = requests_at_once(create_app(pg_settings), good[:100] + bad + good[100:])
    answers = [r.status_code for r in responses]
    assert answers[:100] == [302] * 100
    assert answers[-100:] == [302] * 100
    assert answers[100:-100] == [404] * len(bad)
    with pg_db.session() as session:
        counted = session.scalar(select(func.count()).where(Message.click_count == 1))
    assert counted == 200


def _signed(body: object, *, timestamp: str | None = None) -> dict[str, Any]:
    raw = json.dumps(body).encode()
    stamp = timestamp if timestamp is not None else str(int(time.time()))
    return {
        "content": raw,
        "headers": {
            "Content-Type": "application/json",
            "X-Campaigns-Timestamp": stamp.encode("latin-1"),
            "X-Campaigns-Signature": "sha256=" + sign(SECRET, stamp, raw),
        },
    }


def test_poisoned_conversions_do_not_fail_concurrent_posts(
    pg_db: Database, pg_settings: Settings
) -> None:
    signed = pg_settings.model_copy(update={"conversion_secret": SECRET})
    numbers = [str(30_000_000 + i) for i in range(200)]
    with pg_db.session() as session:
        session.add_all([factories.student(student_no=n) for n in numbers])
    good = [
        (
            "POST",
            "/conversions",
            _signed({"student_no": n, "registered_at": "2020-07-01T10:00:00Z"}),
        )
        for n in numbers
    ]
    poisoned = [
        _signed({"student_no": "30000001\u0000", "registered_at": "2020-07-01T10:00:00Z"}),
        _signed({"student_no": "3000\u00002", "registered_at": "2020-07-01T10:00:00Z"}),
        _signed({"student_no": "30000003", "registered_at": "0001-01-01T00:00:00+14:00"}),
        _signed({"student_no": "30000004", "registered_at": "9999-12-31T23:59:59-14:00"}),
        _signed(
            {
                "conversions": [
                    {"student_no": "30000005", "registered_at": "2020-07-01T10:00:00Z"},
                    {"student_no": "30000006", "registered_at": "9999-12-31T23:59:59-14:00"},
                ]
            }
        ),
    ]
    bad_stamps = [
        _signed({"student_no": "30000007", "registered_at": "2020-07-01T10:00:00Z"}, timestamp=t)
        # Headers arrive as Latin-1: "¹²³" are digits to ``str.isdigit`` but not to ``int``.
        for t in ("\u00b9\u00b2\u00b3", "9" * 5000, "-1", " 1700000000", "1e9")
    ]
    requests = (
        good[:100] + [("POST", "/conversions", p) for p in poisoned + bad_stamps] + good[100:]
    )
    responses = requests_at_once(create_app(signed), requests)
    answers = [r.status_code for r in responses]
    assert answers[:100] == [200] * 100
    assert answers[-100:] == [200] * 100
    assert answers[100:105] == [422] * 5
    assert answers[105:110] == [403] * 5
    locations = [
        [".".join(map(str, e["loc"])) for e in r.json()["detail"]] for r in responses[100:105]
    ]
    assert locations[0] == [
        "body.ConversionIn.student_no",
        "body.ConversionBatch.conversions",
    ] or any("student_no" in loc for loc in locations[0])
    assert locations[2] == ["body.registered_at"]
    assert locations[4] == ["body.conversions.1.registered_at"]
    with pg_db.session() as session:
        stored = set(session.scalars(select(Conversion.student_no)))
        years = {c.year for c in session.scalars(select(Conversion.occurred_at))}
    assert stored == set(numbers)  # the batch of 30000005 was refused whole: a 422 is atomic
    assert years == {2020}


def test_sendgrid_events_with_nul_or_foreign_ids_are_stored_unmatched(
    pg_db: Database, pg_settings: Settings
) -> None:
    tokens = sent_tokens(pg_db, 1, channels=["email"])
    [message_id] = tokens
    events = [
        {
            "event": "delivered",
            "timestamp": 1_700_000_000,
            "sg_event_id": "ok-1",
            "message_id": str(message_id),
            "email": "a@example.com",
        },
        {
            "event": "delivered",
            "timestamp": 1_700_000_000,
            "sg_event_id": "nul\u0000",
            "message_id": str(message_id),
            "email": "a\u0000@example.com",
            "reason": "x\u0000y",
        },
        {
            "event": "bounce",
            "timestamp": 1_700_000_000,
            "sg_event_id": "big-1",
            "message_id": str(2**70),
            "email": "b@example.com",
        },
        {
            "event": "bounce",
            "timestamp": 1_700_000_000,
            "sg_event_id": "big-2",
            "message_id": 2**64,
            "email": "c@example.com",
        },
        {
            "event": "delivered",
            "timestamp": 1_700_000_000,
            "sg_event_id": "long",
            "sg_message_id": "x" * 5000,
            "status": "s" * 500,
            "message_id": "-5",
        },
    ]
    raw = json.dumps(events).encode()

    app = create_app(pg_settings, {"SENDGRID_WEBHOOK_PUBLIC_KEY": public_key_base64(KEY)})
    post = {"content": raw, "headers": sendgrid_headers(KEY, raw)}
    [response] = requests_at_once(app, [("POST", "/webhooks/sendgrid/events", post)])
    assert response.status_code == 200, response.text
    with pg_db.session() as session:
        rows = {e.dedupe_key: e.message_id for e in session.scalars(select(DeliveryEvent))}
    assert len(rows) == 5
    assert rows["sendgrid:event:ok-1"] == message_id
    assert rows["sendgrid:event:nul\ufffd"] == message_id
    assert rows["sendgrid:event:big-1"] is None
    assert rows["sendgrid:event:big-2"] is None


@pytest.mark.parametrize("id_", ["-1", "0", str(2**63), "١٢", " 5", "1e3"])
def test_twilio_callback_ids_outside_our_range_are_not_ours(id_: str) -> None:
    from channels.twilio_webhooks import parse_status_callback

    event = parse_status_callback({"MessageSid": "SM1", "MessageStatus": "sent"}, {"m": id_})
    assert event.message_id is None
