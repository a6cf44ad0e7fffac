"""``campaigns run`` and ``campaigns tick``: the scheduler in this process."""

from __future__ import annotations

import logging
import time
from typing import Annotated

import typer
from sqlalchemy import select

from campaigns.cli import context
from campaigns.cli.output import console, err_console
from campaigns.core.db import Database
from campaigns.core.models import Campaign, CampaignStatus
from campaigns.planning.scheduler import TickReport
from campaigns.runtime import build_runtime

log = logging.getLogger("campaigns.run")


def tick() -> None:
    """Zamanlayıcıyı bir kez çalıştır / run the scheduler once: plan due waves, send what
    is due, finish what is done."""
    context.db()
    with build_runtime(context.settings()) as runtime:
        _print(runtime.tick())


def run(
    interval: Annotated[
        float | None,
        typer.Option(help="Saniye / seconds between ticks (default CAMPAIGNS_TICK_SECONDS)."),
    ] = None,
    until_done: Annotated[
        bool,
        typer.Option(
            "--until-done", help="Etkin kampanya kalmayınca çık / exit when none is active."
        ),
    ] = False,
) -> None:
    """Zamanlayıcıyı bu süreçte çalıştır / run the scheduler in this process (no broker
    needed) until interrupted."""
    database = context.db()
    settings = context.settings()
    runtime = build_runtime(settings)
    period = interval or settings.tick_seconds
    try:
        while True:
            try:
                _print(runtime.tick())
            except Exception as exc:
                # One failed tick must not stop the others; the next one tries again.
                err_console.print(
                    f"bu adım başarısız oldu, bir sonraki yeniden dener / this tick failed, "
                    f"the next one tries again: {type(exc).__name__}",
                    markup=False,
                )
                log.exception("tick failed")
            if until_done and not _any_active(database):
                return
            time.sleep(period)
    except KeyboardInterrupt:
        console.print("durduruldu / stopped")
    finally:
        runtime.close()


def _any_active(database: Database) -> bool:
    with database.session() as session:
        return (
            session.scalar(
                select(Campaign.id).where(
                    Campaign.status.in_([CampaignStatus.ACTIVE, CampaignStatus.PAUSED])
                )
            )
            is not None
        )


def _print(report: TickReport) -> None:
    for plan in report.planned:
        console.print(
            f"dalga / wave {plan.wave_id}: {plan.pending} gönderilecek / to send, "
            f"atlanan / skipped {dict(plan.skipped)}"
        )
    for wave_id in report.finished_waves:
        console.print(f"dalga / wave {wave_id} tamamlandı / done")
    for campaign_id in report.finished_campaigns:
        console.print(f"kampanya / campaign {campaign_id} tamamlandı / completed")
