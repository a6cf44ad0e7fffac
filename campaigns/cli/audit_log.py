"""``campaigns audit``: who changed what, when."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from campaigns.cli import context
from campaigns.cli.output import TableFormat, TableOutput, emit_json, emit_table, to_json
from campaigns.core import audit as audit_log

COLUMNS = ("at", "actor", "action", "target", "details")


def audit(
    limit: Annotated[
        int,
        typer.Option("--limit", min=1, max=audit_log.MAX_LIMIT, help="En çok / at most N."),
    ] = 50,
    output: TableOutput = TableFormat.table,
) -> None:
    """Denetim kaydını göster, en yenisi önce / show the audit log, newest first."""
    with context.db().session() as session:
        rows: list[dict[str, Any]] = [
            {
                "id": entry.id,
                "at": entry.at,
                "actor": entry.actor,
                "action": entry.action,
                "target": entry.target,
                "details": entry.details,
            }
            for entry in audit_log.entries(session, limit=limit)
        ]
    if output is TableFormat.json:
        emit_json(rows)
        return
    shown = [
        {**row, "details": to_json(row["details"]).replace("\n", " ") if row["details"] else None}
        for row in rows
    ]
    emit_table(COLUMNS, shown, title="Denetim kaydı / audit log")
