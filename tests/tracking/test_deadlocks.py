"""No deadlocks lose work: concurrent callbacks, and a worker racing its own callbacks.

Every statement that updates messages locks them in id order, and a transaction PostgreSQL
still picks as a deadlock victim runs again, in the app and in the worker alike.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing, contextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select, text

from campaigns.core.db import Database
from campaigns.core.models import DeliveryEvent, Message, MessageStatus, utcnow
from campaigns.core.settings import Settings
from campaigns.delivery.adapter_pool import AdapterPool
from campaigns.delivery.sending import WaveSender
from campaigns.http.app import create_app
from campaigns.planning.plan_wave import plan_wave
from campaigns.runtime import build_runtime
from channels.base import Channel
from simulator.core import SimulatorConfig, generate_signing_key, public_key_base64
from tests.support import factories
from tests.support.adapters import RecordingAdapter
from tests.support.http import client_for, requests_at_once, sendgrid_headers, sent_tokens
from tests.support.stage import Stage, twilio_sms_stage
from tests.support.workers import running_workers

KEY = generate_signing_key()
POSTS = 48


def _signed_post(events: list[dict[str, object]]) -> dict[str, object]:
    raw = json.dumps(events).encode()
    return {"content": raw, "headers": sendgrid_headers(KEY, raw)}


def test_concurrent_overlapping_event_posts_are_all_stored(
    pg_db: Database, pg_settings: Settings
) -> None:
    ids = list(sent_tokens(pg_db, 40, channels=["email"]))
    rng = random.Random(11)
    posts, distinct = [], set()
    kinds = ["processed", "delivered", "open", "click", "deferred", "bounce"]
    for post in range(POSTS):
        events = []
        for n, message_id in enumerate(rng.sample(ids, 30)):
            # A third of the events repeat one posted elsewhere (SendGrid retries a post).
            event_id = f"e{rng.randrange(200)}" if n % 3 == 0 else f"p{post}-{n}"
            distinct.add(event_id)
            events.append(
                {
                    "event": kinds[hash(event_id) % len(kinds)],
                    "timestamp": 1_700_000_000 + n,
                    "sg_event_id": event_id,
                    "message_id": str(message_id),
                    "email": f"ogrenci{message_id}@example.com",
                }
            )
        posts.append(_signed_post(events))
    app = create_app(pg_settings, {"SENDGRID_WEBHOOK_PUBLIC_KEY": public_key_base64(KEY)})

    responses = requests_at_once(app, [("POST", "/webhooks/sendgrid/events", p) for p in posts])
    assert [r.status_code for r in responses] == [200] * POSTS
    with pg_db.session() as session:
        stored = set(session.scalars(select(DeliveryEvent.dedupe_key)))
    assert stored == {f"sendgrid:event:{e}" for e in distinct}


PHONES = 600
REFUSED = 40  # numbers that replied STOP: the provider refuses them at once


def phone(i: int) -> str:
    # The simulator refuses numbers ending in 0000 (Twilio error 21610).
    return f"+90532{i:03d}0000" if i < REFUSED else f"+90533{1_000_000 + 7 * i:07d}"


@pytest.fixture
def stage(celery_settings: Settings) -> Iterator[Stage]:
    # Callbacks at once: they reach the app while the worker still records its batch.
    config = SimulatorConfig(callback_delay=0.0, callback_concurrency=64, seed=3)
    with twilio_sms_stage(celery_settings, config, concurrency=64) as staged:
        yield staged


def test_a_worker_and_its_callbacks_both_record_everything(
    pg_db: Database, stage: Stage, tmp_path: Path
) -> None:
    with pg_db.session() as session:
        session.add_all(
            [
                factories.student(phone=phone(i), personal_email=None, email=None)
                for i in range(PHONES)
            ]
        )
        factories.campaign(session, [{"channels": ["sms"]}])
    with (
        running_workers(stage.settings, stage.env, tmp_path),
        closing(build_runtime(stage.settings, env=stage.env)) as scheduler,
    ):
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            scheduler.tick()
            with pg_db.session() as session:
                recorded = session.scalar(
                    select(func.count()).where(
                        Message.status.not_in([MessageStatus.PENDING, MessageStatus.SENDING])
                    )
                )
            if recorded == PHONES:
                break
            time.sleep(0.5)
        else:
            pytest.fail(f"messages still open; see {tmp_path}/worker*.log")
        # The last callbacks are on their way to the app.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            ledger = httpx.get(f"{stage.simulator_url}/_simulator/ledger").json()
            with pg_db.session() as session:
                events = session.scalar(select(func.count()).select_from(DeliveryEvent))
            if events == ledger["callbacks_sent"] and events >= 2 * (PHONES - REFUSED):
                break
            time.sleep(0.5)

    assert ledger["callbacks_failed"] == 0  # no callback was answered with an error
    assert events == ledger["callbacks_sent"]
    with pg_db.session() as session:
        rows = session.execute(
            text(
                "SELECT status, error_code, provider_message_id IS NOT NULL AS has_id,"
                " segments IS NOT NULL AS has_segments, count(*) FROM messages"
                " GROUP BY 1, 2, 3, 4 ORDER BY 1, 2"
            )
        ).all()
    outcomes = {(r.status, r.error_code, r.has_id, r.has_segments): r.count for r in rows}
    # The provider refused these at once: failed, never left in "sending" or "unknown".
    assert outcomes.pop(("failed", "21610", False, False)) == REFUSED
    # Every accepted message kept its provider id and segments, whoever wrote first.
    assert all(has_id and has_segments for _, _, has_id, has_segments in outcomes)
    assert sum(outcomes.values()) == PHONES - REFUSED
    assert {status for status, *_ in outcomes} <= {"delivered", "failed"}


# --- a deadlock victim runs again: the cycle closed on purpose ------------------------------


def _wait_for_a_lock_waiter(db: Database) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with db.engine.connect() as probe:
            waiting = probe.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            )
        if waiting:
            return
        time.sleep(0.02)
    pytest.fail("nothing ever waited for the held lock")


@contextmanager
def _crossing(
    db: Database, hold: int, then: int
) -> Iterator[tuple[Callable[[], None], Callable[[], None]]]:
    """Another transaction locks message ``hold``. The function given closes a deadlock
    cycle once the code under test (holding ``then``) waits for ``hold``: the other
    transaction updates ``then`` too. PostgreSQL aborts the one that waited first: the code
    under test."""
    with db.engine.connect() as other:
        other.begin()

        def lock() -> None:
            other.execute(text("SELECT id FROM messages WHERE id = :id FOR UPDATE"), {"id": hold})

        def close_cycle() -> None:
            _wait_for_a_lock_waiter(db)
            other.execute(
                text("UPDATE messages SET attempts = attempts WHERE id = :id"), {"id": then}
            )
            other.commit()

        yield lock, close_cycle


def test_a_worker_picked_as_a_deadlock_victim_records_its_batch_again(
    pg_db: Database, pg_settings: Settings
) -> None:
    now = utcnow()
    with pg_db.session() as session:
        session.add_all([factories.student() for _ in range(2)])
        wave_id = factories.campaign(session, [{"channels": ["sms"]}], now=now).waves[0].id
    with pg_db.session() as session:
        plan_wave(session, wave_id, now=now)
        first, second = session.scalars(select(Message.id).order_by(Message.id))
    with _crossing(pg_db, hold=second, then=first) as (lock, close_cycle):
        held: list[bool] = []

        def answer(message: object) -> None:
            if not held:  # after the claim, before the results are recorded
                lock()
                held.append(True)

        adapter = RecordingAdapter(answer)
        sender = WaveSender(
            pg_db, pg_settings, AdapterPool(pg_settings, dict.fromkeys(Channel, adapter))
        )
        with ThreadPoolExecutor(1) as pool:
            future = pool.submit(sender.send_batch, wave_id)
            close_cycle()
            outcome = future.result(timeout=60)
    assert outcome.sent == 2
    with pg_db.session() as session:
        rows = session.execute(select(Message.status, Message.provider_message_id)).all()
    assert sorted((s.value, bool(p)) for s, p in rows) == [("sent", True)] * 2


def test_a_callback_batch_picked_as_a_deadlock_victim_is_stored(
    pg_db: Database, pg_settings: Settings
) -> None:
    first, second = sent_tokens(pg_db, 2, channels=["email"])
    post = _signed_post(
        [
            {
                "event": "delivered",
                "timestamp": 1_700_000_000,
                "sg_event_id": f"d{i}",
                "message_id": str(i),
                "email": f"ogrenci{i}@example.com",
            }
            for i in (first, second)
        ]
    )
    env = {"SENDGRID_WEBHOOK_PUBLIC_KEY": public_key_base64(KEY)}
    with _crossing(pg_db, hold=second, then=first) as (lock, close_cycle):
        lock()
        with client_for(pg_settings, env) as client, ThreadPoolExecutor(1) as pool:
            future = pool.submit(client.post, "/webhooks/sendgrid/events", **post)
            close_cycle()
            response = future.result(timeout=60)
    assert response.status_code == 200, response.text
    with pg_db.session() as session:
        assert set(session.scalars(select(Message.status))) == {MessageStatus.DELIVERED}
        assert session.scalar(select(func.count()).select_from(DeliveryEvent)) == 2
