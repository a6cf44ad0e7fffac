"""What request handlers share: settings, the database, provider secrets, batchers."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from functools import cached_property
from typing import TypeVar

from fastapi import Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from campaigns.conversions.recording import ConversionInput, ConversionReport, record_conversions
from campaigns.core.db import Database
from campaigns.core.models import utcnow
from campaigns.core.settings import Settings
from campaigns.delivery.adapter_pool import AdapterPool
from campaigns.http.batching import Batcher
from campaigns.tracking.clicks import Click, follow
from campaigns.tracking.delivery_events import TrackingResult, record_events
from channels.base import DeliveryEvent

T = TypeVar("T")
In = TypeVar("In")
Out = TypeVar("Out")


class Services:
    """Built once per app; the batchers share transactions between concurrent requests."""

    def __init__(
        self,
        settings: Settings,
        db: Database,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.settings = settings
        self.db = db
        # What adapters read (provider settings): the checks before a launch build them.
        self.env = dict(env or {})
        self.clicks: Batcher[Click, str | None] = Batcher(
            self._in_transaction(lambda session, clicks: follow(session, clicks, utcnow()))
        )
        self.events: Batcher[DeliveryEvent, TrackingResult] = Batcher(
            self._in_transaction(
                lambda session, events: [record_events(session, events)] * len(events)
            )
        )
        window = settings.attribution_window
        self.conversions: Batcher[list[ConversionInput], ConversionReport] = Batcher(
            self._in_transaction(
                lambda session, requests: _record_together(session, requests, window)
            )
        )

    @cached_property
    def adapters(self) -> AdapterPool:
        """The channel adapters, for messages sent on a request (sign-in links)."""
        return AdapterPool(self.settings, env=self.env)

    def _in_transaction(
        self, work: Callable[[Session, Sequence[In]], Sequence[Out]]
    ) -> Callable[[Sequence[In]], Sequence[Out]]:
        def run(items: Sequence[In]) -> Sequence[Out]:
            return self.db.run(lambda session: work(session, items))

        return run

    async def close(self) -> None:
        for batcher in (self.clicks, self.events, self.conversions):
            await batcher.close()

    def public_url_of(self, request: Request) -> str:
        """The URL a provider called, as it was told it: behind a proxy the request's own
        scheme and host differ, and provider signatures cover the public one."""
        base = self.settings.webhook_url_base or self.settings.public_url
        query = request.scope["query_string"].decode("latin-1")
        return f"{base.rstrip('/')}{request.scope['path']}" + (f"?{query}" if query else "")

    async def transaction(self, work: Callable[[Session], T]) -> T:
        """Run ``work`` in a committed transaction on a worker thread (again, should
        PostgreSQL pick it as a deadlock victim: see ``Database.run``)."""
        return await run_in_threadpool(self.db.run, work)


def _record_together(
    session: Session, requests: Sequence[list[ConversionInput]], window: timedelta
) -> list[ConversionReport]:
    """Concurrent webhook requests recorded as one batch; each gets its own report."""
    together = record_conversions(
        session,
        [entry for entries in requests for entry in entries],
        source="webhook",
        window=window,
    )
    return [together.part(entries) for entries in requests]


def services_of(request: Request) -> Services:
    """The app's services, for the lean public routes."""
    found: Services = request.app.state.services
    return found


async def services(request: Request) -> Services:
    """The app's services as a FastAPI dependency (a coroutine: FastAPI runs plain
    functions on a thread)."""
    return services_of(request)
