"""A provider added as its own package: an adapter found only through its entry point sends,
and its own webhook receiver, mounted by the host, takes its signed callbacks."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import select
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from campaigns.core.db import Database
from campaigns.core.models import Message, MessageStatus
from campaigns.core.settings import Settings
from campaigns.delivery.adapter_pool import AdapterPool
from campaigns.delivery.sending import WaveSender
from campaigns.http.app import create_app
from channels import registry
from simulator.server import BackgroundServer, free_port
from tests.support.paths import FIXTURES
from tests.support.waves import planned_wave

PLUGIN = FIXTURES / "plugin"
SECRET = "kuzey-imza-anahtari"


def kuzey_gateway() -> Starlette:
    """A stand-in of the gateway: accepts messages, then reports each delivered, signed."""
    ids = itertools.count(9001)

    def report(callbacks: list[tuple[str, int]]) -> None:
        for url, provider_id in callbacks:
            body = json.dumps({"id": provider_id, "status": "delivered"}).encode()
            signed = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
            httpx.post(url, content=body, headers={"X-Kuzey-Signature": signed}, timeout=5)

    async def send(request: Request) -> JSONResponse:
        messages = (await request.json())["messages"]
        given = [next(ids) for _ in messages]
        callbacks = [(m["callback"], i) for m, i in zip(messages, given, strict=True)]
        return JSONResponse({"ids": given}, background=BackgroundTask(report, callbacks))

    return Starlette(routes=[Route("/send", send, methods=["POST"])])


@pytest.fixture
def installed(monkeypatch: pytest.MonkeyPatch) -> None:
    assert "kuzey-sms" not in registry.available()
    monkeypatch.syspath_prepend(str(PLUGIN))


@pytest.fixture
def hosted(installed: None, settings: Settings) -> Iterator[tuple[Settings, dict[str, str]]]:
    with BackgroundServer(kuzey_gateway()) as gateway:
        port = free_port()
        hosted = settings.model_copy(
            update={"public_url": f"http://127.0.0.1:{port}", "sms_adapter": "kuzey-sms"}
        )
        env = {"KUZEY_API_URL": gateway.url, "KUZEY_SECRET": SECRET}
        with BackgroundServer(create_app(hosted, env), port):
            yield hosted, env


def statuses(db: Database) -> list[MessageStatus]:
    with db.session() as session:
        return list(session.scalars(select(Message.status).order_by(Message.id)))


def test_an_adapter_installed_by_its_entry_point_sends_and_takes_its_callbacks(
    db: Database, hosted: tuple[Settings, dict[str, str]]
) -> None:
    settings, env = hosted
    assert registry.load("kuzey-sms").name == "kuzey-sms"
    assert "kuzey/status" in registry.receivers()
    wave_id = planned_wave(db, 3, channels=["sms"])
    pool = AdapterPool(settings, env=env)
    outcome = WaveSender(db, settings, pool).send_batch(wave_id)
    pool.close()
    assert outcome.sent == 3

    deadline = time.monotonic() + 15
    while statuses(db) != [MessageStatus.DELIVERED] * 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert statuses(db) == [MessageStatus.DELIVERED] * 3
    with db.session() as session:
        ids = list(session.scalars(select(Message.provider_message_id).order_by(Message.id)))
    assert ids == ["9001", "9002", "9003"]


def test_its_receiver_refuses_what_its_provider_did_not_sign(
    db: Database, hosted: tuple[Settings, dict[str, str]]
) -> None:
    settings, _ = hosted
    wave_id = planned_wave(db, 1, channels=["sms"])
    with db.session() as session:
        message_id = session.scalars(select(Message.id).where(Message.wave_id == wave_id)).one()
    url = f"{settings.public_url}/webhooks/kuzey/status?m={message_id}"
    body = json.dumps({"id": 1, "status": "delivered"}).encode()
    forged = httpx.post(url, content=body, headers={"X-Kuzey-Signature": "0" * 64})
    assert forged.status_code == 403
    signed = hmac.new(SECRET.encode(), b"{}", hashlib.sha256).hexdigest()
    malformed = httpx.post(url, content=b"{}", headers={"X-Kuzey-Signature": signed})
    assert malformed.status_code == 400
    assert statuses(db) == [MessageStatus.PENDING]
