"""``campaigns report``: the funnel of a campaign."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from campaigns.cli import context
from campaigns.cli.output import (
    ListFormat,
    ListOutput,
    console,
    emit_file,
    emit_json,
    emit_table,
)
from campaigns.governance.privacy import NOT_MEASURED
from campaigns.reports.funnel import (
    MESSAGE_DIMENSIONS,
    METRICS,
    Dimension,
    Report,
    campaign_report,
)

HEADINGS = {
    "audience": "kitle (öğrenci)\naudience (students)",
    "no_consent": "izinsiz (öğrenci)\nno consent (students)",
    "unreachable": "erişilemez (öğrenci)\nunreachable (students)",
    "suppressed": "engelli (öğrenci)\nsuppressed (students)",
    "capped": "sınırda kalan (mesaj)\ncapped (messages)",
    "eligible": "uygun (öğrenci)\neligible (students)",
    "reached": "ulaşılan (öğrenci)\nreached (students)",
    "queued": "sırada (mesaj)\nqueued (messages)",
    "sent": "giden (mesaj)\nsent (messages)",
    "delivered": "ulaşan (mesaj)\ndelivered (messages)",
    "failed": "hatalı (mesaj)\nfailed (messages)",
    "unknown": "belirsiz (mesaj)\nunknown (messages)",
    "clicked": "tıklanan (mesaj)\nclicked (messages)",
    "converted": "kayıt olan (öğrenci)\nregistered (students)",
    "form_submitted": "form veren (öğrenci)\nform handed in (students)",
    "attributed": "atfedilen kayıt\nregistrations credited",
    "attributed_forms": "atfedilen form\nforms credited",
    "conversion_rate": "kayıt oranı\nregistration rate",
    "median_hours_to_convert": "kayda medyan saat\nmedian hours to register",
    "cost": "maliyet ({currency})\ncost ({currency})",
    "cost_per_conversion": "kayıt başına ({currency})\nper registration ({currency})",
}
# Per wave or channel, "registered" counts those who registered after the row's message,
# and the rate is out of the students it reached (see ``campaigns.reports.funnel``).
AFTER_MESSAGE = {
    "converted": "sonra kayıt olan (öğrenci)\nregistered after it (students)",
    "conversion_rate": "kayıt oranı (ulaşılanda)\nregistration rate (of reached)",
}
KEY_NAMES = {
    "channel": {None: "gönderilmedi / not sent"},
}
OPTIONAL = (
    "suppressed",
    "capped",
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
    """Kampanyanın hunisini göster / print a campaign's funnel: audience → sent →
    delivered → registered."""
    settings = context.settings()
    with context.db().session() as session:
        result = campaign_report(
            session,
            campaign_id,
            by,
            currency=settings.cost_currency,
            link_tracking=settings.link_tracking,
        )
    if output is ListFormat.json:
        emit_json(result.as_dict())
    elif output is not ListFormat.table:
        emit_file(output, ["key", *METRICS], _rows_with_total(result))
    else:
        print_report(result)


TRANSPOSE_UP_TO = 6
"""Up to this many keys, keys are columns and figures rows: it fits a terminal."""


def print_report(result: Report) -> None:
    """The funnel as a table with a total, then where the messages went and what waits."""
    rows = _rows_with_total(result)
    shown = [m for m in METRICS if m not in OPTIONAL or any(r[m] for r in rows)]
    title = f"#{result.campaign['id']} {result.campaign['name']} ({result.campaign['status']})"
    label = result.by.value if result.by else ""
    names = KEY_NAMES.get(label, {})
    keys = [str(names.get(r["key"], r["key"] or "—")) for r in rows]
    headings = {m: _heading(m, result) for m in shown}
    if len(rows) <= TRANSPOSE_UP_TO:
        table = [
            {
                label: headings[m],
                **{k: _shown(m, r[m]) for k, r in zip(keys, rows, strict=True)},
            }
            for m in shown
        ]
        emit_table([label, *keys], table, title=title, headings={label: label or " "})
    else:
        emit_table(
            [label, *shown],
            [
                {label: k, **{m: _shown(m, r[m]) for m in shown}}
                for k, r in zip(keys, rows, strict=True)
            ],
            title=title,
            headings=headings,
        )
    _print_notes(result)


def _heading(metric: str, result: Report) -> str:
    heading = HEADINGS[metric]
    if result.by is not None and result.by in MESSAGE_DIMENSIONS:
        heading = AFTER_MESSAGE.get(metric, heading)
    return heading.format(currency=result.currency or "?")


def _print_notes(result: Report) -> None:
    providers = result.providers or {}
    if providers:
        went = ", ".join(f"{name} ({count})" for name, count in sorted(providers.items()))
        console.print(f"Gönderen / sent through: {went}", highlight=False, markup=False)
    nowhere = sorted(set(providers) & {"outbox", "null"})
    if nowhere:
        console.print(
            f"[yellow]![/yellow] {', '.join(nowhere)}: bu mesajlar kimseye ulaşmadı (deneme "
            f"ayarı) / these messages reached nobody (a test setting)",
            highlight=False,
        )
    if not result.campaign.get("clicks_measured", True):
        console.print(
            f"tıklanan: {NOT_MEASURED}; bağlantı izleme kapalı / clicked: link tracking is off",
            highlight=False,
            markup=False,
        )
    for wave, reason in result.campaign.get("held", {}).items():
        console.print(
            f"[yellow]![/yellow] {wave} gönderemiyor / cannot send: {reason}",
            highlight=False,
            markup=False,
        )


def _shown(metric: str, value: Any) -> Any:
    """A figure as people read it: rates in percent; money with two decimals, or four when
    it is below one (0.0034 is not 0.00)."""
    if value is None or isinstance(value, int):
        return value
    if metric == "conversion_rate":
        return f"{value:.1%}"
    if metric == "median_hours_to_convert":
        return f"{value:.1f}"
    return f"{value:.4f}" if 0 < abs(value) < 1 else f"{value:.2f}"


def _rows_with_total(result: Report) -> list[dict[str, Any]]:
    return [*result.rows, {"key": "TOPLAM/TOTAL", **result.totals}]
