"""Output helpers shared by CLI commands: Rich tables, JSON for scripts, Excel-safe CSV."""

from __future__ import annotations

import csv
import enum
import json
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from typing import Annotated, Any

import typer
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

console = Console()
err_console = Console(stderr=True)

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_FIGURE = re.compile(r"-?[\d.,]+%?|—")


class TableFormat(enum.StrEnum):
    table = "table"
    json = "json"


class ListFormat(enum.StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


TableOutput = Annotated[
    TableFormat, typer.Option("--format", help="Çıktı biçimi / output format: table | json.")
]
ListOutput = Annotated[
    ListFormat, typer.Option("--format", help="Çıktı biçimi / output format: table | csv | json.")
]


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


def excel_safe(value: Any) -> str:
    """A CSV cell that Excel will not evaluate as a formula (OWASP CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def emit_csv(columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> None:
    writer = csv.writer(sys.stdout, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([excel_safe(_default_cell(row.get(c))) for c in columns])


def _default_cell(value: Any) -> Any:
    if isinstance(value, datetime | date | time | enum.Enum):
        return _default(value)
    return value


def emit_table(
    columns: Sequence[str], rows: Iterable[Mapping[str, Any]], *, title: str | None = None
) -> None:
    rows = list(rows)
    table = Table(title=title, box=box.SIMPLE_HEAD, pad_edge=False)
    for index, column in enumerate(columns):
        values = [row.get(column) for row in rows if row.get(column) is not None]
        numeric = bool(values) and all(_is_figure(v) for v in values)
        table.add_column(
            column, justify="right" if numeric else "left", no_wrap=index == 0 and not numeric
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
    if isinstance(value, float):
        return f"{value:.1%}" if 0 <= value <= 1 else f"{value:.2f}"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    # Data, not markup: a name like "[b]" must print as typed.
    return escape(str(_default_cell(value)))


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
