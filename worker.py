"""The Celery app: ``celery -A worker worker`` runs tasks, ``celery -A worker beat`` the tick.

Tasks are thin: they take ids, call the same service functions as the CLI, and are
idempotent (``acks_late``), because sending claims rows before calling any provider.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from celery import Celery, signals
from prometheus_client import multiprocess

from campaigns.core import redacted_errors
from campaigns.core.dispatch import SEND_TASK, TICK_TASK, CeleryDispatcher
from campaigns.core.models import utcnow
from campaigns.core.settings import Settings, get_settings
from campaigns.runtime import Runtime, build_runtime

log = logging.getLogger("campaigns.worker")

app = Celery("campaigns")
VISIBILITY_TIMEOUT_SECONDS = 3600
MAX_COUNTDOWN_SECONDS = VISIBILITY_TIMEOUT_SECONDS / 4
_runtime: Runtime | None = None


def configure(settings: Settings | None = None, runtime: Runtime | None = None) -> Celery:
    """Point the app (and the runtime its tasks use) at ``settings``."""
    global _runtime
    settings = settings or get_settings()
    _runtime = runtime
    redacted_errors.install()
    app.conf.update(
        broker_url=settings.broker_url,
        broker_connection_retry_on_startup=True,
        broker_transport_options={"visibility_timeout": VISIBILITY_TIMEOUT_SECONDS},
        task_default_queue=settings.queue,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_ignore_result=True,
        worker_prefetch_multiplier=1,
        worker_hijack_root_logger=False,
        beat_schedule={
            "tick": {"task": TICK_TASK, "schedule": settings.tick_seconds},
        },
        timezone="UTC",
    )
    return app


def runtime() -> Runtime:
    """The process's runtime, built on first use from the configured settings."""
    global _runtime
    if _runtime is None:
        _runtime = build_runtime(get_settings())
    return _runtime


@signals.worker_process_shutdown.connect
def _metrics_of_a_process_that_ends(pid: int | None = None, **_: Any) -> None:
    """With ``PROMETHEUS_MULTIPROC_DIR`` set, every worker process writes its counters there;
    a process that ends has its live gauges dropped (its counters stay counted)."""
    if pid is not None and os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]


@signals.worker_init.connect
@signals.beat_init.connect
def _require_broker(**_: Any) -> None:
    # Without it Celery would fall back to a local AMQP server: stop instead. (SystemExit,
    # because Celery logs and swallows ordinary exceptions raised by signal handlers.)
    if not app.conf.broker_url:
        raise SystemExit(
            "CAMPAIGNS_BROKER_URL ayarlı değil / is not set: workers need a broker (redis://…)"
        )


@app.task(name=TICK_TASK)
def tick() -> dict[str, int]:
    """Plan due waves, recover lost claims, start sending, finish completed waves."""
    report = runtime().tick()
    return {"planned": len(report.planned), "started": len(report.started)}


@app.task(name=SEND_TASK)
def send_batch(wave_id: int, after: int | None = None) -> dict[str, int]:
    """Send one batch of a wave; continue the chain (from its cursor) while rows remain."""
    rt = runtime()
    outcome = rt.sender.send_batch(wave_id, after=after)
    dispatcher = CeleryDispatcher(rt.settings, client=app)
    if outcome.more:
        dispatcher.send_batch(wave_id, after=outcome.after)
    elif outcome.retry_at is not None:
        # Retries start when due. Countdowns stay well below the broker's visibility
        # timeout (a longer one would run several times); the tick covers longer waits.
        delay = (outcome.retry_at - utcnow()).total_seconds()
        if delay < MAX_COUNTDOWN_SECONDS:
            dispatcher.send_batch(wave_id, countdown=max(0.0, delay))
    return {"claimed": outcome.claimed, "sent": outcome.sent}


configure()
