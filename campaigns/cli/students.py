"""``campaigns students``: import the registrar's lists, list the students imported."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from sqlalchemy import true

from campaigns.cli import context
from campaigns.cli.files import HeaderRow, Sheet, read_list
from campaigns.cli.output import (
    ListFormat,
    ListOutput,
    TableFormat,
    console,
    emit_file,
    emit_json,
    emit_table,
    err_console,
)
from campaigns.core.actors import Actor
from campaigns.core.column_headers import parse_overrides
from campaigns.core.models import Student
from campaigns.students.importing import FIELDS, STUDENT_COLUMNS, ImportReport, import_list
from campaigns.students.importing import Progress as ProgressCallback
from campaigns.students.search import search_students

app = typer.Typer(no_args_is_help=True)

PROGRESS_THRESHOLD = 2000
"""Files with more data rows than this show a progress bar (table output only)."""

SHOWN_ISSUES = 200

# Help texts are single logical lines per paragraph so the terminal, not the source, wraps them.
IMPORT_HELP = (
    "Öğrenci İşleri listesini içe aktarır / import the registrar's list of graduating "
    "students.\n\n"
    "Öğrenciler öğrenci numarasıyla eşleşir: yeniler eklenir, mevcutlar güncellenir; dosyanın "
    "tamamı tek işlemdir. Hatalı satırlar reddedilip listelenir, uyarılı satırlar alınır / "
    "students are matched by student number: new ones are added, existing ones updated, in "
    "one transaction. Rows with errors are rejected and listed; rows with warnings are "
    "imported and listed.\n\n"
    "Çıkış kodları / exit codes: 0 = dosya okundu, bazı satırlar reddedilmiş olsa bile / the "
    "file was read, even if some rows were rejected; 1 = tüm satırlar reddedildi, hiçbir şey "
    "alınmadı / every row was rejected, nothing was imported; 2 = dosya okunamadı (biçim, "
    "karakter kodlaması, öğrenci numarası veya KVKK iletişim izni gibi zorunlu bir sütun "
    "eksik) / the file cannot be read (format, encoding, or a required column such as the "
    "student number or the contact consent is missing)."
)
LIST_HELP = (
    "İçe aktarılan öğrencileri öğrenci numarası sırasıyla listeler / list imported students "
    "ordered by student number.\n\n"
    "Filtreler büyük/küçük harf ve Türkçe karakter ayırt etmez ('muhendislik fakultesi', "
    "'Mühendislik Fakültesi'yi bulur) / filters ignore case and Turkish letters."
)

LIST_COLUMNS = ("student_no", *FIELDS)
# What fits an 80-column terminal; CSV, XLSX and JSON carry every field.
TABLE_COLUMNS = (
    "student_no",
    "first_name",
    "last_name",
    "department",
    "graduation_term",
    "contact_consent",
)


@app.command("import", help=IMPORT_HELP)
def import_command(
    file: Annotated[
        Path,
        typer.Argument(
            help="Öğrenci İşleri listesi (CSV veya XLSX) / the registrar's list (CSV or XLSX).",
            show_default=False,
        ),
    ],
    term: Annotated[
        str | None,
        typer.Option(
            "--term",
            help=(
                "Mezuniyet dönemi boş satırlar için dönem, ör. '2024-2025 Bahar' / "
                "graduation term for rows without one, e.g. '2024-2025 Bahar'."
            ),
        ),
    ] = None,
    mapping: Annotated[
        list[str] | None,
        typer.Option(
            "--map",
            metavar="SÜTUN=ALAN",
            help=(
                "Tanınmayan bir sütunu bir alana bağlar, ör. --map 'Tel No=phone'; tekrar "
                "verilebilir / map a column to a field, e.g. --map 'Tel No=phone'; repeatable. "
                f"Alanlar / fields: {', '.join(STUDENT_COLUMNS)}."
            ),
        ),
    ] = None,
    header_row: HeaderRow = None,
    sheet: Sheet = None,
    output: Annotated[
        TableFormat,
        typer.Option("--format", help="Çıktı biçimi / output format: table or json (the report)."),
    ] = TableFormat.table,
) -> None:
    """Import a list of graduating students (see ``IMPORT_HELP``)."""
    overrides = parse_overrides(mapping or [])
    table = read_list(file, STUDENT_COLUMNS, header_row, sheet)
    database = context.db()
    show_progress = output is TableFormat.table and len(table.rows) > PROGRESS_THRESHOLD
    total = len(table.rows) if show_progress else None
    with database.session() as session, _progress_bar(total) as progress:
        report = import_list(
            session,
            Actor.operator(),
            table,
            source=file.name,
            term=term,
            overrides=overrides,
            progress=progress,
        )

    if output is TableFormat.json:
        emit_json(report.as_dict())
    else:
        _print_report(report, file.name)
    if report.rows and not report.accepted:
        raise typer.Exit(1)


@app.command("list", help=LIST_HELP)
def list_command(
    term: Annotated[
        str | None, typer.Option("--term", help="Mezuniyet dönemi / graduation term.")
    ] = None,
    faculty: Annotated[str | None, typer.Option("--faculty", help="Fakülte / faculty.")] = None,
    department: Annotated[
        str | None, typer.Option("--department", help="Bölüm / department.")
    ] = None,
    degree: Annotated[
        str | None,
        typer.Option(
            "--degree", help="Öğrenim düzeyi (lisans, YL, doktora…) / degree (lisans, master…)."
        ),
    ] = None,
    advisor: Annotated[
        str | None,
        typer.Option("--advisor", help="Danışman e-posta adresi / advisor's e-mail address."),
    ] = None,
    consent: Annotated[
        bool | None,
        typer.Option(
            "--consent/--no-consent",
            help="Yalnız iletişim izni olanlar (--consent) ya da olmayanlar (--no-consent) / "
            "only students with (--consent) or without (--no-consent) contact consent.",
            show_default=False,
        ),
    ] = None,
    limit: Annotated[
        int | None, typer.Option("--limit", min=1, help="En çok kaç öğrenci / at most N.")
    ] = None,
    output: ListOutput = ListFormat.table,
) -> None:
    """List imported students (see ``LIST_HELP``)."""
    database = context.db()
    with database.session() as session:
        students = search_students(
            session,
            true(),
            term=term,
            faculty=faculty,
            department=department,
            degree=degree,
            advisor_email=advisor,
            consent=consent,
            limit=limit,
        ).students
        rows = [_student_row(s) for s in students]

    if output is ListFormat.json:
        emit_json(rows)
    elif output is not ListFormat.table:
        emit_file(output, LIST_COLUMNS, rows)
    else:
        emit_table(TABLE_COLUMNS, rows, title=f"{len(rows)} öğrenci / students")


def _student_row(student: Student) -> dict[str, Any]:
    return {column: getattr(student, column) for column in LIST_COLUMNS}


@contextmanager
def _progress_bar(total: int | None) -> Iterator[ProgressCallback | None]:
    """A transient bar on stderr (stdout stays clean for the report), or nothing."""
    if total is None:
        yield None
        return
    with Progress(
        TextColumn("satırlar / rows"),
        BarColumn(),
        MofNCompleteColumn(),
        console=err_console,
        transient=True,
    ) as bar:
        task = bar.add_task("import", total=total)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


def _print_report(report: ImportReport, name: str) -> None:
    emit_table(
        ("sonuç / outcome", "satır / rows"),
        [
            {"sonuç / outcome": "yeni / imported", "satır / rows": str(report.imported)},
            {"sonuç / outcome": "güncellendi / updated", "satır / rows": str(report.updated)},
            {"sonuç / outcome": "değişmedi / unchanged", "satır / rows": str(report.unchanged)},
            {"sonuç / outcome": "reddedildi / rejected", "satır / rows": str(report.rejected)},
            {"sonuç / outcome": "toplam satırı / total rows", "satır / rows": str(report.skipped)},
        ],
        title=name,
    )
    if report.issues:
        shown = report.issues[:SHOWN_ISSUES]
        emit_table(
            (
                "satır / row",
                "öğrenci no / student no",
                "alan / field",
                "düzey / severity",
                "neden / reason",
            ),
            [
                {
                    "satır / row": str(issue.row),
                    "öğrenci no / student no": issue.student_no,
                    "alan / field": issue.field,
                    "düzey / severity": "hata / error"
                    if issue.severity == "error"
                    else "uyarı / warning",
                    "neden / reason": issue.reason,
                }
                for issue in shown
            ],
            title="sorunlar / issues",
        )
        hidden = len(report.issues) - len(shown)
        if hidden:
            console.print(
                f"… ve {hidden} sorun daha; tümü için --format json / "
                f"… and {hidden} more issues: use --format json to see them all",
                highlight=False,
            )
    if report.changes:
        per_field = Counter(f for change in report.changes for f in change.fields)
        emit_table(
            ("alan / field", "öğrenci / students"),
            [{"alan / field": f, "öğrenci / students": str(n)} for f, n in per_field.items()],
            title="değişen alanlar (öğrenci bazında: --format json) / "
            "changed fields (per student: --format json)",
        )
