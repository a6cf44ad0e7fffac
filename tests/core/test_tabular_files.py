"""Reading CSV and XLSX files into headers and numbered rows."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import Workbook

from campaigns.core import tabular_files
from campaigns.core.errors import UnreadableFileError
from campaigns.core.tabular_files import (
    TOTAL_ROW_REASON,
    WIDE_ROW_REASON,
    Formula,
    as_text,
    formula_reason,
    parse_table,
    read_table,
)
from tests.support.paths import FIXTURES

EN_SAMPLE = FIXTURES / "graduates_sample.csv"
TR_SAMPLE = FIXTURES / "graduates_sample_tr.csv"


def xlsx_bytes(rows: list[list[object]], *, sheets: int = 1) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    for extra in range(1, sheets):
        other = workbook.create_sheet(f"Sheet{extra + 1}")
        other.append(["başka", "sayfa"])
        workbook.active = extra  # the reader must still take the first sheet
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_english_sample_is_comma_separated_with_rows_numbered_from_two() -> None:
    table = read_table(EN_SAMPLE)

    assert table.headers[0] == "student_no"
    assert table.headers[-1] == "graduation_term"
    assert len(table.headers) == 15
    assert len(table.rows) == 2000
    assert table.rows[0].number == 2
    assert table.rows[-1].number == 2001
    assert table.rows[0].cells[:3] == ("15568816", "Zeynep", "İnce")
    assert table.set_aside == []


def test_turkish_sample_drops_bom_splits_on_semicolons_and_strips_crlf() -> None:
    table = read_table(TR_SAMPLE)

    assert table.headers[0] == "Öğrenci No"  # no BOM glued to the first header
    assert table.headers[-1] == "Mezuniyet Dönemi"  # no "\r" left by CRLF
    assert len(table.rows) == 50
    assert table.rows[0].cells[2] == "İNCE"
    assert table.rows[-1].cells[-1] == "2019-2020 Bahar"


def test_windows_1254_copy_reads_the_same_as_utf8() -> None:
    utf8 = read_table(TR_SAMPLE)
    legacy = TR_SAMPLE.read_bytes().decode("utf-8-sig").encode("cp1254")

    table = parse_table(legacy, name="liste.csv")

    assert table.headers == utf8.headers
    assert table.rows == utf8.rows


def test_tab_separated_text_is_recognised() -> None:
    table = parse_table("Öğrenci No\tAdı\n1\tAyşe\n".encode(), name="x.txt")

    assert table.headers == ("Öğrenci No", "Adı")
    assert table.rows[0].cells == ("1", "Ayşe")


def test_excel_unicode_text_is_utf16_with_tabs() -> None:
    table = parse_table("Öğrenci No\tAdı\r\n1\tİlkay\r\n".encode("utf-16"), name="x.txt")

    assert table.headers == ("Öğrenci No", "Adı")
    assert table.rows[0].cells == ("1", "İlkay")


def test_delimiter_comes_from_the_header_even_when_cells_contain_commas() -> None:
    text = "No;Danışman\n1;Yılmaz, Ayşe\n"

    table = parse_table(text.encode(), name="x.csv")

    assert table.rows[0].cells == ("1", "Yılmaz, Ayşe")


def test_excel_sep_hint_names_the_delimiter_and_is_not_a_row() -> None:
    text = "sep=;\r\nNo;Danışman\r\n1;Yılmaz, Ayşe\r\n"

    table = parse_table(text.encode("utf-8-sig"), name="x.csv")

    assert table.headers == ("No", "Danışman")
    assert [(r.number, r.cells) for r in table.rows] == [(2, ("1", "Yılmaz, Ayşe"))]


def test_blank_rows_are_ignored_but_row_numbers_stay_those_of_the_sheet() -> None:
    text = 'No,Ad\n1,Ayşe\n,\n\n2,"Ali\nVeli"\n3,Can\n'

    table = parse_table(text.encode(), name="x.csv")

    # Row 5 spans two lines of text but is one spreadsheet row; row 6 follows it.
    assert [(r.number, r.cells[0]) for r in table.rows] == [(2, "1"), (5, "2"), (6, "3")]
    assert table.set_aside == []


def test_header_may_come_after_blank_lines() -> None:
    table = parse_table(b"\n\nNo,Ad\n1,Ayse\n", name="x.csv")

    assert table.headers == ("No", "Ad")
    assert table.rows[0].number == 4


@pytest.mark.parametrize(
    "trailer",
    [
        ["Toplam", "", "3"],
        ["Genel Toplam:", "3", ""],
        ["TOPLAM ÖĞRENCİ SAYISI", "", "3"],
        ["Total", "", ""],
        ["Öğrenci sayısı", "3", ""],
        ["", "Grand total", "3"],
    ],
)
def test_trailing_total_rows_are_set_aside_as_warnings(trailer: list[str]) -> None:
    lines = ["No,Ad,Bölüm", "1,Ayşe,Tıp", "2,Ali,Tıp", "3,Can,Tıp", "", ",".join(trailer)]

    table = parse_table("\n".join(lines).encode(), name="x.csv")

    assert [r.number for r in table.rows] == [2, 3, 4]
    assert [(a.row, a.severity, a.reason) for a in table.set_aside] == [
        (6, "warning", TOTAL_ROW_REASON)
    ]
    assert TOTAL_ROW_REASON.startswith("toplam satırı")
    assert "total row" in TOTAL_ROW_REASON


def test_a_total_label_inside_a_record_does_not_make_it_a_total_row() -> None:
    text = "No,Ad,Bölüm\n1,Toplam,Tıp\n2,Ali,Toplam Kalite\n"

    table = parse_table(text.encode(), name="x.csv")

    assert [r.number for r in table.rows] == [2, 3]
    assert table.set_aside == []


def test_a_row_wider_than_the_header_is_set_aside_as_an_error() -> None:
    # An unquoted comma shifted the columns: importing it would store values in wrong fields.
    text = "No,Danışman,Bölüm\n1,Ayşe,Tıp\n2,Yılmaz, Ali,Tıp\n3,Can,Tıp,\n"

    table = parse_table(text.encode(), name="x.csv")

    assert [r.number for r in table.rows] == [2, 4]  # an empty trailing cell is harmless
    assert [(a.row, a.severity, a.reason) for a in table.set_aside] == [
        (3, "error", WIDE_ROW_REASON)
    ]


def test_xlsx_cells_beyond_the_header_are_an_unused_column_not_an_error() -> None:
    data = xlsx_bytes([["No", "Ad"], [1, "Ayşe", "not: arayın"]])

    table = parse_table(data, name="liste.xlsx")

    assert [(r.number, r.cells) for r in table.rows] == [(2, ("1", "Ayşe"))]
    assert table.set_aside == []


def test_xlsx_numbers_read_as_the_text_a_person_sees() -> None:
    born = datetime(2001, 5, 17)
    data = xlsx_bytes(
        [
            ["Öğrenci No", "Cep Telefonu", "Not", "Tarih", "Onay"],
            [15568816, 5321234567, 3.5, born, True],
            [15568817.0, 5321234568.0, None, None, False],
            [None, None, None, None, None],
            ["19407475", "0532 123 45 67", "", "", ""],
            ["Toplam", 3, None, None, None],
        ],
        sheets=2,
    )

    table = parse_table(data, name="liste.xlsx")

    assert table.headers == ("Öğrenci No", "Cep Telefonu", "Not", "Tarih", "Onay")
    assert [r.number for r in table.rows] == [2, 3, 5]
    assert table.rows[0].cells == ("15568816", "5321234567", "3.5", born, "TRUE")
    assert table.rows[1].cells[:2] == ("15568817", "5321234568")
    assert table.rows[2].cells[:2] == ("19407475", "0532 123 45 67")
    assert [(a.row, a.severity) for a in table.set_aside] == [(6, "warning")]


def test_cell_text_of_dates() -> None:
    assert as_text(datetime(2024, 6, 30)) == "2024-06-30"
    assert as_text(datetime(2024, 6, 30, 9, 15)) == "2024-06-30T09:15:00"
    assert as_text("  Ayşe \u00a0 Nur ") == "Ayşe Nur"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "dosya boş"),
        (b"  \r\n\t\r\n", "dosya boş"),
        (b",,\n,,\n", "başlık satırı yok"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "CSV veya XLSX değil"),
        (b"PK\x03\x04 this is not really a zip archive", "XLSX dosyası okunamadı"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(64), ".xls"),
    ],
)
def test_unreadable_files_raise_one_bilingual_error(content: bytes, expected: str) -> None:
    with pytest.raises(UnreadableFileError) as caught:
        parse_table(content, name="liste.csv")

    message = str(caught.value)
    assert expected in message
    assert " / " in message  # Turkish, then English
    assert caught.value.exit_code == 2


def test_missing_file_is_unreadable(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFileError, match=r"dosya bulunamadı: yok\.csv / file not found"):
        read_table(tmp_path / "yok.csv")


# --- bounds, headers below a title, sheets, formulas ------------------------------------------


def with_sheet_xml(workbook: bytes, sheet_xml: bytes) -> bytes:
    """The workbook with its first sheet's XML replaced."""
    source = zipfile.ZipFile(io.BytesIO(workbook))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            target.writestr(item, sheet_xml if item.filename.endswith("sheet1.xml") else data)
    return out.getvalue()


def test_an_xlsx_that_unpacks_to_far_more_than_it_weighs_is_refused() -> None:
    cells = b'<c r="A1" t="inlineStr"><is><t>x</t></is></c>' * 700_000
    xml = (
        b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/'
        b'spreadsheetml/2006/main"><sheetData><row r="1">' + cells + b"</row></sheetData>"
        b"</worksheet>"
    )
    bomb = with_sheet_xml(xlsx_bytes([["a"]]), xml)
    assert len(bomb) < len(xml) / 100  # a few hundred kilobytes that unpack to megabytes
    with pytest.raises(UnreadableFileError, match="the XLSX sheet is too large"):
        parse_table(bomb, name="bomba.xlsx")


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_a_file_with_more_rows_than_the_limit_is_refused(
    kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tabular_files, "MAX_ROWS", 5)
    rows = [["no", "ad"], *[[str(i), "x"] for i in range(6)]]
    data = "\n".join(",".join(r) for r in rows).encode() if kind == "csv" else xlsx_bytes(rows)
    with pytest.raises(UnreadableFileError, match="more than 5 rows; split the list"):
        parse_table(data, name=f"liste.{kind}")
    exactly = rows[:-1]
    fits = (
        "\n".join(",".join(r) for r in exactly).encode() if kind == "csv" else xlsx_bytes(exactly)
    )
    assert len(parse_table(fits, name=f"liste.{kind}").rows) == 5


def test_too_many_columns_is_refused() -> None:
    with pytest.raises(UnreadableFileError, match="too many columns"):
        parse_table(",".join(f"c{i}" for i in range(300)).encode() + b"\n", name="genis.csv")


def known_headers(cells: object) -> int:
    return sum(1 for c in cells if c in {"Öğrenci No", "Adı", "Soyadı"})  # type: ignore[attr-defined]


def test_the_header_is_found_below_a_title() -> None:
    text = (
        "2024-2025 Bahar Dönemi Mezun Aday Listesi;;\n"
        "Hazırlayan: Öğrenci İşleri;;\n"
        ";;\n"
        "Öğrenci No;Adı;Soyadı\n"
        "1001;Ayşe;Yılmaz\n"
    ).encode()
    table = parse_table(text, name="liste.csv", recognise=known_headers)
    assert table.headers == ("Öğrenci No", "Adı", "Soyadı")
    assert table.header_row == 4
    assert [r.number for r in table.rows] == [5]
    assert [(a.row, a.severity) for a in table.set_aside] == [(1, "warning"), (2, "warning")]
    # Or named: the same table.
    named = parse_table(text, name="liste.csv", header_row=4)
    assert (named.headers, named.header_row) == (table.headers, 4)
    # Without a recognisable header the first row stays the header.
    assert parse_table(text, name="liste.csv").header_row == 1
    with pytest.raises(UnreadableFileError, match="row 3 is blank"):
        parse_table(text, name="liste.csv", header_row=3)


def two_sheets() -> bytes:
    workbook = Workbook()
    notes = workbook.active
    assert notes is not None
    notes.title = "Açıklama"
    notes.append(["Bu dosya Öğrenci İşleri tarafından hazırlanmıştır"])
    listed = workbook.create_sheet("Liste")
    listed.append(["Öğrenci No", "Adı"])
    listed.append([1001, "Ayşe"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_a_sheet_can_be_chosen_by_name_or_number() -> None:
    data = two_sheets()
    first = parse_table(data, name="liste.xlsx")
    assert first.headers == ("Bu dosya Öğrenci İşleri tarafından hazırlanmıştır",)
    assert first.notes == [
        "ilk sayfa 'Açıklama' okundu; diğerleri ('Liste') için --sheet kullanın / the first "
        "sheet 'Açıklama' was read; use --sheet for the others ('Liste')"
    ]
    for sheet in ("Liste", "LİSTE", "2"):
        chosen = parse_table(data, name="liste.xlsx", sheet=sheet)
        assert chosen.headers == ("Öğrenci No", "Adı")
        assert [r.cells for r in chosen.rows] == [("1001", "Ayşe")]
        assert chosen.notes == []
    with pytest.raises(
        UnreadableFileError, match=r"no sheet 'Özet' \(sheets: 'Açıklama', 'Liste'\)"
    ):
        parse_table(data, name="liste.xlsx", sheet="Özet")
    with pytest.raises(UnreadableFileError, match="for XLSX files only"):
        parse_table(b"a,b\n1,2\n", name="liste.csv", sheet="Liste")


def test_a_formula_without_a_stored_value_is_told_apart_from_an_empty_cell() -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["Öğrenci No", "Adı", "Soyadı"])
    sheet.append([1001, "Ayşe", "=UPPER(B2)"])  # openpyxl stores no value for it
    sheet.append([1002, "Can", None])
    buffer = io.BytesIO()
    workbook.save(buffer)
    table = parse_table(buffer.getvalue(), name="liste.xlsx")
    assert table.rows[0].cells[2] == Formula("=UPPER(B2)")
    assert table.rows[1].cells[2] == ""
    assert as_text(table.rows[0].cells[2]) == ""
    assert "column 'Soyadı' (C) holds a formula" in formula_reason(
        "Soyadı", 2, Formula("=UPPER(B2)")
    )
