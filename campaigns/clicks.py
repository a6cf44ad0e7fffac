"""Tracked links: ``/r/<token>`` records that a student followed their message's link.

Only the first time and a count are kept (no IP address, no user agent). Link scanners
that fetch URLs on their own (mail security gateways, chat link previews) are not counted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, case, select, update
from sqlalchemy.orm import Session

from campaigns.links import parse_token, secret_matches
from campaigns.models import Campaign, Message, Wave

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
    """The goal URL of each click's message (None for a token that is not genuine), and the
    counted clicks recorded, all in one query and one update."""
    parsed = [parse_token(c.token) for c in clicks]
    ids = {p[0] for p in parsed if p is not None}
    rows = (
        {
            row.id: row
            for row in session.execute(
                select(Message.id, Message.secret, Campaign.goal_url)
                .join(Wave, Wave.id == Message.wave_id)
                .join(Campaign, Campaign.id == Wave.campaign_id)
                .where(Message.id.in_(ids))
            )
        }
        if ids
        else {}
    )
    targets: list[str | None] = []
    counts: Counter[int] = Counter()
    for click, token in zip(clicks, parsed, strict=True):
        row = rows.get(token[0]) if token else None
        if row is None or token is None or not secret_matches(row.secret, token[1]):
            targets.append(None)
            continue
        targets.append(row.goal_url)
        if click.counted:
            counts[row.id] += 1
    if counts:
        session.execute(_COUNT, [{"b_id": i, "b_n": n, "b_now": now} for i, n in counts.items()])
    return targets


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
