"""Lists people open in Excel: XLSX (Turkish letters intact whatever Excel's language) and
CSV, both with text that Excel would run as a formula made inert (OWASP CSV injection)."""

from __future__ import annotations

import csv
import enum
import io
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any, Final
from zoneinfo import ZoneInfo

FORMULA_PREFIXES: Final = ("=", "+", "-", "@", "\t", "\r")


def excel_safe(value: Any) -> str:
    """A cell that Excel will not evaluate as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def xlsx_bytes(
    headings: Sequence[str],
    columns: Sequence[str],
    rows: Iterable[Mapping[str, Any]],
    zone: ZoneInfo,
    sheet: str = "liste",
) -> bytes:
    """A workbook of one sheet; times on the clock of ``zone`` (Excel has no time zones)."""
    from openpyxl import Workbook  # loaded only by what writes workbooks

    book = Workbook(write_only=True)
    page = book.create_sheet(sheet)
    page.append(list(headings))
    for row in rows:
        page.append([_xlsx_value(row.get(c), zone) for c in columns])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def csv_text(
    headings: Sequence[str], columns: Sequence[str], rows: Iterable[Mapping[str, Any]]
) -> str:
    """CSV with CRLF line ends, as Excel writes it."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(headings)
    for row in rows:
        writer.writerow([excel_safe(_plain(row.get(c))) for c in columns])
    return buffer.getvalue()


def _xlsx_value(value: Any, zone: ZoneInfo) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(zone).replace(tzinfo=None)
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, str):
        return excel_safe(value)
    return value


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    return value
