"""Helpers for HTTP tests: the app on a test database, with planned and sent messages."""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import httpx
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from campaigns.core.db import Database
from campaigns.core.models import Message, MessageStatus, utcnow
from campaigns.core.settings import Settings
from campaigns.http.app import create_app
from campaigns.planning.plan_wave import plan_wave
from campaigns.tracking.links import message_token
from simulator.sendgrid_api import SIGNATURE_HEADER, TIMESTAMP_HEADER
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


def requests_at_once(
    app: FastAPI, requests: Sequence[tuple[str, str, dict[str, Any]]]
) -> list[httpx.Response]:
    """``(method, url, httpx keyword arguments)`` all in flight together against ``app``
    (in one event loop, as concurrent clients would be); the answers in the same order."""

    async def gather() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            try:
                return await asyncio.gather(
                    *(client.request(method, url, **kwargs) for method, url, kwargs in requests)
                )
            finally:
                await app.state.services.close()

    return asyncio.run(gather())


def sendgrid_headers(
    key: ec.EllipticCurvePrivateKey, raw: bytes, at: float | None = None
) -> dict[str, str]:
    """The headers SendGrid signs an event post ``raw`` with (at ``at``, default now)."""
    timestamp = str(int(time.time() if at is None else at))
    signature = key.sign(timestamp.encode() + raw, ec.ECDSA(hashes.SHA256()))
    return {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: base64.b64encode(signature).decode(),
        TIMESTAMP_HEADER: timestamp,
    }
