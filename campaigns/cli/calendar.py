"""``campaigns calendar``: the days nothing is sent (public holidays, the university's and
the faculties' closed days)."""

from __future__ import annotations

from typing import Annotated

import typer

from campaigns.cli import context
from campaigns.cli.output import ListFormat, ListOutput, console, emit_file, emit_json, emit_table
from campaigns.core.actors import Actor
from campaigns.core.local_days import parse_day
from campaigns.core.models import utcnow
from campaigns.governance import closed_day_book

app = typer.Typer(no_args_is_help=True)
COLUMNS = ("id", "first", "last", "reason", "faculty", "kind")
HEADINGS = {
    "id": "no\nid",
    "first": "ilk gün\nfirst day",
    "last": "son gün\nlast day",
    "reason": "neden\nreason",
    "faculty": "fakülte\nfaculty",
    "kind": "tür\nkind",
}
KINDS = {
    closed_day_book.HOLIDAY: "resmî tatil / holiday",
    closed_day_book.SETTINGS: "ayarlar / settings",
    closed_day_book.UNIVERSITY: "üniversite / university",
    closed_day_book.FACULTY: "fakülte / faculty",
}


@app.command("list")
def list_command(
    days: Annotated[
        int, typer.Option(min=1, max=730, help="Kaç gün ileri / how many days ahead.")
    ] = 365,
    output: ListOutput = ListFormat.table,
) -> None:
    """Kapalı günleri listele / list the closed days ahead: nothing is sent on them."""
    settings = context.settings()
    today = utcnow().astimezone(settings.zone).date()
    with context.db().session() as session:
        spans = closed_day_book.upcoming(session, settings, today, days)
    rows = [
        {
            "id": s.id,
            "first": s.first.isoformat(),
            "last": s.last.isoformat(),
            "reason": s.reason,
            "faculty": s.faculty,
            "kind": s.kind if output is not ListFormat.table else KINDS[s.kind],
        }
        for s in spans
    ]
    if output is ListFormat.json:
        emit_json(rows)
    elif output is not ListFormat.table:
        emit_file(output, COLUMNS, rows)
    else:
        emit_table(COLUMNS, rows, title="Kapalı günler / closed days", headings=HEADINGS)


@app.command("close")
def close(
    first: Annotated[str, typer.Argument(help="İlk gün / first day (YYYY-MM-DD).")],
    last: Annotated[
        str | None, typer.Argument(help="Son gün / last day (YYYY-MM-DD); yoksa tek gün.")
    ] = None,
    reason: Annotated[str, typer.Option(help="Neden / reason (e.g. 'Final sınavları').")] = "",
    faculty: Annotated[
        str | None,
        typer.Option(help="Yalnız bu fakülte / only this faculty; yoksa tüm üniversite."),
    ] = None,
) -> None:
    """Günleri kapat: o günlerde mesaj gönderilmez / close days: nothing is sent on them."""
    settings = context.settings()
    start = parse_day(first, "first_day")
    end = parse_day(last, "last_day") if last else start
    today = utcnow().astimezone(settings.zone).date()
    with context.db().session() as session:
        row = closed_day_book.close(session, Actor.operator(), start, end, reason, faculty, today)
        number = row.id
    console.print(
        f"kapatıldı (no {number}); bu günlerde gönderilecek mesajlar sonraki açık güne "
        f"kalır / closed (id {number}); messages due then wait for the next open day"
    )


@app.command("reopen")
def reopen(
    closed_id: Annotated[int, typer.Argument(help="'calendar list' no / id.")],
) -> None:
    """Kapatılan günleri yeniden aç / open closed days again."""
    with context.db().session() as session:
        closed_day_book.reopen(session, Actor.operator(), closed_id)
    console.print(f"yeniden açıldı / reopened: {closed_id}")
