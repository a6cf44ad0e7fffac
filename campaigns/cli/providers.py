"""``campaigns providers``: each channel's providers and their shares, and pinning them."""

from __future__ import annotations

from typing import Annotated

import typer

from campaigns.cli import context
from campaigns.cli.output import console, emit_table
from campaigns.core.actors import Actor
from campaigns.core.models import utcnow
from campaigns.delivery import routing
from channels.base import Channel

app = typer.Typer(no_args_is_help=True)
SHARE_COLUMNS = ("channel", "provider", "configured", "current", "pinned", "reason")
HISTORY_COLUMNS = ("at", "channel", "provider", "before", "after", "actor", "reason")


@app.command("show")
def show(
    history: Annotated[int, typer.Option(help="Son değişiklikler / latest changes shown.")] = 10,
) -> None:
    """Sağlayıcı payları / each channel's providers with their configured and current
    shares, and the latest changes."""
    settings = context.settings()
    with context.db().session() as session:
        rows = [
            {"channel": channel.value, **_share(share)}
            for channel in Channel
            for share in routing.shares(session, channel, settings.providers_for(channel.value))
        ]
        changes = [
            {
                "at": c.at,
                "channel": c.channel.value,
                "provider": c.provider,
                "before": c.weight_before,
                "after": c.weight_after,
                "actor": c.actor,
                "reason": c.reason,
            }
            for c in routing.history(session, history)
        ]
    emit_table(SHARE_COLUMNS, rows, title="paylar / shares")
    if changes:
        emit_table(HISTORY_COLUMNS, changes, title="değişiklikler / changes")


def _share(share: routing.Share) -> dict[str, object]:
    return {
        "provider": share.provider,
        "configured": share.configured,
        "current": share.current,
        "pinned": "evet / yes" if share.pinned else "",
        "reason": share.reason or "",
    }


@app.command("pin")
def pin(
    channel: Annotated[Channel, typer.Argument(help="email, sms or whatsapp.")],
    shares: Annotated[
        list[str],
        typer.Option(
            "--share",
            metavar="SAĞLAYICI=PAY",
            help="Bir sağlayıcının payı, tekrar verilebilir / a provider's share, repeatable: "
            "--share netgsm=0 --share twilio-sms=100.",
        ),
    ],
    reason: Annotated[str, typer.Option(help="Neden / why (required).")],
) -> None:
    """Payları elle sabitle / pin a channel's shares by hand; health no longer moves them
    until ``unpin``."""
    weights: dict[str, int] = {}
    for item in shares:
        name, _, value = item.partition("=")
        if not name or not value.isdigit():
            raise typer.BadParameter(
                f"SAĞLAYICI=PAY biçiminde olmalı / must look like PROVIDER=SHARE: {item!r}"
            )
        weights[name] = int(value)
    settings = context.settings()
    with context.db().session() as session:
        routing.pin(session, settings, Actor.operator(), channel, weights, reason, utcnow())
    console.print(f"sabitlendi / pinned: {channel.value}")


@app.command("unpin")
def unpin(channel: Annotated[Channel, typer.Argument(help="email, sms or whatsapp.")]) -> None:
    """Sabitlemeyi kaldır / give the shares back to health (their configured values)."""
    settings = context.settings()
    with context.db().session() as session:
        routing.unpin(session, settings, Actor.operator(), channel, utcnow())
    console.print(f"sabitleme kaldırıldı / unpinned: {channel.value}")
