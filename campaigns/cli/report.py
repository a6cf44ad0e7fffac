"""``campaigns report``: the funnel of a campaign."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from campaigns.cli import context
from campaigns.cli.output import ListFormat, emit_csv, emit_json, emit_table
from campaigns.reports import METRICS, Dimension, Report, campaign_report

HEADINGS = {
    "audience": "kitle\naudience",
    "no_consent": "izinsiz\nno consent",
    "unreachable": "erişilemez\nunreachable",
    "suppressed": "engelli\nsuppressed",
    "eligible": "uygun\neligible",
    "queued": "sırada\nqueued",
    "sent": "giden\nsent",
    "delivered": "ulaşan\ndelivered",
    "failed": "hatalı\nfailed",
    "unknown": "belirsiz\nunknown",
    "converted": "kayıtlı\nconverted",
    "conversion_rate": "oran\nrate",
}
OPTIONAL = ("suppressed", "queued", "unknown")
"""Shown in the table only when not zero (JSON and CSV always have every figure)."""


def report(
    campaign_id: Annotated[int, typer.Argument(help="Kampanya numarası / campaign id.")],
    by: Annotated[
        Dimension | None,
        typer.Option(
            "--by", help="Satırlar / one row per wave, channel, faculty, department or advisor."
        ),
    ] = None,
    output: Annotated[
        ListFormat, typer.Option("--format", help="Çıktı / output: table, csv or json.")
    ] = ListFormat.table,
) -> None:
    """Print a campaign's funnel: audience → sent → delivered → converted."""
    with context.db().session() as session:
        result = campaign_report(session, campaign_id, by)
    if output is ListFormat.json:
        emit_json(result.as_dict())
    elif output is ListFormat.csv:
        emit_csv(["key", *METRICS], _rows_with_total(result))
    else:
        print_report(result)


def print_report(result: Report) -> None:
    """The funnel as a Rich table, one row per key and a total."""
    label = result.by.value if result.by else ""
    rows = _rows_with_total(result)
    shown = [m for m in METRICS if m not in OPTIONAL or any(r[m] for r in rows)]
    columns = [label, *(HEADINGS[m] for m in shown)]
    rows = [{label: r["key"] or "—", **{HEADINGS[m]: r[m] for m in shown}} for r in rows]
    title = f"#{result.campaign['id']} {result.campaign['name']} ({result.campaign['status']})"
    emit_table(columns, rows, title=title)


def _rows_with_total(result: Report) -> list[dict[str, Any]]:
    return [*result.rows, {"key": "TOPLAM/TOTAL", **result.totals}]
