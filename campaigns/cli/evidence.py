"""``campaigns evidence``: the quality report's evidence for one graduation term."""

from __future__ import annotations

import sys
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from campaigns.cli import context
from campaigns.cli.output import console, emit_json, emit_table, emit_workbook
from campaigns.core.actors import Actor
from campaigns.core.errors import FieldProblem
from campaigns.core.local_days import parse_day
from campaigns.reports import evidence_document
from campaigns.reports.quality_evidence import Evidence, evidence_for, scope_label


class EvidenceFormat(StrEnum):
    table = "table"
    json = "json"
    xlsx = "xlsx"
    html = "html"


TABLE_HEADINGS = {
    "programme": "program\nprogramme",
    "graduating": "öğrenci\nstudents",
    "registered": "kayıt\nregistered",
    "form_submitted": "form\nform",
    "reminders": "hatırlatma\nreminders",
    "opted_out": "ret\nopt-outs",
    "cost": "maliyet\ncost",
}


def evidence(
    term: Annotated[
        str, typer.Argument(help="Mezuniyet dönemi / graduation term, e.g. '2024-2025 Bahar'.")
    ],
    since: Annotated[
        str | None, typer.Option("--since", help="İlk gün / first day (YYYY-MM-DD).")
    ] = None,
    until: Annotated[
        str | None, typer.Option("--until", help="Son gün / last day (YYYY-MM-DD).")
    ] = None,
    output: Annotated[
        EvidenceFormat,
        typer.Option("--format", help="table | json | xlsx | html (yazdırılabilir / printable)."),
    ] = EvidenceFormat.table,
    to: Annotated[
        Path | None, typer.Option("--output", "-o", help="Dosyaya yaz / write to this file.")
    ] = None,
) -> None:
    """Kalite raporu kanıtı: dönemin programları, kayıt ve form oranları, hatırlatmalar /
    the quality report's evidence: a term's programmes, registration and form rates,
    reminders by channel, opt-outs and costs."""
    settings = context.settings()
    actor = Actor.operator()
    with context.db().session() as session:
        found = evidence_for(
            session, actor, settings, term, _day(since, "--since"), _day(until, "--until")
        )
    if output is EvidenceFormat.html:
        html = evidence_document.html_document(found, scope=scope_label(actor), zone=settings.zone)
        if to is None:
            sys.stdout.write(html)
        else:
            _to_file(html.encode(), to)
    elif output is EvidenceFormat.xlsx:
        workbook = evidence_document.xlsx_document(found, settings.zone)
        if to is None:
            emit_workbook(workbook)
        else:
            _to_file(workbook, to)
    elif output is EvidenceFormat.json:
        emit_json(found.as_dict(settings.zone))
    else:
        _print(found)


def _day(text: str | None, option: str) -> date | None:
    if not text:
        return None
    try:
        return parse_day(text, option)
    except FieldProblem as exc:
        raise typer.BadParameter(exc.reason, param_hint=option) from None


def _to_file(body: bytes, to: Path) -> None:
    to.write_bytes(body)
    console.print(f"yazıldı / written: {to}")


def _print(found: Evidence) -> None:
    currency = found.currency or "—"
    rows = []
    for figures in [*found.programmes, found.total]:
        row = figures.as_dict()
        name = " ".join(
            filter(None, (row["department"], f"({row['degree']})" if row["degree"] else ""))
        )
        rows.append(
            {
                "programme": name or row["faculty"],
                "graduating": row["graduating"],
                "registered": _with_rate(row["registered"], row["registration_rate"]),
                "form_submitted": _with_rate(row["form_submitted"], row["form_rate"]),
                "reminders": f"{row['sent_email']}/{row['sent_sms']}/{row['sent_whatsapp']}",
                "opted_out": row["opted_out"],
                "cost": evidence_document.shown("cost", row["cost"], ""),
            }
        )
    first, last = found.period(context.settings().zone)
    period = f"{first} – {last}" if first and last else "—"
    emit_table(
        list(TABLE_HEADINGS),
        rows,
        title=f"Kalite kanıtı / quality evidence: {found.term} ({period})",
        headings=TABLE_HEADINGS,
    )
    console.print(
        f"hatırlatma: e-posta/SMS/WhatsApp; maliyet {currency} / reminders: email/SMS/"
        f"WhatsApp; cost in {currency}",
        highlight=False,
    )


def _with_rate(count: int, rate: float | None) -> str:
    return f"{count} ({evidence_document.shown('registration_rate', rate, '')})"
