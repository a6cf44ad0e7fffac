"""Tracked links: a click is counted once per human follow, then 302 to the goal URL."""

from __future__ import annotations

from sqlalchemy import select

from campaigns.core.db import Database
from campaigns.core.models import Message
from campaigns.core.settings import Settings
from tests.support.http import client_for, sent_tokens

BROWSER = "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/126.0 Mobile Safari/537.36"
GOAL = "https://mezun.universite.example.edu.tr/kayit"


def clicks(db: Database) -> dict[int, tuple[int, bool]]:
    with db.session() as session:
        rows = session.execute(select(Message.id, Message.click_count, Message.clicked_at))
        return {r.id: (r.click_count, r.clicked_at is not None) for r in rows}


def test_a_click_is_recorded_and_redirected(db: Database, settings: Settings) -> None:
    tokens = sent_tokens(db, 2)
    first, second = tokens
    with client_for(settings) as client:
        for _ in range(2):
            response = client.get(f"/r/{tokens[first]}", headers={"User-Agent": BROWSER})
            assert response.status_code == 302
            assert response.headers["location"] == GOAL
            assert response.headers["cache-control"] == "no-store"
    assert clicks(db) == {first: (2, True), second: (0, False)}


def test_scanners_and_head_requests_are_redirected_but_not_counted(
    db: Database, settings: Settings
) -> None:
    tokens = sent_tokens(db, 1)
    [(message_id, token)] = tokens.items()
    with client_for(settings) as client:
        assert client.head(f"/r/{token}", headers={"User-Agent": BROWSER}).status_code == 302
        for agent in (
            "WhatsApp/2.23.20.0",
            "Mozilla/5.0 (compatible; Googlebot/2.1)",
            "facebookexternalhit/1.1",
            "",
        ):
            response = client.get(f"/r/{token}", headers={"User-Agent": agent})
            assert response.status_code == 302
    assert clicks(db) == {message_id: (0, False)}


def test_unknown_or_forged_tokens_get_a_friendly_page(db: Database, settings: Settings) -> None:
    tokens = sent_tokens(db, 1)
    [(message_id, token)] = tokens.items()
    forged = token[:-1] + ("A" if token[-1] != "A" else "B")
    with client_for(settings) as client:
        for bad in (forged, "kisa", "x" * 30, "<script>alert(1)</script>"):
            response = client.get(f"/r/{bad}", headers={"User-Agent": BROWSER})
            assert response.status_code == 404
            assert "text/html" in response.headers["content-type"]
            assert "Mezun Bilgi Sistemi" in response.text
            assert settings.alumni_system_url in response.text
            assert "Traceback" not in response.text
            assert "<script>" not in response.text
    assert clicks(db) == {message_id: (0, False)}


def test_messages_carry_the_tracked_link(db: Database, settings: Settings) -> None:
    from campaigns.tracking.links import message_link

    tokens = sent_tokens(db, 1)
    [(message_id, token)] = tokens.items()
    with db.session() as session:
        secret = session.scalar(select(Message.secret))
    link = message_link(settings, GOAL, message_id, secret)
    assert link == f"{settings.public_url}/r/{token}"
    assert len(token) <= 24
