"""Reading the lists people bring (CSV or XLSX): the options every import command shares."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from campaigns.core.column_headers import FieldSpec, recogniser
from campaigns.core.tabular_files import Table, read_table

HeaderRow = Annotated[
    int | None,
    typer.Option(
        "--header-row",
        min=1,
        metavar="N",
        help="Başlık satırının numarası (üstünde başlık/açıklama varsa); verilmezse bulunur / "
        "the header's row number (when a title or a note is above it); found by default.",
    ),
]
Sheet = Annotated[
    str | None,
    typer.Option(
        "--sheet",
        metavar="AD",
        help="XLSX dosyasında okunacak sayfa (adı ya da 1'den numarası); yoksa ilk sayfa / "
        "the XLSX sheet to read (its name or number from 1); the first by default.",
    ),
]


def read_list(path: Path, spec: FieldSpec, header_row: int | None, sheet: str | None) -> Table:
    """A list's table, its header found among its first rows by the wordings of ``spec``."""
    return read_table(path, header_row=header_row, sheet=sheet, recognise=recogniser(spec))
