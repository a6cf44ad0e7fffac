"""``campaigns suppressions``: addresses that must not be contacted."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy import select

from campaigns.access import audit
from campaigns.cli import context
from campaigns.cli.output import ListFormat, ListOutput, console, emit_file, emit_json, emit_table
from campaigns.core.errors import CampaignsError
from campaigns.core.models import Suppression
from campaigns.students.contact_details import normalise_email, normalise_phone
from campaigns.tracking.delivery_events import lift
from campaigns.tracking.suppressions import suppress
from channels.base import Channel

app = typer.Typer(no_args_is_help=True)
COLUMNS = ("channel", "address", "reason", "source", "created_at")


def _address(channel: Channel, raw: str) -> str:
    if channel is Channel.EMAIL:
        checked = normalise_email(raw)
        if checked.value is None:
            raise CampaignsError(f"geçersiz e-posta / invalid email address: {raw!r}")
        return checked.value
    phone = normalise_phone(raw)
    if phone.number is None:
        raise CampaignsError(f"geçersiz telefon / invalid phone number: {raw!r}")
    return phone.number


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
        query = select(Suppression).order_by(Suppression.created_at)
        if channel is not None:
            query = query.where(Suppression.channel == channel)
        rows = [{c: getattr(s, c) for c in COLUMNS} for s in session.scalars(query)]
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
    normalised = _address(channel, address)
    with context.db().session() as session:
        suppress(session, channel, normalised, reason=reason, source="manual")
        key = context.settings().secret_key_text
        details = {**audit.fingerprint(normalised, key), "reason": reason}
        target = f"suppression:{channel.value}"
        audit.record(session, audit.cli_actor(), audit.SUPPRESSION_ADD, target, details)
    console.print(f"engellendi / suppressed: {channel.value}")


@app.command("remove")
def remove(
    channel: Annotated[Channel, typer.Argument(help="email, sms or whatsapp.")],
    address: Annotated[str, typer.Argument(help="E-posta ya da telefon / email or phone.")],
) -> None:
    """Adresin engelini kaldır / allow contacting an address again."""
    normalised = _address(channel, address)
    with context.db().session() as session:
        removed = lift(session, channel, normalised)
        if removed:
            details = audit.fingerprint(normalised, context.settings().secret_key_text)
            target = f"suppression:{channel.value}"
            audit.record(session, audit.cli_actor(), audit.SUPPRESSION_REMOVE, target, details)
    if not removed:
        raise CampaignsError("bu adres engelli değil / that address is not suppressed")
    console.print(f"engel kaldırıldı / suppression removed: {channel.value}")
