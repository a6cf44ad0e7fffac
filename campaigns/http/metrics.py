"""``/metrics`` for Prometheus and ``/readyz`` for load balancers.

``/metrics`` gives the counters every process keeps (``campaigns.core.metrics``; with
``PROMETHEUS_MULTIPROC_DIR`` set, those of every worker process) and figures read from the
database when scraped: the queue (messages waiting and being sent, per channel), the age of
the scheduler's last tick, and each provider's current share. ``/readyz`` answers 200 only
when the database and the broker answer and the scheduler ticks; ``/healthz`` stays the
cheap "is this process up, when did the scheduler last run".
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from starlette.concurrency import run_in_threadpool

from campaigns.core.db import Database
from campaigns.core.models import Message, MessageStatus, utcnow
from campaigns.core.settings import Settings
from campaigns.delivery import routing
from campaigns.http.deps import services_of
from campaigns.planning.heartbeats import SCHEDULER, last_beat
from campaigns.planning.preflight import check_setup
from channels.base import Channel

router = APIRouter(include_in_schema=False)


class DatabaseFigures(Collector):
    """Gauges read from the database at each scrape."""

    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings

    def collect(self) -> Iterator[Any]:
        queue = GaugeMetricFamily(
            "campaigns_queue_messages",
            "Messages waiting to be sent (pending) or being sent, per channel.",
            labels=["channel", "status"],
        )
        age = GaugeMetricFamily(
            "campaigns_scheduler_tick_age_seconds", "Seconds since the scheduler last ticked."
        )
        share = GaugeMetricFamily(
            "campaigns_provider_share",
            "Each provider's current share of its channel (configured, or lowered by failover).",
            labels=["channel", "provider"],
        )
        with self.db.session() as session:
            waiting = (MessageStatus.PENDING, MessageStatus.SENDING)
            for status in waiting:
                rows = session.execute(
                    select(Message.channel, func.count())
                    .where(Message.status == status)
                    .group_by(Message.channel)
                )
                for channel, count in rows:
                    queue.add_metric([channel.value if channel else "", status.value], count)
            beat = last_beat(session, SCHEDULER)
            if beat is not None:
                age.add_metric([], (utcnow() - beat).total_seconds())
            for channel in Channel:
                configured = self.settings.providers_for(channel.value)
                for found in routing.shares(session, channel, configured):
                    share.add_metric([channel.value, found.provider], found.current)
        yield from (queue, age, share)


def _registry(request: Request) -> CollectorRegistry:
    state = request.app.state
    registry: CollectorRegistry | None = getattr(state, "metrics_registry", None)
    if registry is None:
        services = services_of(request)
        figures = DatabaseFigures(services.db, services.settings)
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            registry = CollectorRegistry()
            MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        else:
            registry = CollectorRegistry()
            registry.register(_Default())
        registry.register(figures)
        state.metrics_registry = registry
    return registry


class _Default(Collector):
    """This process's own counters (the default registry), beside the database's."""

    def collect(self) -> Iterator[Any]:
        yield from REGISTRY.collect()


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    body = await run_in_threadpool(generate_latest, _registry(request))
    return Response(body, media_type=CONTENT_TYPE_LATEST)


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    """Ready to serve and to send: the database and the broker answer, the scheduler ticks
    (503 with what is wrong otherwise)."""
    services = services_of(request)
    settings = services.settings
    # The database, the broker and the scheduler's heartbeat (no channel: those are the
    # launch checks', and building every adapter on each probe would not be cheap).
    findings = await run_in_threadpool(
        check_setup, services.db, settings, services.env, now=utcnow(), channels=()
    )
    # Unknown variables are the only findings named after one: a warning for people.
    checks = {f.subject: f.level == "ok" for f in findings if not f.subject.isupper()}
    ready = all(checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "not ready", "checks": checks},
        status_code=200 if ready else 503,
    )
