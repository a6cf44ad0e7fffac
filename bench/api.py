"""Requests/s of the two public endpoints the alumni system and students hit hardest — the
tracked-link redirect ``/r/<token>`` and the signed conversion webhook — on one uvicorn
process with PostgreSQL, next to bare "hello" endpoints measured in the same run.

    .venv/bin/python -m bench.api
"""

from __future__ import annotations

import json
import time

from sqlalchemy import text

from bench.common import free_port, throwaway_database, uvicorn_process, verdict
from bench.load import drive, http_request
from bench.providers import bare_rates, sent_messages
from campaigns.conversions.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from campaigns.tracking.links import message_token

SECRET = "bench-conversion-secret"
BROWSER = "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/126.0 Mobile Safari/537.36"


def main() -> None:
    with throwaway_database() as db:
        messages = sent_messages(db, 40_000)
        with db.engine.connect() as connection:
            secrets = {
                row.id: row.secret
                for row in connection.execute(text("SELECT id, secret FROM messages"))
            }
            numbers = [
                row.student_no
                for row in connection.execute(text("SELECT student_no FROM students"))
            ]
        clicks = [
            http_request("GET", f"/r/{message_token(i, secrets[i])}", {"User-Agent": BROWSER})
            for i, _ in messages
        ]
        timestamp = str(int(time.time()))
        conversions = []
        for number in numbers:
            body = json.dumps({"student_no": number, "registered_at": "2026-06-01T10:00:00Z"})
            raw = body.encode()
            conversions.append(
                http_request(
                    "POST",
                    "/conversions",
                    {
                        "Content-Type": "application/json",
                        TIMESTAMP_HEADER: timestamp,
                        SIGNATURE_HEADER: sign(SECRET, timestamp, raw),
                    },
                    raw,
                )
            )
        port = free_port()
        env = {
            "CAMPAIGNS_DATABASE_URL": db.url,
            "CAMPAIGNS_PUBLIC_URL": f"http://127.0.0.1:{port}",
            "CAMPAIGNS_CONVERSION_SECRET": SECRET,
        }
        bare_before = bare_rates(clicks)
        with uvicorn_process("campaigns.http.app:create_app", env, factory=True, port=port):
            redirect = drive(port, clicks, connections=64, seconds=10)
            assert set(redirect.statuses) == {302}, redirect.statuses
            webhook = drive(port, conversions, connections=64, seconds=10, repeat=False)
            assert set(webhook.statuses) == {200}, webhook.statuses
        bare_after = bare_rates(clicks)
        with db.engine.connect() as connection:
            clicked = connection.execute(text("SELECT sum(click_count) FROM messages")).scalar()
            registered = connection.execute(text("SELECT count(*) FROM conversions")).scalar()
    assert clicked == redirect.requests, (clicked, redirect.requests)
    assert registered == webhook.requests, (registered, webhook.requests)

    bare = max(bare_before[0], bare_after[0])
    raw = max(bare_before[1], bare_after[1])
    print(f"bare hello: FastAPI on uvicorn {bare:,.0f} req/s; raw ASGI on uvicorn {raw:,.0f} req/s")
    for name, rate in (
        ("tracked-link redirect (click counted)", redirect.rate),
        ("conversion webhook (signed, stored, attributed)", webhook.rate),
    ):
        print(
            f"{name}: {rate:,.0f} req/s = {rate / bare:.0%} of the FastAPI hello "
            f"({rate / raw:.0%} of raw ASGI) (target ≥ 50%) {verdict(rate >= 0.5 * bare)}"
        )


if __name__ == "__main__":
    main()
