"""Output helpers shared by CLI commands: Rich tables, JSON for scripts, Excel-safe CSV."""

from __future__ import annotations

import enum
import json
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Annotated, Any, Final
from zoneinfo import ZoneInfo

import typer
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from campaigns.core.settings import get_settings
from campaigns.core.spreadsheets import csv_text, xlsx_bytes

console = Console()
err_console = Console(stderr=True)

_FIGURE = re.compile(r"-?[\d.,]+%?|—")


class TableFormat(enum.StrEnum):
    table = "table"
    json = "json"


class ListFormat(enum.StrEnum):
    table = "table"
    csv = "csv"
    xlsx = "xlsx"
    json = "json"


TableOutput = Annotated[
    TableFormat, typer.Option("--format", help="Çıktı biçimi / output format: table | json.")
]
ListOutput = Annotated[
    ListFormat,
    typer.Option(
        "--format",
        help="Çıktı biçimi / output format: table | csv | xlsx | json. XLSX açılır Excel'de "
        "Türkçe harflerle; bir dosyaya yönlendirin: > liste.xlsx / XLSX opens in Excel with "
        "Turkish letters intact; redirect it to a file: > list.xlsx.",
    ),
]
Yes = Annotated[bool, typer.Option("--yes", help="Onay sorma / do not ask for confirmation.")]
"""``--yes``: go on without asking (scripts)."""


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, enum.Enum):
        return value.value
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def to_json(data: Any) -> str:
    """JSON text with dates, decimals and enums converted, Turkish letters kept readable."""
    return json.dumps(data, default=_default, ensure_ascii=False, indent=2)


def emit_json(data: Any) -> None:
    sys.stdout.write(to_json(data) + "\n")


def emit_file(
    output: ListFormat, columns: Sequence[str], rows: Iterable[Mapping[str, Any]]
) -> None:
    """Rows as CSV or XLSX on standard output (``output`` is one of those two)."""
    if output is ListFormat.xlsx:
        emit_xlsx(columns, rows)
    else:
        emit_csv(columns, rows)


def emit_xlsx(columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> None:
    """Rows as an XLSX workbook on standard output, which must go to a file."""
    headings = [FIELD_HEADINGS.get(c, c).replace("\n", " / ") for c in columns]
    emit_workbook(xlsx_bytes(headings, columns, rows, get_settings().zone))


def emit_workbook(workbook: bytes) -> None:
    """An XLSX workbook's bytes on standard output, which must go to a file."""
    if sys.stdout.isatty():
        raise typer.BadParameter(
            "XLSX ekrana yazılamaz; bir dosyaya yönlendirin: > liste.xlsx / XLSX cannot be shown "
            "on screen: redirect it to a file: > list.xlsx",
            param_hint="--format",
        )
    sys.stdout.flush()
    sys.stdout.buffer.write(workbook)
    sys.stdout.buffer.flush()


def emit_csv(columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> None:
    sys.stdout.write(csv_text(columns, columns, rows))


def _default_cell(value: Any) -> Any:
    if isinstance(value, datetime | date | time | enum.Enum):
        return _default(value)
    return value


FIELD_HEADINGS: Final[dict[str, str]] = {
    "student_no": "öğrenci no\nstudent no",
    "first_name": "ad\nfirst name",
    "last_name": "soyad\nlast name",
    "faculty": "fakülte\nfaculty",
    "department": "bölüm\ndepartment",
    "degree": "düzey\ndegree",
    "advisor_name": "danışman\nadvisor",
    "advisor_email": "danışman e-posta\nadvisor email",
    "email": "e-posta\nemail",
    "personal_email": "kişisel e-posta\npersonal email",
    "phone": "telefon\nphone",
    "phone_is_mobile": "cep\nmobile",
    "whatsapp_opt_in": "WhatsApp",
    "contact_consent": "izin\nconsent",
    "language": "dil\nlanguage",
    "graduation_term": "dönem\nterm",
    "at": "zaman\ntime",
    "actor": "kim\nwho",
    "action": "işlem\naction",
    "target": "hedef\ntarget",
    "details": "ayrıntı\ndetails",
    "role": "rol\nrole",
    "created_at": "oluşturuldu\ncreated",
    "revoked_at": "iptal\nrevoked",
    "channel": "kanal\nchannel",
    "address": "adres\naddress",
    "reason": "neden\nreason",
    "source": "kaynak\nsource",
    "wave": "dalga\nwave",
    "claimed_at": "alındı\nclaimed",
    "error": "hata\nerror",
}
"""Bilingual headings of student fields: Turkish above, English below."""
MIN_TEXT_WIDTH: Final = 6


def emit_table(
    columns: Sequence[str],
    rows: Iterable[Mapping[str, Any]],
    *,
    title: str | None = None,
    headings: Mapping[str, str] | None = None,
) -> None:
    """A table that stays readable in an 80-column terminal: figures are never cut, text
    wraps inside its column instead of being cut short. ``headings`` names columns for
    people (``FIELD_HEADINGS`` by default for student fields)."""
    rows = list(rows)
    names = {**FIELD_HEADINGS, **(headings or {})}
    table = Table(title=title, box=box.SIMPLE_HEAD, pad_edge=False)
    numeric: dict[str, bool] = {}
    width: dict[str, int] = {}
    word: dict[str, int] = {}
    floor: dict[str, int] = {}
    for column in columns:
        cells = [_cell(row.get(column)) for row in rows]
        values = [row.get(column) for row in rows if row.get(column) is not None]
        numeric[column] = bool(values) and all(_is_figure(v) for v in values)
        # Headings wrap at their spaces; cells are as wide as their longest line.
        heading = max(map(len, names.get(column, column).split()), default=1)
        lines = [line for text in cells for line in text.split("\n")]
        width[column] = max([heading, *map(len, lines)])
        word[column] = max([heading, *(len(w) for text in cells for w in text.split())])
        # Figures are never folded (their headings may be); text wraps down to a few letters.
        floor[column] = max(map(len, cells), default=1) if numeric[column] else MIN_TEXT_WIDTH
    room = console.width - 3 * (len(columns) - 1) - 2  # padding, separators and edges
    fits = sum(width.values()) <= room
    # Too wide: lines wrap at spaces first, and only then are the longest words folded.
    for limit in (word, floor):
        while sum(width.values()) > room:
            narrowable = [c for c in columns if width[c] > max(limit[c], floor[c])]
            if not narrowable:
                break
            widest = max(narrowable, key=lambda c: width[c] - limit[c])
            width[widest] -= 1
    for column in columns:
        table.add_column(
            names.get(column, column),
            justify="right" if numeric[column] else "left",
            width=None if fits else width[column],
            overflow="fold",
        )
    for row in rows:
        table.add_row(*(_cell(row.get(c)) for c in columns))
    console.print(table)


def _is_figure(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int | float | Decimal) or bool(_FIGURE.fullmatch(str(value)))


def _cell(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "evet/yes" if value else "hayır/no"
    if isinstance(value, float):
        return f"{value:.1%}" if 0 <= value <= 1 else f"{value:.2f}"
    if isinstance(value, datetime):
        return local_time(value)
    # Data, not markup: a name like "[b]" must print as typed.
    return escape(str(_default_cell(value)))


def local_time(value: datetime, zone: ZoneInfo | None = None) -> str:
    """A moment as people here read it: on the clock of ``zone`` (``CAMPAIGNS_TIMEZONE`` by
    default), with the zone said, e.g. ``2026-06-02 09:00 +03``."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(zone or get_settings().zone).strftime("%Y-%m-%d %H:%M %Z")


YES = frozenset({"e", "evet", "y", "yes"})
NO = frozenset({"h", "hayir", "hayır", "n", "no"})


def confirm(question: str) -> None:
    """Ask ``question``; go on only on "e"/"evet" (or "y"/"yes"), stop on anything else said
    "h"/"hayır" (or "n"/"no"), or nothing (typer.Abort)."""
    while True:
        answer = typer.prompt(f"{question} [e/h]", default="h", show_default=False)
        said = answer.strip().replace("İ", "i").replace("I", "ı").lower()
        if said in YES:
            return
        if said in NO or not said:
            raise typer.Abort
        err_console.print("'e' (evet) ya da 'h' (hayır) yazın / type 'e' (yes) or 'h' (no)")
