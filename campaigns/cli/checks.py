"""``campaigns check``: is this installation (or one campaign) ready to send, and what will a
launch do. ``campaign launch`` prints the same before it asks."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer

from campaigns.cli import context
from campaigns.cli.output import TableFormat, TableOutput, console, emit_json
from campaigns.core.actors import Actor
from campaigns.core.models import utcnow
from campaigns.delivery.adapter_pool import adapter_env
from campaigns.planning import launching
from campaigns.planning.preflight import Finding, Preflight, check_setup

MARKS = {"ok": "[green]✓[/green]", "warning": "[yellow]![/yellow]", "error": "[red]✗[/red]"}
CHANNEL_NAMES = {"email": "e-posta / email", "sms": "SMS", "whatsapp": "WhatsApp"}


def check(
    campaign_id: Annotated[
        int | None,
        typer.Argument(
            metavar="[ID]",
            help="Bir kampanya için de denetle ve tahmin göster / also check one campaign and "
            "show its forecast.",
        ),
    ] = None,
    output: TableOutput = TableFormat.table,
) -> None:
    """Gönderime hazır mı? / is everything ready to send?

    Lists every problem at once: database, broker, each channel's adapter and settings,
    unknown CAMPAIGNS_* variables, the scheduler. Exits with 1 when something must be fixed.
    """
    settings = context.settings()
    database = context.db()
    env = adapter_env(settings)
    if campaign_id is None:
        checked = Preflight(check_setup(database, settings, env, now=utcnow()))
    else:
        checked = launching.check(
            database, settings, env, Actor.operator(), campaign_id, now=utcnow()
        )
    if output is TableFormat.json:
        emit_json(preflight_data(checked))
    else:
        print_preflight(checked)
    if checked.errors:
        raise typer.Exit(1)


def preflight_data(checked: Preflight) -> dict[str, Any]:
    return {
        "ok": not checked.errors,
        "findings": [asdict(f) for f in checked.findings],
        "waves": [{**asdict(w), "waits_for_window": w.waits_for_window} for w in checked.waves],
        "first_message": checked.first_message,
        "cost": checked.cost,
        "currency": checked.currency,
    }


def print_preflight(checked: Preflight) -> None:
    """The checks, one line each, then what a launch would do."""
    console.print("[bold]Denetim / checks[/bold]")
    for finding in checked.findings:
        _line(finding)
    if not checked.waves:
        return
    console.print("[bold]Tahmin / forecast[/bold]")
    zone = ZoneInfo(checked.timezone)
    for wave in checked.waves:
        channels = (
            ", ".join(
                f"{n} {CHANNEL_NAMES.get(channel, channel)}"
                for channel, n in wave.by_channel.items()
            )
            or "kimse / nobody"
        )
        skipped = sum(wave.skipped.values())
        closed = f" (kapalı gün / closed day: {wave.closed})" if wave.closed else ""
        console.print(
            f"  {wave.wave}: {_local(wave.sends_from, zone)}{closed} · {channels} · atlanan / "
            f"skipped {skipped} · ≈ {wave.cost:.2f} {checked.currency}",
            highlight=False,
            markup=False,
        )
    first = checked.first_message
    if first is not None:
        waits = any(w.waits_for_window for w in checked.waves if w.sends_from == first)
        note = (
            f" — gönderim aralığını bekler / waits for the send window: {checked.window} "
            f"{checked.timezone}"
            if waits
            else ""
        )
        console.print(
            f"İlk mesaj / first message: {_local(first, zone)}{note}",
            highlight=False,
            markup=False,
        )
    console.print(
        f"Tahmini maliyet / estimated cost: {checked.cost:.2f} {checked.currency}",
        highlight=False,
        markup=False,
    )


def _line(finding: Finding) -> None:
    console.print(f"  {MARKS[finding.level]} ", end="")
    console.print(f"{finding.subject}: {finding.text}", highlight=False, markup=False)


def _local(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")
