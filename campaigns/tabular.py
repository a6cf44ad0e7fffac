"""Read a CSV or XLSX file into a header and data rows numbered as a spreadsheet shows them.

The reader knows nothing about what the columns mean; it only turns bytes into cells, drops
blank rows, and sets aside rows that are not data (total lines, rows wider than the header)
with a reason, so callers can report them instead of losing them silently.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Literal, TypeAlias

from campaigns.errors import UnreadableFileError
from campaigns.text import clean, fold

Cell: TypeAlias = str | datetime | date | time
"""A cell as a person sees it: text, or a date/time when the spreadsheet stores one."""

Severity: TypeAlias = Literal["warning", "error"]

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls (and other Office 97 files)
_DELIMITERS = (",", ";", "\t")
_SEP_HINT = re.compile(r"sep=([,;\t|])[ \t]*(?:\r\n|\n|\r)", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f]")
_NUMBER = re.compile(r"[-+]?\d+(?:[.,]\d+)*")
_TOTAL_LABELS = ("toplam", "genel toplam", "ara toplam", "total", "grand total", "subtotal")

TOTAL_ROW_REASON = (
    "toplam satırı gibi görünüyor; içe aktarılmadı / looks like a total row: not imported"
)
WIDE_ROW_REASON = (
    "satırda başlıktan fazla dolu hücre var (ayraç kayması?); alınmadı / "
    "row has more filled cells than the header (shifted columns?): not imported"
)


@dataclass(frozen=True, slots=True)
class Row:
    """A data row; ``number`` is its 1-based row number as a spreadsheet shows it."""

    number: int
    cells: tuple[Cell, ...]

    def cell(self, index: int) -> Cell:
        """The cell in column ``index`` (0-based); ``""`` past the end of a short row."""
        return self.cells[index] if index < len(self.cells) else ""


@dataclass(frozen=True, slots=True)
class SetAside:
    """A non-blank row that is not returned as data, and why."""

    row: int
    severity: Severity
    reason: str


@dataclass(frozen=True, slots=True)
class Table:
    """A file's header cells, its data rows, and the rows set aside."""

    name: str
    headers: tuple[str, ...]
    rows: list[Row]
    set_aside: list[SetAside] = field(default_factory=list)


def read_table(path: Path) -> Table:
    """Read a CSV or XLSX file; raise ``UnreadableFileError`` when it cannot be read at all."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise UnreadableFileError(
            f"dosya bulunamadı: {path.name} / file not found: {path.name}"
        ) from None
    except OSError as exc:
        raise UnreadableFileError(
            f"dosya açılamadı: {path.name} ({exc.strerror}) / "
            f"cannot open the file: {path.name} ({exc.strerror})"
        ) from None
    return parse_table(data, name=path.name)


def parse_table(data: bytes, *, name: str) -> Table:
    """Parse file contents; the format is recognised from the bytes, not from the name."""
    if not data.strip():
        raise UnreadableFileError(f"dosya boş: {name} / the file is empty: {name}")
    if data.startswith(_OLE_MAGIC):
        raise UnreadableFileError(
            f"eski Excel (.xls) biçimi desteklenmiyor; dosyayı .xlsx veya CSV olarak kaydedin: "
            f"{name} / the old Excel (.xls) format is not supported: save it as .xlsx or CSV"
        )
    if data.startswith(_ZIP_MAGIC):
        # Cells of a sheet cannot shift, so an extra unlabelled cell is just an unused column.
        return _build_table(_xlsx_rows(data, name), name, strict_width=False)
    return _build_table(_csv_rows(data, name), name, strict_width=True)


def as_text(cell: Cell) -> str:
    """A cell as cleaned text; dates as ISO 8601 (a date at midnight without the time)."""
    if isinstance(cell, str):
        return clean(cell)
    if isinstance(cell, datetime) and cell.time() == time(0):
        return cell.date().isoformat()
    return cell.isoformat()


def _unreadable_text(name: str) -> UnreadableFileError:
    return UnreadableFileError(
        f"dosya CSV veya XLSX değil ya da karakter kodlaması tanınmadı (UTF-8 veya Windows-1254 "
        f"bekleniyor): {name} / the file is neither CSV nor XLSX, or its text encoding is not "
        f"UTF-8 or Windows-1254: {name}"
    )


def _decode(data: bytes, name: str) -> str:
    # Excel saves "CSV UTF-8" with a BOM, plain "CSV" in the Windows code page (1254 in
    # Turkish), and "Unicode text" as UTF-16; strict UTF-8 first, since 1254 accepts almost
    # any byte sequence and would garble UTF-8 text silently.
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings: Sequence[str] = ("utf-16",)
    else:
        encodings = ("utf-8-sig", "cp1254")
    for encoding in encodings:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _CONTROL.search(text):
            break  # binary content that happens to decode
        return text
    raise _unreadable_text(name)


def _detect_delimiter(text: str) -> str:
    """The candidate splitting the header line into the most fields (comma on a tie)."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    best, best_count = ",", 1
    for delimiter in _DELIMITERS:
        count = len(next(csv.reader([first], delimiter=delimiter), []))
        if count > best_count:
            best, best_count = delimiter, count
    return best


def _csv_rows(data: bytes, name: str) -> list[list[Cell]]:
    text = _decode(data, name)
    hint = _SEP_HINT.match(text)
    if hint:
        # Excel's "sep=;" first line names the delimiter and is not shown as a row.
        delimiter, text = hint.group(1), text[hint.end() :]
    else:
        delimiter = _detect_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        # One record is one spreadsheet row, even when a quoted cell spans several lines.
        return [list(record) for record in reader]
    except csv.Error as exc:
        raise UnreadableFileError(
            f"CSV dosyası okunamadı ({exc}): {name} / the CSV file cannot be read ({exc}): {name}"
        ) from None


def _xlsx_rows(data: bytes, name: str) -> list[list[Cell]]:
    from openpyxl import load_workbook

    try:
        with warnings.catch_warnings():
            # openpyxl warns about styles and extensions it ignores; they do not affect values.
            warnings.simplefilter("ignore")
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            try:
                if not workbook.worksheets:
                    return []
                sheet = workbook.worksheets[0]
                # Some producers write a wrong dimension tag, which would truncate the sheet.
                sheet.reset_dimensions()
                return [
                    [_xlsx_cell(v) for v in values] for values in sheet.iter_rows(values_only=True)
                ]
            finally:
                workbook.close()
    except Exception as exc:  # openpyxl and zipfile raise many types on malformed workbooks
        raise UnreadableFileError(
            f"XLSX dosyası okunamadı (bozuk olabilir): {name} / "
            f"the XLSX file cannot be read (it may be corrupt): {name}"
        ) from exc


def _xlsx_cell(value: object) -> Cell:
    """What a person sees in the cell: whole numbers without ``.0``, dates as dates."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime | date | time):
        return value
    return str(value)


def _is_blank(cells: Sequence[Cell]) -> bool:
    return all(isinstance(c, str) and not c.strip() for c in cells)


def _build_table(raw_rows: list[list[Cell]], name: str, *, strict_width: bool) -> Table:
    numbered = [(n, cells) for n, cells in enumerate(raw_rows, start=1) if not _is_blank(cells)]
    if not numbered:
        raise UnreadableFileError(
            f"dosyada başlık satırı yok: {name} / the file has no header row: {name}"
        )
    _, header_cells = numbered[0]
    headers = [as_text(c) for c in header_cells]
    while headers and not headers[-1]:
        headers.pop()
    if not any(headers):
        raise UnreadableFileError(
            f"dosyada başlık satırı yok: {name} / the file has no header row: {name}"
        )
    width = len(headers)

    rows: list[Row] = []
    set_aside: list[SetAside] = []
    data = numbered[1:]
    trailing = _trailing_summary_count(data)
    for position, (number, cells) in enumerate(data):
        if position >= len(data) - trailing or _is_total_line(cells):
            set_aside.append(SetAside(number, "warning", TOTAL_ROW_REASON))
        elif strict_width and any(not _is_empty(c) for c in cells[width:]):
            set_aside.append(SetAside(number, "error", WIDE_ROW_REASON))
        else:
            rows.append(Row(number, tuple(cells[:width])))
    return Table(name=name, headers=tuple(headers), rows=rows, set_aside=set_aside)


def _is_empty(cell: Cell) -> bool:
    return isinstance(cell, str) and not cell.strip()


def _filled(cells: Sequence[Cell]) -> list[Cell]:
    return [c for c in cells if not _is_empty(c)]


def _is_number(cell: Cell) -> bool:
    return isinstance(cell, str) and _NUMBER.fullmatch(cell.strip()) is not None


def _is_total_label(cell: Cell) -> bool:
    key = fold(cell) if isinstance(cell, str) else ""
    return any(key == label or key.startswith(label + " ") for label in _TOTAL_LABELS)


def _is_total_line(cells: Sequence[Cell]) -> bool:
    """A "Toplam"/"Total" label, and numbers only beside it, wherever it appears."""
    label: Cell | None = None
    for cell in cells:
        if _is_empty(cell) or _is_number(cell):
            continue
        if label is not None:
            return False  # a second label: a record, not a total (the common, fast case)
        label = cell
    return label is not None and _is_total_label(label)


def _is_label_and_count(cells: Sequence[Cell]) -> bool:
    """Exactly a text label followed by a number, e.g. ``"Öğrenci sayısı", 2000``."""
    filled = _filled(cells)
    return (
        len(filled) == 2
        and not _is_number(filled[0])
        and isinstance(filled[0], str)
        and _is_number(filled[1])
    )


def _trailing_summary_count(data: Sequence[tuple[int, list[Cell]]]) -> int:
    """How many rows at the end of the data are summaries rather than records."""
    count = 0
    for _, cells in reversed(data):
        if not (_is_total_line(cells) or _is_label_and_count(cells)):
            break
        count += 1
    # A file whose every row looks like "label, number" is data (e.g. a two-column list).
    return count if count < len(data) else 0
