"""``campaigns suppressions``: addresses that must not be contacted."""

from __future__ import annotations

from typing import Annotated

import typer

from campaigns.cli import context
from campaigns.cli.output import ListFormat, ListOutput, console, emit_file, emit_json, emit_table
from campaigns.core.actors import Actor
from campaigns.tracking.suppressions import add_by_hand, listed, remove_by_hand
from channels.base import Channel

app = typer.Typer(no_args_is_help=True)
COLUMNS = ("channel", "address", "reason", "source", "created_at")


@app.command("list")
def list_command(
    channel: Annotated[
        Channel | None, typer.Option(help="Yalnız bu kanal / only this channel.")
    ] = None,
    output: ListOutput = ListFormat.table,
) -> None:
    """Engelli adresleri listele / list suppressed addresses (opt-outs, bounces, complaints,
    manual entries)."""
    with context.db().session() as session:
        rows = [{c: getattr(s, c) for c in COLUMNS} for s in listed(session, channel)]
    if output is ListFormat.json:
        emit_json(rows)
    elif output is not ListFormat.table:
        emit_file(output, COLUMNS, rows)
    else:
        emit_table(COLUMNS, rows)


@app.command("add")
def add(
    channel: Annotated[Channel, typer.Argument(help="email, sms or whatsapp.")],
    address: Annotated[str, typer.Argument(help="E-posta ya da telefon / email or phone.")],
    reason: Annotated[str, typer.Option(help="Neden / reason.")] = "manual",
) -> None:
    """Bir adresi engelle / stop contacting an address on a channel."""
    key = context.settings().secret_key_text
    with context.db().session() as session:
        add_by_hand(session, Actor.operator(), channel, address, reason=reason, key=key)
    console.print(f"engellendi / suppressed: {channel.value}")


@app.command("remove")
def remove(
    channel: Annotated[Channel, typer.Argument(help="email, sms or whatsapp.")],
    address: Annotated[str, typer.Argument(help="E-posta ya da telefon / email or phone.")],
) -> None:
    """Adresin engelini kaldır / allow contacting an address again."""
    key = context.settings().secret_key_text
    with context.db().session() as session:
        remove_by_hand(session, Actor.operator(), channel, address, key=key)
    console.print(f"engel kaldırıldı / suppression removed: {channel.value}")
