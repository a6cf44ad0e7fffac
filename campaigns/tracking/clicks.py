"""Tracked links: ``/r/<token>`` records that a student followed their message's link.

Only the first time and a count are kept (no IP address, no user agent). Link scanners
that fetch URLs on their own (mail security gateways, chat link previews) are not counted.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, case, select, text, update
from sqlalchemy.orm import Session

from campaigns.core.models import Campaign, Message, Wave
from campaigns.tracking.links import parse_token, secret_matches

SCANNER_AGENTS = (
    "bot",
    "crawler",
    "spider",
    "preview",
    "scanner",
    "facebookexternalhit",
    "whatsapp",
    "telegram",
    "skypeuripreview",
    "slack",
    "discord",
    "linkedin",
    "safelinks",
    "proofpoint",
    "mimecast",
    "barracuda",
    "googleimageproxy",
    "outlook",
    "microsoft office",
    "curl/",
    "wget/",
    "python-requests",
    "go-http-client",
)


def is_scanner(user_agent: str | None) -> bool:
    """Whether a request comes from software that follows links by itself."""
    if not user_agent:
        return True
    agent = user_agent.lower()
    return any(marker in agent for marker in SCANNER_AGENTS)


@dataclass(frozen=True, slots=True)
class Click:
    token: str
    counted: bool


def follow(session: Session, clicks: Sequence[Click], now: datetime) -> list[str | None]:
    """The goal URL of each click's message (None for a token that is not genuine); the
    counted clicks of genuine tokens are recorded."""
    if session.get_bind().dialect.name != "postgresql":
        return follow_portably(session, clicks, now)
    parsed = [parse_token(c.token) for c in clicks]
    counts = _counts(clicks, parsed)
    if not counts:
        return [None] * len(clicks)
    # One statement: look the messages up and count the clicks of the genuine tokens.
    rows = [{"id": i, "secret": secret, "n": n} for (i, secret), n in counts.items()]
    found = session.execute(_FOLLOW, {"rows": json.dumps(rows), "now": now})
    messages = {row.id: row for row in found}
    return [_goal(messages, token) for token in parsed]


def follow_portably(session: Session, clicks: Sequence[Click], now: datetime) -> list[str | None]:
    """``follow`` in portable SQL (SQLite); on PostgreSQL it must count as ``follow`` does
    (a test compares)."""
    parsed = [parse_token(c.token) for c in clicks]
    counts = _counts(clicks, parsed)
    if not counts:
        return [None] * len(clicks)
    found = session.execute(
        select(Message.id, Message.secret, Campaign.goal_url)
        .join(Wave, Wave.id == Message.wave_id)
        .join(Campaign, Campaign.id == Wave.campaign_id)
        .where(Message.id.in_({i for i, _ in counts}))
    )
    messages = {row.id: row for row in found}
    counted = [
        {"b_id": i, "b_n": n, "b_now": now}
        for (i, s), n in counts.items()
        if n and _goal(messages, (i, s)) is not None
    ]
    if counted:
        session.execute(_COUNT, counted)
    return [_goal(messages, token) for token in parsed]


def _counts(
    clicks: Sequence[Click], parsed: Sequence[tuple[int, str] | None]
) -> Counter[tuple[int, str]]:
    """Counted clicks per well-formed token (a token only followed by scanners counts 0)."""
    counts: Counter[tuple[int, str]] = Counter()
    for click, token in zip(clicks, parsed, strict=True):
        if token is not None:
            counts[token] += 1 if click.counted else 0
    return counts


def _goal(messages: Mapping[int, Any], token: tuple[int, str] | None) -> str | None:
    """The goal of a genuine token's message; None for a malformed or forged one."""
    if token is None or token[0] not in messages:
        return None
    message = messages[token[0]]
    return str(message.goal_url) if secret_matches(message.secret, token[1]) else None


_FOLLOW = text(
    """
    WITH v AS (
        SELECT * FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS v(id bigint, secret text, n int)
    ),
    locked AS (
        SELECT m.id FROM messages m JOIN v ON m.id = v.id AND m.secret = v.secret
        WHERE v.n > 0 ORDER BY m.id FOR UPDATE OF m
    ),
    counted AS (
        UPDATE messages m SET click_count = m.click_count + v.n,
            clicked_at = coalesce(m.clicked_at, CAST(:now AS timestamptz))
        FROM v, locked WHERE m.id = v.id AND locked.id = v.id AND m.secret = v.secret
        RETURNING m.id
    )
    SELECT m.id, m.secret, c.goal_url FROM v
    JOIN messages m ON m.id = v.id
    JOIN waves w ON w.id = m.wave_id
    JOIN campaigns c ON c.id = w.campaign_id
    """
)
_messages = Message.__table__
_COUNT = (
    update(_messages)  # type: ignore[arg-type]
    .where(_messages.c.id == bindparam("b_id"))
    .values(
        click_count=_messages.c.click_count + bindparam("b_n"),
        clicked_at=case(
            (_messages.c.clicked_at.is_(None), bindparam("b_now")), else_=_messages.c.clicked_at
        ),
    )
)
