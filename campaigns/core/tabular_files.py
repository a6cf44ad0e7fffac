"""Read a CSV or XLSX file into a header and data rows numbered as a spreadsheet shows them.

The reader knows nothing about what the columns mean; it only turns bytes into cells, finds
the header row (below a title, if the caller can recognise headers), drops blank rows, and
sets aside rows that are not data (title lines, total lines, rows wider than the header) with
a reason, so callers can report them instead of losing them silently.

Files are bounded: rows are read one at a time, and a file above the limits (size, rows,
columns, an XLSX that unpacks to far more than it weighs) is refused with a clear error
before it can cost minutes or gigabytes.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import warnings
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from pathlib import Path
from typing import Final, Literal, TypeAlias

from campaigns.core.errors import UnreadableFileError
from campaigns.core.turkish_text import clean, fold


@dataclass(frozen=True, slots=True)
class Formula:
    """An XLSX cell holding a formula whose value was never stored (the file was written by
    a program that does not compute formulas): its value is unknown."""

    text: str


Cell: TypeAlias = str | datetime | date | time | Formula
"""A cell as a person sees it: text, or a date/time when the spreadsheet stores one."""

Severity: TypeAlias = Literal["warning", "error"]
Recognise: TypeAlias = Callable[[Sequence[str]], int]
"""How many of a row's cells a caller recognises as column headers."""

MAX_FILE_BYTES: Final = 100 * 2**20
MAX_UNPACKED_BYTES: Final = 200 * 2**20  # an XLSX's sheet or shared strings, unpacked
# Spreadsheet XML packs about tenfold; a part packed a hundredfold is made to explode.
MAX_PACKING_RATIO: Final = 100
BOMB_MIN_BYTES: Final = 20 * 2**20
MAX_ROWS: Final = 250_000
MAX_COLUMNS: Final = 200
# A title or a note above the header is found within this many non-blank rows.
HEADER_SEARCH_ROWS: Final = 20

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
ABOVE_HEADER_REASON = (
    "başlık satırının üstünde (başlık, açıklama); okunmadı / above the header row (a title or "
    "a note): not read"
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
    """A file's header cells and their row number, its data rows, the rows set aside, and
    notes about the whole file (e.g. which sheet was read)."""

    name: str
    headers: tuple[str, ...]
    rows: list[Row]
    set_aside: list[SetAside] = field(default_factory=list)
    header_row: int = 1
    notes: list[str] = field(default_factory=list)


def read_table(
    path: Path,
    *,
    header_row: int | None = None,
    sheet: str | None = None,
    recognise: Recognise | None = None,
) -> Table:
    """Read a CSV or XLSX file; raise ``UnreadableFileError`` when it cannot be read at all.
    See ``parse_table`` for the options."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise _too_large(path.name)
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
    return parse_table(
        data, name=path.name, header_row=header_row, sheet=sheet, recognise=recognise
    )


def parse_table(
    data: bytes,
    *,
    name: str,
    header_row: int | None = None,
    sheet: str | None = None,
    recognise: Recognise | None = None,
) -> Table:
    """Parse file contents; the format is recognised from the bytes, not from the name.

    ``header_row`` names the header's row number (1 = the first); otherwise it is the first
    of the first rows in which ``recognise`` knows the most (at least two) headers, else the
    first non-blank row. ``sheet`` (a name or a number from 1) picks an XLSX sheet; the first
    one by default."""
    if len(data) > MAX_FILE_BYTES:
        raise _too_large(name)
    if not data.strip():
        raise UnreadableFileError(f"dosya boş: {name} / the file is empty: {name}")
    if data.startswith(_OLE_MAGIC):
        raise UnreadableFileError(
            f"eski Excel (.xls) biçimi desteklenmiyor; dosyayı .xlsx veya CSV olarak kaydedin: "
            f"{name} / the old Excel (.xls) format is not supported: save it as .xlsx or CSV"
        )
    if data.startswith(_ZIP_MAGIC):
        notes: list[str] = []
        with _Workbook(data, name, sheet) as workbook:
            notes = workbook.notes
            # Cells of a sheet cannot shift: an extra unlabelled cell is just an unused column.
            table = _build_table(
                workbook.rows(),
                name,
                strict_width=False,
                header_row=header_row,
                recognise=recognise,
            )
        return replace(table, notes=notes)
    if sheet is not None:
        raise UnreadableFileError(
            f"--sheet yalnızca XLSX dosyaları içindir: {name} / --sheet is for XLSX files "
            f"only: {name}"
        )
    return _build_table(
        _csv_rows(data, name),
        name,
        strict_width=True,
        header_row=header_row,
        recognise=recognise,
    )


def _too_large(name: str) -> UnreadableFileError:
    megabytes = MAX_FILE_BYTES // 2**20
    return UnreadableFileError(
        f"dosya çok büyük (en çok {megabytes} MB): {name} / the file is too large (at most "
        f"{megabytes} MB): {name}"
    )


def formula_reason(header: str, index: int, cell: Formula) -> str:
    """Why a formula cell cannot be read, naming its column by header and letter."""
    column = f"{header!r} ({_column_letter(index)})"
    return (
        f"{column} sütunundaki hücrede değeri kaydedilmemiş bir formül var ({cell.text}); "
        "dosyayı Excel'de açıp kaydedin ya da formülleri değer olarak yapıştırın / the cell "
        f"in column {column} holds a formula without a stored value ({cell.text}): open the "
        "file in Excel and save it, or paste the formulas as values"
    )


def _column_letter(index: int) -> str:
    """``0`` → ``A``, ``26`` → ``AA``: how a spreadsheet names a column."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def as_text(cell: Cell) -> str:
    """A cell as cleaned text; dates as ISO 8601 (a date at midnight without the time); a
    formula without a value as nothing (see ``Formula``)."""
    if isinstance(cell, str):
        return clean(cell)
    if isinstance(cell, Formula):
        return ""
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


def _csv_rows(data: bytes, name: str) -> Iterator[list[Cell]]:
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
        for record in reader:
            yield list(record)
    except csv.Error as exc:
        raise UnreadableFileError(
            f"CSV dosyası okunamadı ({exc}): {name} / the CSV file cannot be read ({exc}): {name}"
        ) from None


class _Workbook:
    """An XLSX file opened for reading one sheet row by row (openpyxl's read-only mode)."""

    def __init__(self, data: bytes, name: str, sheet: str | None) -> None:
        from openpyxl import load_workbook

        self.name = name
        self.notes: list[str] = []
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                self._check_sizes(archive)
                has_formulas = self._has_formulas(archive)
            with warnings.catch_warnings():
                # openpyxl warns about styles and extensions it ignores; values are unaffected.
                warnings.simplefilter("ignore")
                self.values = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
                # Formulas are read only when there are some (a second pass over the sheet).
                self.formulas = (
                    load_workbook(io.BytesIO(data), read_only=True, data_only=False)
                    if has_formulas
                    else None
                )
        except UnreadableFileError:
            raise
        except Exception as exc:  # zipfile and openpyxl raise many types on broken files
            raise self._broken() from exc
        self.index = self._choose(sheet)

    def _broken(self) -> UnreadableFileError:
        return UnreadableFileError(
            f"XLSX dosyası okunamadı (bozuk olabilir): {self.name} / "
            f"the XLSX file cannot be read (it may be corrupt): {self.name}"
        )

    def _check_sizes(self, archive: zipfile.ZipFile) -> None:
        """Refuse a workbook whose sheets unpack to more than any list needs (a zip bomb
        would otherwise take minutes and gigabytes)."""
        for member in archive.infolist():
            part = member.filename
            sheet_data = part.startswith("xl/worksheets/") or part == "xl/sharedStrings.xml"
            ratio = member.file_size / max(1, member.compress_size)
            bomb = member.file_size > BOMB_MIN_BYTES and ratio > MAX_PACKING_RATIO
            if sheet_data and (member.file_size > MAX_UNPACKED_BYTES or bomb):
                megabytes = MAX_UNPACKED_BYTES // 2**20
                raise UnreadableFileError(
                    f"XLSX sayfası çok büyük (açılınca {member.file_size // 2**20} MB; en "
                    f"çok {megabytes} MB): {self.name} / the XLSX sheet is too large "
                    f"({member.file_size // 2**20} MB unpacked; at most {megabytes} MB): "
                    f"{self.name}"
                )

    @staticmethod
    def _has_formulas(archive: zipfile.ZipFile) -> bool:
        for member in archive.infolist():
            if not member.filename.startswith("xl/worksheets/sheet"):
                continue
            with archive.open(member) as part:
                tail = b""
                while chunk := part.read(1 << 20):
                    if b"<f>" in tail + chunk or b"<f " in tail + chunk:
                        return True
                    tail = chunk[-3:]
        return False

    def _choose(self, sheet: str | None) -> int:
        names = list(self.values.sheetnames)
        if not names:
            raise UnreadableFileError(
                f"dosyada sayfa yok: {self.name} / the file has no sheet: {self.name}"
            )
        if sheet is None:
            if len(names) > 1:
                others = ", ".join(repr(n) for n in names[1:])
                self.notes.append(
                    f"ilk sayfa {names[0]!r} okundu; diğerleri ({others}) için --sheet "
                    f"kullanın / the first sheet {names[0]!r} was read; use --sheet for the "
                    f"others ({others})"
                )
            return 0
        wanted = clean(sheet)
        if wanted.isdigit() and 1 <= int(wanted) <= len(names):
            return int(wanted) - 1
        for index, candidate in enumerate(names):
            if fold(candidate) == fold(wanted):
                return index
        listed = ", ".join(repr(n) for n in names)
        raise UnreadableFileError(
            f"dosyada {wanted!r} sayfası yok (sayfalar: {listed}) / the file has no sheet "
            f"{wanted!r} (sheets: {listed})"
        )

    def rows(self) -> Iterator[list[Cell]]:
        """The chosen sheet's rows, one at a time."""
        values = self.values.worksheets[self.index]
        # Some producers write a wrong dimension tag, which would truncate the sheet.
        values.reset_dimensions()
        formulas: Iterable[tuple[object, ...] | None]
        if self.formulas is not None:
            sheet = self.formulas.worksheets[self.index]
            sheet.reset_dimensions()
            formulas = sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS + 1)
        else:
            formulas = iter(lambda: None, 0)  # never exhausted: no formulas
        read = values.iter_rows(values_only=True, max_col=MAX_COLUMNS + 1)
        try:
            for row, written in zip(read, formulas, strict=False):
                cells = [_xlsx_cell(v) for v in row]
                if written is not None:
                    for index, (value, formula) in enumerate(zip(row, written, strict=False)):
                        if value is None and isinstance(formula, str) and formula[:1] == "=":
                            cells[index] = Formula(formula)
                yield cells
        except (UnreadableFileError, GeneratorExit):
            raise
        except Exception as exc:
            raise self._broken() from exc

    def __enter__(self) -> _Workbook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.values.close()
        if self.formulas is not None:
            self.formulas.close()


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


def _build_table(
    raw_rows: Iterable[list[Cell]],
    name: str,
    *,
    strict_width: bool,
    header_row: int | None,
    recognise: Recognise | None,
) -> Table:
    numbered = ((n, cells) for n, cells in enumerate(raw_rows, start=1) if not _is_blank(cells))
    head: list[tuple[int, list[Cell]]] = []
    for number, cells in numbered:
        head.append((number, cells))
        if header_row is not None and number >= header_row:
            break
        if header_row is None and len(head) >= HEADER_SEARCH_ROWS:
            break
    found = _header_position(head, header_row, recognise, name)
    set_aside = [SetAside(n, "warning", ABOVE_HEADER_REASON) for n, _ in head[:found]]
    header_number, header_cells = head[found]
    headers = [as_text(c) for c in header_cells]
    while headers and not headers[-1]:
        headers.pop()
    if not any(headers):
        raise _no_header(name)
    width = len(headers)
    if width > MAX_COLUMNS:
        raise UnreadableFileError(
            f"çok fazla sütun ({width}; en çok {MAX_COLUMNS}): {name} / too many columns "
            f"({width}; at most {MAX_COLUMNS}): {name}"
        )

    data: list[tuple[int, list[Cell]]] = []
    for number, cells in [*head[found + 1 :], *numbered]:
        if len(data) >= MAX_ROWS:
            raise UnreadableFileError(
                f"dosyada {MAX_ROWS:,} satırdan fazla var; listeyi bölün: {name} / the file has "
                f"more than {MAX_ROWS:,} rows; split the list: {name}"
            )
        # Only what a wide row needs to be told apart is kept beyond the header's width.
        data.append((number, cells[: width + 1] if not strict_width else cells))

    rows: list[Row] = []
    trailing = _trailing_summary_count(data)
    for position, (number, cells) in enumerate(data):
        if position >= len(data) - trailing or _is_total_line(cells):
            set_aside.append(SetAside(number, "warning", TOTAL_ROW_REASON))
        elif strict_width and any(not _is_empty(c) for c in cells[width:]):
            set_aside.append(SetAside(number, "error", WIDE_ROW_REASON))
        else:
            rows.append(Row(number, tuple(cells[:width])))
    return Table(
        name=name,
        headers=tuple(headers),
        rows=rows,
        set_aside=set_aside,
        header_row=header_number,
    )


def _header_position(
    head: list[tuple[int, list[Cell]]],
    header_row: int | None,
    recognise: Recognise | None,
    name: str,
) -> int:
    """Which of the first non-blank rows is the header (see ``parse_table``)."""
    if not head:
        raise _no_header(name)
    if header_row is not None:
        for position, (number, _) in enumerate(head):
            if number == header_row:
                return position
        raise UnreadableFileError(
            f"{header_row}. satır boş ya da dosyada yok: {name} / row {header_row} is blank or "
            f"beyond the end of the file: {name}"
        )
    if recognise is None:
        return 0
    scores = [recognise([as_text(c) for c in cells]) for _, cells in head]
    best = max(scores)
    return scores.index(best) if best >= 2 else 0


def _no_header(name: str) -> UnreadableFileError:
    return UnreadableFileError(
        f"dosyada başlık satırı yok: {name} / the file has no header row: {name}"
    )


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
