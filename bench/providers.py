"""Throughput of the channel adapters against the provider simulator, and of webhook
ingestion, each next to the ceiling it is measured against, in the same run:

- SendGrid (1000-recipient requests), Netgsm (500-message jobs through its synchronous SDK)
  and Twilio SMS (one call per message, requests in flight concurrently) adapters →
  messages/s, against Celery's raw rate for a no-op task (one task per message, 2 worker
  processes) — what one task per message could reach;
- Twilio SMS when the simulator takes 50 ms per answer, inside a global rate limit;
- Twilio status callbacks and SendGrid event posts into the app (one uvicorn process,
  PostgreSQL) → requests/s and events/s, against a bare endpoint on the same server setup.

    .venv/bin/python -m bench.providers
"""

from __future__ import annotations

import argparse
import base64
import json
import multiprocessing
import secrets
import time
from collections.abc import Sequence
from urllib.parse import urlencode

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import text
from twilio.request_validator import RequestValidator

from bench.common import (
    REDIS_URL,
    free_port,
    fresh_redis,
    launched_wave,
    simulator_process,
    throwaway_database,
    uvicorn_process,
    verdict,
)
from bench.load import drive, http_request
from bench.pipeline import insert_students, measure_noop
from campaigns.core.db import Database
from campaigns.core.models import utcnow
from campaigns.core.rendering import Renderer, message_context
from campaigns.core.settings import PROJECT_ROOT, Settings
from campaigns.planning.plan_wave import plan_wave
from channels.base import Accepted, Channel, OutboundMessage
from channels.registry import load
from simulator.core import SimulatorConfig, generate_signing_key, public_key_base64

BATCH = 1000
AUTH_TOKEN = SimulatorConfig().twilio_auth_token


class _Student:
    student_no, first_name, last_name = "19100001", "Ayşegül", "Yıldırım"
    faculty, department, degree = "Mühendislik Fakültesi", "Bilgisayar Mühendisliği", "lisans"
    advisor_name, advisor_email = "Dr. Öğr. Üyesi Selin Akın", "selin.akin@example.edu.tr"
    graduation_term = "2019-2020 Bahar"


def rendered(channel: Channel, count: int) -> list[OutboundMessage]:
    """Realistic messages: the reminder template rendered for a Turkish student."""
    context = message_context(
        _Student(),
        campaign_name="2019-2020 Mühendislik mezunları",
        wave_name="hatirlatma",
        goal_url="https://mezun.universite.example.edu.tr/kayit",
        link="https://kampanya.universite.example.edu.tr/r/2n9c4Kq0vR8xZt1aB3",
        alumni_office_email="mezun@universite.example.edu.tr",
    )
    parts = Renderer(PROJECT_ROOT / "templates").render(
        "registration_reminder", channel, "tr", context
    )
    return [
        OutboundMessage(
            id=i,
            channel=channel,
            to=f"ogrenci{i}@example.com"
            if channel is Channel.EMAIL
            else f"+90532{1_000_000 + i:07d}",
            text=parts.text,
            subject=parts.subject,
            html=parts.html,
            headers={
                "List-Unsubscribe": f"<https://kampanya.example.edu.tr/u/{i}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            },
            tags={"campaign": "1", "wave": "hatirlatma"},
        )
        for i in range(1, count + 1)
    ]


def adapter_rate(
    adapter: str, env: dict[str, str], messages: Sequence[OutboundMessage], processes: int = 2
) -> float:
    """Messages/s of an adapter sending ``messages`` from ``processes`` processes at once (a
    2-process worker, like the no-op ceiling's), one batch per ``send`` call."""
    context = multiprocessing.get_context("spawn")
    with context.Pool(processes) as pool:
        pool.starmap(_send_share, [(adapter, env, messages[:BATCH])] * processes)  # warm-up
        shares = [messages[i::processes] for i in range(processes)]
        start = time.perf_counter()
        accepted = sum(pool.starmap(_send_share, [(adapter, env, s) for s in shares]))
        elapsed = time.perf_counter() - start
    assert accepted == len(messages), f"only {accepted} of {len(messages)} accepted"
    return len(messages) / elapsed


def _send_share(adapter: str, env: dict[str, str], messages: Sequence[OutboundMessage]) -> int:
    sender = load(adapter).from_env(env)
    accepted = 0
    for offset in range(0, len(messages), BATCH):
        results = sender.send(messages[offset : offset + BATCH])
        accepted += sum(1 for r in results if isinstance(r, Accepted))
    sender.close()
    return accepted


def provider_env(url: str, **extra: str) -> dict[str, str]:
    config = SimulatorConfig()
    return {
        "TWILIO_API_BASE_URL": url,
        "TWILIO_ACCOUNT_SID": config.twilio_account_sid,
        "TWILIO_AUTH_TOKEN": config.twilio_auth_token,
        "TWILIO_SMS_FROM": "+15005550006",
        "CAMPAIGNS_PUBLIC_URL": "https://kampanya.example.edu.tr",
        "SENDGRID_API_HOST": url,
        "SENDGRID_API_KEY": config.sendgrid_api_key,
        "NETGSM_USERNAME": config.netgsm_username,
        "NETGSM_PASSWORD": config.netgsm_password,
        "NETGSM_MSGHEADER": config.netgsm_msgheader,
        "NETGSM_API_URL": url,
        **extra,
    }


def sent_messages(db: Database, count: int) -> list[tuple[int, str]]:
    """``count`` messages planned and marked sent (message id, address)."""
    insert_students(db, count, "webhooks")
    now = utcnow()
    wave_id = launched_wave(db, "webhooks", "sms", now=now)
    with db.session() as session:
        plan_wave(session, wave_id, now=now)
    with db.engine.begin() as connection:
        connection.execute(
            text(
                "UPDATE messages SET status = 'sent', sent_at = now(), provider = 'twilio-sms',"
                " provider_message_id = 'SM' || id WHERE wave_id = :wave"
            ),
            {"wave": wave_id},
        )
        rows = connection.execute(
            text("SELECT id, address FROM messages WHERE wave_id = :wave ORDER BY id"),
            {"wave": wave_id},
        ).all()
    return [(row.id, row.address) for row in rows]


def twilio_callbacks(base: str, messages: Sequence[tuple[int, str]]) -> list[bytes]:
    validator = RequestValidator(AUTH_TOKEN)
    requests = []
    for message_id, address in messages:
        path = f"/webhooks/twilio/status?m={message_id}"
        params = {
            "MessageSid": f"SM{message_id}",
            "SmsSid": f"SM{message_id}",
            "MessageStatus": "delivered",
            "SmsStatus": "delivered",
            "To": address,
            "From": "+15005550006",
            "AccountSid": "AC" + "0" * 32,
            "ApiVersion": "2010-04-01",
        }
        signature = validator.compute_signature(base + path, params)
        requests.append(
            http_request(
                "POST",
                path,
                {
                    "Content-Type": "application/x-www-form-urlencoded",
                    "X-Twilio-Signature": signature,
                },
                urlencode(params).encode(),
            )
        )
    return requests


def sendgrid_posts(
    key: ec.EllipticCurvePrivateKey, messages: Sequence[tuple[int, str]], per_post: int
) -> list[bytes]:
    requests = []
    now = int(time.time())
    for offset in range(0, len(messages), per_post):
        events = [
            {
                "email": f"ogrenci{message_id}@example.com",
                "timestamp": now,
                "event": "delivered",
                "sg_event_id": secrets.token_urlsafe(16),
                "sg_message_id": f"X{message_id}.filter",
                "message_id": str(message_id),
                "response": "250 OK",
            }
            for message_id, _ in messages[offset : offset + per_post]
        ]
        body = json.dumps(events).encode() + b"\r\n"
        timestamp = str(now)
        signature = base64.b64encode(key.sign(timestamp.encode() + body, ec.ECDSA(hashes.SHA256())))
        requests.append(
            http_request(
                "POST",
                "/webhooks/sendgrid/events",
                {
                    "Content-Type": "application/json",
                    "X-Twilio-Email-Event-Webhook-Signature": signature.decode(),
                    "X-Twilio-Email-Event-Webhook-Timestamp": timestamp,
                },
                body,
            )
        )
    return requests


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", choices=("adapters", "webhooks"), help="run one part")
    only = parser.parse_args().only
    figures: dict[str, float] = {}
    with throwaway_database() as db:
        settings = Settings(
            database_url=db.url,
            broker_url=REDIS_URL,
            queue=f"bench-{secrets.token_hex(3)}",
            _env_file=None,
        )
        figures["noop"] = measure_noop(settings)
        fresh_redis()

        if only != "webhooks":
            adapter_figures(figures)
        if only != "adapters":
            webhook_figures(db, figures)
    report(figures, only)


def adapter_figures(figures: dict[str, float]) -> None:
    emails, texts = rendered(Channel.EMAIL, 20 * BATCH), rendered(Channel.SMS, 6 * BATCH)
    with simulator_process("--no-callbacks") as url:
        env = provider_env(url, TWILIO_CONCURRENCY="64")
        figures["sendgrid"] = adapter_rate("sendgrid", env, emails)
        figures["netgsm"] = adapter_rate("netgsm", env, texts)
        figures["twilio"] = adapter_rate("twilio-sms", env, texts)
    with simulator_process("--no-callbacks", "--latency", "0.05") as url:
        env = provider_env(
            url,
            TWILIO_CONCURRENCY="64",
            TWILIO_SMS_RATE="3000/s",  # every request takes a token; not the bottleneck
            CAMPAIGNS_REDIS_URL=REDIS_URL,
        )
        figures["twilio_50ms"] = adapter_rate("twilio-sms", env, texts)


def webhook_figures(db: Database, figures: dict[str, float]) -> None:
    messages = sent_messages(db, 40_000)
    key = generate_signing_key()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    app_env = {
        "CAMPAIGNS_DATABASE_URL": db.url,
        "CAMPAIGNS_PUBLIC_URL": base,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "SENDGRID_WEBHOOK_PUBLIC_KEY": public_key_base64(key),
    }
    callbacks = twilio_callbacks(base, messages[:20_000])
    posts = sendgrid_posts(key, messages[20_000:], per_post=500)
    bare_before = bare_rates(callbacks)
    with uvicorn_process("campaigns.http.app:create_app", app_env, factory=True, port=port):
        result = drive(port, callbacks, connections=64, seconds=60, repeat=False)
        assert result.statuses == {204: len(callbacks)}, result.statuses
        figures["callbacks"] = result.rate
        result = drive(port, posts, connections=4, seconds=60, repeat=False)
        assert set(result.statuses) == {200}, result.statuses
        figures["events"] = result.rate * 500
    bare_after = bare_rates(callbacks)
    # The higher of two measurements, before and after: background database work after
    # the webhook runs must not flatter the ratio.
    figures["bare"] = max(bare_before[0], bare_after[0])
    figures["bare_asgi"] = max(bare_before[1], bare_after[1])


def bare_rates(requests: Sequence[bytes]) -> tuple[float, float]:
    """Requests/s of do-nothing endpoints given the same requests: FastAPI, raw ASGI."""
    with uvicorn_process("bench.hello:fastapi") as hello:
        fastapi = drive(hello, requests[:2000], connections=64, seconds=5).rate
    with uvicorn_process("bench.hello:asgi") as hello:
        asgi = drive(hello, requests[:2000], connections=64, seconds=5).rate
    return fastapi, asgi


def report(figures: dict[str, float], only: str | None) -> None:
    noop = figures["noop"]
    print(f"Celery no-op ceiling (2 processes, one task per message): {noop:,.0f} tasks/s")
    if only != "webhooks":
        sendgrid, twilio, slow = figures["sendgrid"], figures["twilio"], figures["twilio_50ms"]
        print(
            f"SendGrid adapter, 1000-recipient requests: {sendgrid:,.0f} msg/s "
            f"= {sendgrid / noop:.1f}x no-op (target ≥ 20x) {verdict(sendgrid >= 20 * noop)}"
        )
        netgsm = figures["netgsm"]
        print(
            f"Netgsm adapter, 500-message jobs: {netgsm:,.0f} msg/s "
            f"= {netgsm / noop:.1f}x no-op (target ≥ 20x) {verdict(netgsm >= 20 * noop)}"
        )
        print(
            f"Twilio SMS adapter, instant simulator: {twilio:,.0f} msg/s "
            f"= {twilio / noop:.1f}x no-op (target ≥ 3x) {verdict(twilio >= 3 * noop)}"
        )
        print(
            f"Twilio SMS adapter, 50 ms simulator, through the 3000/s global limiter: "
            f"{slow:,.0f} msg/s (target ≥ 1,000) {verdict(slow >= 1000)}"
        )
    if only != "adapters":
        bare, raw = figures["bare"], figures["bare_asgi"]
        callbacks, events = figures["callbacks"], figures["events"]
        print(
            f"bare endpoint, same server setup (FastAPI on uvicorn): {bare:,.0f} req/s; "
            f"raw ASGI on uvicorn: {raw:,.0f} req/s"
        )
        print(
            f"Twilio status callbacks (signed, stored, applied): {callbacks:,.0f} req/s "
            f"= {callbacks / bare:.0%} of the bare endpoint ({callbacks / raw:.0%} of raw "
            f"ASGI) (target ≥ 30%) {verdict(callbacks >= 0.3 * bare)}"
        )
        print(
            f"SendGrid events (signed posts of 500): {events:,.0f} events/s "
            f"(target ≥ 5,000) {verdict(events >= 5000)}"
        )


if __name__ == "__main__":
    main()
