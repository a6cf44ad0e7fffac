"""``campaigns conversions``: mark students as registered (or form handed in) from a list."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from campaigns.cli import context
from campaigns.cli.files import HeaderRow, Sheet, read_list
from campaigns.cli.output import TableFormat, TableOutput, console, emit_json, emit_table
from campaigns.conversions.importing import CONVERSION_COLUMNS, import_conversions
from campaigns.core.column_headers import parse_overrides
from campaigns.core.models import ConversionStage

app = typer.Typer(no_args_is_help=True)


@app.command("import")
def import_file(
    file: Annotated[Path, typer.Argument(help="CSV veya XLSX / CSV or XLSX file.")],
    stage: Annotated[
        ConversionStage,
        typer.Option(
            help="registered = Mezun Bilgi Sistemi kaydı / membership; "
            "form_submitted = üyelik formu teslim / membership form handed in."
        ),
    ] = ConversionStage.REGISTERED,
    mapping: Annotated[
        list[str] | None,
        typer.Option("--map", help="'Sütun Adı=alan' (student_no, occurred_at); repeatable."),
    ] = None,
    header_row: HeaderRow = None,
    sheet: Sheet = None,
    output: TableOutput = TableFormat.table,
) -> None:
    """Kayıt olanları işle / record students who registered (or handed in the form).

    The list needs student numbers; times, when it has them, without a time zone are read in
    CAMPAIGNS_TIMEZONE, and a list without times is recorded as of now. Importing the same
    list again changes nothing; an earlier time for a known conversion moves it back.
    """
    table = read_list(file, CONVERSION_COLUMNS, header_row, sheet)
    settings = context.settings()
    with context.db().session() as session:
        report = import_conversions(
            session,
            table,
            stage=stage,
            zone=settings.zone,
            overrides=parse_overrides(mapping or []),
        )
    if output is TableFormat.json:
        emit_json(report.as_dict())
        return
    counts = report.as_dict()
    emit_table(
        [
            "yeni / recorded",
            "öne alındı / earlier",
            "aynı / unchanged",
            "eşleşmedi / unmatched",
            "reddedildi / rejected",
        ],
        [
            {
                "yeni / recorded": counts["recorded"],
                "öne alındı / earlier": counts["earlier"],
                "aynı / unchanged": counts["unchanged"],
                "eşleşmedi / unmatched": counts["unmatched"],
                "reddedildi / rejected": counts["rejected"],
            }
        ],
        title=f"{file.name}: {stage.value}",
    )
    if report.issues:
        emit_table(["row", "student_no", "field", "severity", "reason"], report.issues)
    if report.recorded_as_of is not None:
        console.print(
            "Dosyada tarih sütunu yok: kayıtlar şimdiki zamanla işlendi / the file has no time "
            "column: the conversions were recorded as of now."
        )
    if counts["unmatched"]:
        console.print(
            "Listede olmayan öğrenci numaraları saklandı; öğrenci listesi içe aktarılınca "
            "eşleşecek / unknown student numbers were kept and will match once imported."
        )
