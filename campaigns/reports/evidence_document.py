"""The quality report's evidence as a document: XLSX for the quality office's spreadsheets
and a self-contained HTML page with a print stylesheet (A4 landscape), which a browser
prints or saves as PDF as it is. The web app and the CLI give the same files."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from campaigns.core.figures import money, number, percent
from campaigns.core.spreadsheets import xlsx_bytes
from campaigns.reports.quality_evidence import COLUMNS, HEADINGS, Evidence

NUMERIC: Final = frozenset(COLUMNS[3:])
RATES: Final = frozenset({"registration_rate", "form_rate"})

_environment = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "documents", encoding="utf-8"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def file_name(evidence: Evidence, kind: str) -> str:
    """``kalite-kaniti-2024-2025-bahar.xlsx``: the term in the name, no spaces."""
    term = "-".join(evidence.term.lower().replace("ı", "i").split())
    return f"kalite-kaniti-{term}.{kind}"


def shown(column: str, value: Any, currency: str) -> str:
    """A figure as the document prints it (Turkish grouping, rates in percent)."""
    if column in RATES:
        return percent(value, "tr")
    if column == "cost":
        return money(value, currency, "tr")
    return number(int(value), "tr")


def html_document(evidence: Evidence, *, scope: str, zone: ZoneInfo) -> str:
    first, last = evidence.period(zone)
    period = (
        f"{first:%d.%m.%Y} – {last:%d.%m.%Y}"
        if first and last
        else "henüz hatırlatma gönderilmedi / no reminder sent yet"
    )
    return _environment.get_template("quality_evidence.html").render(
        evidence=evidence,
        scope=scope,
        period=period,
        prepared=evidence.made_at.astimezone(zone).strftime("%d.%m.%Y %H:%M"),
        columns=COLUMNS,
        numeric=NUMERIC,
        headings=HEADINGS,
        rows=[p.as_dict() for p in evidence.programmes],
        total=evidence.total.as_dict(),
        show=lambda column, value: shown(column, value, evidence.currency),
    )


def xlsx_document(evidence: Evidence, zone: ZoneInfo) -> bytes:
    """One sheet: the programmes, then the total (rates as fractions Excel can format)."""
    headings = [HEADINGS[c] for c in COLUMNS]
    return xlsx_bytes(headings, COLUMNS, evidence.rows(), zone, sheet="kanit")
