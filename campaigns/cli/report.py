"""``campaigns report``: the funnel of a campaign."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from campaigns.cli import context
from campaigns.cli.output import ListFormat, ListOutput, emit_csv, emit_json, emit_table
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
    "clicked": "tıklanan\nclicked",
    "converted": "kayıtlı\nregistered",
    "form_submitted": "form\nsubmitted",
    "attributed": "atfedilen\nattributed",
    "attributed_forms": "atf. form\nattr. forms",
    "conversion_rate": "oran\nrate",
    "median_hours_to_convert": "medyan saat\nmedian h",
    "cost": "maliyet\ncost",
    "cost_per_conversion": "kayıt başı\nper conv.",
}
OPTIONAL = (
    "suppressed",
    "queued",
    "unknown",
    "clicked",
    "form_submitted",
    "attributed",
    "attributed_forms",
    "median_hours_to_convert",
    "cost",
    "cost_per_conversion",
)
"""Shown in the table only when not zero (JSON and CSV always have every figure)."""


def report(
    campaign_id: Annotated[int, typer.Argument(help="Kampanya numarası / campaign id.")],
    by: Annotated[
        Dimension | None,
        typer.Option(
            "--by", help="Satırlar / one row per wave, channel, faculty, department or advisor."
        ),
    ] = None,
    output: ListOutput = ListFormat.table,
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


TRANSPOSE_UP_TO = 6
"""Up to this many keys, keys are columns and figures rows: it fits a terminal."""


def print_report(result: Report) -> None:
    """The funnel as a Rich table, with a total."""
    rows = _rows_with_total(result)
    shown = [m for m in METRICS if m not in OPTIONAL or any(r[m] for r in rows)]
    title = f"#{result.campaign['id']} {result.campaign['name']} ({result.campaign['status']})"
    keys = [str(r["key"] or "—") for r in rows]
    label = result.by.value if result.by else ""
    if len(rows) <= TRANSPOSE_UP_TO:
        table = [
            {
                label: HEADINGS[m].replace("\n", " / "),
                **{k: _shown(m, r[m]) for k, r in zip(keys, rows, strict=True)},
            }
            for m in shown
        ]
        emit_table([label, *keys], table, title=title)
        return
    columns = [label, *(HEADINGS[m] for m in shown)]
    emit_table(
        columns,
        [
            {label: k, **{HEADINGS[m]: _shown(m, r[m]) for m in shown}}
            for k, r in zip(keys, rows, strict=True)
        ],
        title=title,
    )


def _shown(metric: str, value: Any) -> Any:
    """A figure as people read it: rates in percent, money with two decimals."""
    if value is None or isinstance(value, int):
        return value
    if metric == "conversion_rate":
        return f"{value:.1%}"
    if metric == "median_hours_to_convert":
        return f"{value:.1f}"
    return f"{value:.2f}"


def _rows_with_total(result: Report) -> list[dict[str, Any]]:
    return [*result.rows, {"key": "TOPLAM/TOTAL", **result.totals}]
