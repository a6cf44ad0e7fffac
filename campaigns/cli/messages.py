"""``campaigns messages``: messages whose outcome was lost, for a person to decide."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy import select

from campaigns.cli import context
from campaigns.cli.output import TableFormat, TableOutput, console, emit_json, emit_table
from campaigns.core.actors import Actor
from campaigns.core.models import Message, MessageStatus, Student, Wave
from campaigns.delivery.recovery import requeue

app = typer.Typer(no_args_is_help=True)


@app.command("unknown")
def list_unknown(
    campaign_id: Annotated[int, typer.Argument(help="Kampanya / campaign id.")],
    output: TableOutput = TableFormat.table,
) -> None:
    """Sonucu belirsiz mesajları listele / list messages whose outcome is unknown (the
    provider may have them)."""
    with context.db().session() as session:
        rows = session.execute(
            select(
                Message.id,
                Wave.name,
                Student.student_no,
                Message.channel,
                Message.claimed_at,
                Message.error_message,
            )
            .join(Wave, Wave.id == Message.wave_id)
            .join(Student, Student.id == Message.student_id)
            .where(Wave.campaign_id == campaign_id, Message.status == MessageStatus.UNKNOWN)
            .order_by(Message.id)
        ).all()
    data = [
        {
            "id": r[0],
            "wave": r[1],
            "student_no": r[2],
            "channel": r[3],
            "claimed_at": r[4],
            "error": r[5],
        }
        for r in rows
    ]
    if output is TableFormat.json:
        emit_json(data)
    else:
        emit_table(["id", "wave", "student_no", "channel", "claimed_at", "error"], data)


@app.command("requeue")
def requeue_command(
    campaign_id: Annotated[int, typer.Argument(help="Kampanya / campaign id.")],
    ids: Annotated[
        list[int] | None, typer.Option("--id", help="Yalnız bu mesajlar / only these ids.")
    ] = None,
) -> None:
    """Sonucu belirsiz mesajları yeniden gönder / send messages in ``unknown`` again, after
    checking with the provider that it did not get them."""
    with context.db().session() as session:
        result = requeue(session, Actor.operator(), campaign_id, ids or None)
    console.print(f"{result.requeued} mesaj yeniden kuyrukta / messages queued again")
    if result.refused:
        console.print(
            f"{result.refused} mesaj yeniden gönderilmedi: sağlayıcı bunları almış (sağlayıcı "
            "numarası kayıtlı) / messages not queued: the provider has them (a provider "
            "message id is recorded)"
        )
