"""Helpers for HTTP tests: the app on a test database, with planned and sent messages."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from fastapi.testclient import TestClient
from sqlalchemy import select, update

from campaigns.db import Database
from campaigns.http.app import create_app
from campaigns.links import message_token
from campaigns.models import Message, MessageStatus, utcnow
from campaigns.planning import plan_wave
from campaigns.settings import Settings
from tests.support import factories


@contextmanager
def client_for(settings: Settings, env: dict[str, str] | None = None) -> Iterator[TestClient]:
    """A client of the app (its lifespan running) for ``settings``."""
    with TestClient(create_app(settings, env), follow_redirects=False) as client:
        yield client


def sent_tokens(db: Database, count: int, **wave: object) -> dict[int, str]:
    """Plan a wave for ``count`` students, mark it sent, return message id → public token."""
    now = utcnow()
    with db.session() as session:
        session.add_all([factories.student() for _ in range(count)])
        campaign = factories.campaign(session, [dict(wave)], now=now)
        wave_id = campaign.waves[0].id
    with db.session() as session:
        plan_wave(session, wave_id, now=now)
        session.execute(update(Message).values(status=MessageStatus.SENT, sent_at=now))
        rows = session.execute(select(Message.id, Message.secret)).all()
    return {row.id: message_token(row.id, str(row.secret)) for row in rows}
