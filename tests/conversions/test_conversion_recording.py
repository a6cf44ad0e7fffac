"""Conversions: idempotent, earliest time wins, unknown students kept and linked later."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from campaigns.cli import app, output
from campaigns.conversions.importing import parse_time
from campaigns.conversions.recording import ConversionInput, record_conversions
from campaigns.core.db import Database
from campaigns.core.models import Conversion, ConversionStage, utcnow
from campaigns.core.settings import Settings
from campaigns.students.importing import attach_waiting_conversions
from tests.support import factories

ISTANBUL = ZoneInfo("Europe/Istanbul")


def conversions(db: Database) -> dict[str, tuple[datetime, int | None]]:
    with db.session() as session:
        rows = session.scalars(select(Conversion)).all()
        return {c.student_no: (c.occurred_at, c.student_id) for c in rows}


def test_recording_is_idempotent_and_the_earliest_time_wins(db: Database) -> None:
    with db.session() as session:
        session.add(factories.student(student_no="501"))
    early = datetime(2020, 7, 1, 9, 0, tzinfo=UTC)
    late = datetime(2020, 7, 3, 9, 0, tzinfo=UTC)
    with db.session() as session:
        first = record_conversions(session, [ConversionInput("501", late)], source="import")
    with db.session() as session:
        again = record_conversions(session, [ConversionInput("501", late)], source="import")
    with db.session() as session:
        earlier = record_conversions(session, [ConversionInput("501", early)], source="webhook")
    with db.session() as session:
        later = record_conversions(session, [ConversionInput("501", late)], source="import")
    assert (first.recorded, again.unchanged, earlier.earlier, later.unchanged) == (1, 1, 1, 1)
    assert conversions(db)["501"][0] == early


def test_unknown_students_are_kept_and_linked_on_import(db: Database) -> None:
    when = datetime(2020, 7, 1, tzinfo=UTC)
    with db.session() as session:
        report = record_conversions(session, [ConversionInput("999", when)], source="import")
    assert report.unmatched == ["999"]
    assert conversions(db)["999"] == (when, None)
    with db.session() as session:
        student = factories.student(student_no="999")
        session.add(student)
        session.flush()
        assert attach_waiting_conversions(session) == 1
        student_id = student.id
    assert conversions(db)["999"] == (when, student_id)


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("2020-07-15 14:30", datetime(2020, 7, 15, 11, 30, tzinfo=UTC)),
        ("15.07.2020 14:30", datetime(2020, 7, 15, 11, 30, tzinfo=UTC)),
        ("15/07/2020", datetime(2020, 7, 14, 21, 0, tzinfo=UTC)),
        ("2020-07-15T14:30:00Z", datetime(2020, 7, 15, 14, 30, tzinfo=UTC)),
        (datetime(2020, 7, 15, 14, 30), datetime(2020, 7, 15, 11, 30, tzinfo=UTC)),
    ],
)
def test_times_are_read_in_local_time(cell: str | datetime, expected: datetime) -> None:
    assert parse_time(cell, ISTANBUL) == expected


def test_import_command_reports_rows_and_is_idempotent(
    db: Database, cli_env: Settings, tmp_path: Path
) -> None:
    with db.session() as session:
        session.add_all([factories.student(student_no=n) for n in ("601", "602")])
    path = tmp_path / "kayitlar.csv"
    path.write_text(
        "Öğrenci No;Kayıt Tarihi\n"
        "601;15.07.2020 10:00\n"
        "602;2020-07-16\n"
        "777;2020-07-16\n"
        ";2020-07-16\n"
        "603;dün\n",
        encoding="utf-8",
    )
    runner = CliRunner()
    result = runner.invoke(app, ["conversions", "import", str(path), "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["recorded"], report["unmatched"], report["rejected"]) == (3, 1, 2)
    assert report["unmatched_student_nos"] == ["777"]
    assert [(i["row"], i["field"]) for i in report["issues"]] == [
        (5, "student_no"),
        (6, "occurred_at"),
    ]
    again = json.loads(
        runner.invoke(app, ["conversions", "import", str(path), "--format", "json"]).stdout
    )
    assert (again["recorded"], again["unchanged"]) == (0, 3)


def test_import_reads_xlsx_and_form_stage(db: Database, cli_env: Settings, tmp_path: Path) -> None:
    with db.session() as session:
        session.add(factories.student(student_no="701"))
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Student No", "Submitted At"])
    sheet.append([701, datetime(2020, 8, 1, 12, 0)])
    path = tmp_path / "formlar.xlsx"
    book.save(path)
    result = CliRunner().invoke(
        app, ["conversions", "import", str(path), "--stage", "form_submitted"]
    )
    assert result.exit_code == 0, result.output
    with db.session() as session:
        stored = session.scalars(select(Conversion)).one()
    assert (stored.student_no, stored.stage) == ("701", ConversionStage.FORM_SUBMITTED)
    assert stored.occurred_at == datetime(2020, 8, 1, 9, 0, tzinfo=UTC)


def test_a_plain_list_of_student_numbers_is_recorded_as_of_now(
    db: Database, cli_env: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(output.console, "_width", 200)
    with db.session() as session:
        session.add(factories.student(student_no="601"))
    path = tmp_path / "kayit_olanlar.csv"
    path.write_text("Öğrenci No\n601\n602\n", encoding="utf-8")
    before = utcnow()
    result = CliRunner().invoke(app, ["conversions", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "recorded as of now" in result.stdout
    stored = conversions(db)
    assert set(stored) == {"601", "602"}
    assert all(before <= at <= utcnow() for at, _ in stored.values())


def test_a_file_without_student_numbers_changes_nothing(
    db: Database, cli_env: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "eksik.csv"
    path.write_text("Kayıt Tarihi\n2020-07-16\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["conversions", "import", str(path)])
    assert result.exit_code != 0
    assert "not found: student_no" in str(result.exception)
    assert conversions(db) == {}
