"""``campaigns students import`` and ``campaigns students list`` on both databases."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from campaigns.cli import app
from campaigns.cli import students as students_cli
from campaigns.core.db import Database
from campaigns.core.errors import UnreadableFileError
from campaigns.core.models import Student
from campaigns.core.settings import Settings
from tests.support.paths import FIXTURES

TR_SAMPLE = FIXTURES / "graduates_sample_tr.csv"
HEADER = (
    "Öğrenci No;Adı;Soyadı;Fakülte;Bölüm;Öğrenim Düzeyi;Cep Telefonu;KVKK İletişim İzni;"
    "Mezuniyet Dönemi"
)
REPORT_KEYS = ["imported", "updated", "unchanged", "rejected", "issues", "changes", "skipped"]

runner = CliRunner()


def write(path: Path, *lines: str) -> Path:
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    return path


def students_in(db: Database) -> dict[str, Student]:
    with db.session() as session:
        return {s.student_no: s for s in session.scalars(select(Student))}


def test_import_json_prints_exactly_the_report(cli_env: Settings, db: Database) -> None:
    result = runner.invoke(app, ["students", "import", str(TR_SAMPLE), "--format", "json"])

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert list(report) == REPORT_KEYS
    assert report == {
        "imported": 50,
        "updated": 0,
        "unchanged": 0,
        "rejected": 0,
        "issues": [],
        "changes": [],
        "skipped": 0,
    }
    assert len(students_in(db)) == 50


def test_import_json_issue_and_change_shapes(
    cli_env: Settings, db: Database, tmp_path: Path
) -> None:
    first = write(
        tmp_path / "a.csv",
        HEADER,
        "1001;Ayşe;Yılmaz;Tıp Fakültesi;Tıp;lisans;0532 100 00 01;Evet;2024-2025 Bahar",
    )
    runner.invoke(app, ["students", "import", str(first)])
    second = write(
        tmp_path / "b.csv",
        HEADER,
        "1001;Ayşe;Yılmaz;Tıp Fakültesi;Tıp;lisans;0212 100 00 01;Evet;2024-2025 Bahar",
        "1002;Ali;;Tıp Fakültesi;Tıp;lisans;;Evet;2024-2025 Bahar",
        "Toplam;2",
    )

    result = runner.invoke(app, ["students", "import", str(second), "--format", "json"])

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["updated"], report["rejected"], report["skipped"]) == (1, 1, 1)
    assert report["changes"] == [
        {"row": 2, "student_no": "1001", "fields": ["phone", "phone_is_mobile"]}
    ]
    assert [{k: v for k, v in i.items() if k != "reason"} for i in report["issues"]] == [
        {"row": 2, "student_no": "1001", "field": "phone", "severity": "warning"},
        {"row": 3, "student_no": "1002", "field": "last_name", "severity": "error"},
        {"row": 4, "student_no": None, "field": None, "severity": "warning"},
    ]
    assert all(list(issue) == ["row", "student_no", "field", "severity", "reason"]
               for issue in report["issues"])  # fmt: skip


def test_import_table_shows_counts_and_issues(
    cli_env: Settings, db: Database, tmp_path: Path
) -> None:
    path = write(
        tmp_path / "liste.csv",
        HEADER,
        "1001;Ayşe;Yılmaz;Tıp Fakültesi;Tıp;lisans;0212 100 00 01;Evet;2024-2025 Bahar",
    )

    result = runner.invoke(app, ["students", "import", str(path)])

    assert result.exit_code == 0, result.output
    assert "yeni / imported" in result.stdout
    assert "sabit hat" in result.stdout
    assert students_in(db)["1001"].phone == "+902121000001"


def test_progress_bar_for_large_files_keeps_the_report_intact(
    cli_env: Settings, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(students_cli, "PROGRESS_THRESHOLD", 10)

    result = runner.invoke(app, ["students", "import", str(TR_SAMPLE)])

    assert result.exit_code == 0, result.output
    assert re.search(r"yeni / imported\W+50\b", result.stdout)
    assert len(students_in(db)) == 50


def test_missing_student_number_column_exits_2_and_changes_nothing(
    cli_env: Settings, db: Database, tmp_path: Path
) -> None:
    good = write(
        tmp_path / "a.csv",
        HEADER,
        "1001;Ayşe;Yılmaz;Tıp Fakültesi;Tıp;lisans;;Evet;2024-2025 Bahar",
    )
    assert runner.invoke(app, ["students", "import", str(good)]).exit_code == 0
    bad = write(
        tmp_path / "b.csv",
        HEADER.replace("Öğrenci No", "Sıra"),
        "1001;Değişti;Yılmaz;Tıp Fakültesi;Tıp;lisans;;Evet;2024-2025 Bahar",
    )

    # A real process: the exit code is what main() gives the shell, not what a runner infers.
    completed = subprocess.run(
        [sys.executable, "-m", "campaigns", "students", "import", str(bad)],
        capture_output=True,
        text=True,
        env=dict(os.environ, COLUMNS="200"),
        check=False,
    )

    assert completed.returncode == 2, completed.stderr
    assert "student_no" in completed.stderr
    assert "gerekli sütun bulunamadı" in completed.stderr
    assert completed.stdout == ""
    assert students_in(db)["1001"].first_name == "Ayşe"


def test_unreadable_file_raises_the_exit_2_error_in_process(
    cli_env: Settings, db: Database, tmp_path: Path
) -> None:
    path = tmp_path / "liste.xlsx"
    path.write_bytes(b"PK\x03\x04 broken")

    result = runner.invoke(app, ["students", "import", str(path)])

    assert isinstance(result.exception, UnreadableFileError)
    assert result.exception.exit_code == 2
    assert students_in(db) == {}


def test_every_row_rejected_exits_1(cli_env: Settings, db: Database, tmp_path: Path) -> None:
    path = write(
        tmp_path / "liste.csv",
        HEADER,
        "1001;;Yılmaz;Tıp Fakültesi;Tıp;lisans;;Evet;2024-2025 Bahar",
        ";Ali;Kaya;Tıp Fakültesi;Tıp;lisans;;Evet;2024-2025 Bahar",
    )

    result = runner.invoke(app, ["students", "import", str(path), "--format", "json"])

    assert result.exit_code == 1
    assert json.loads(result.stdout)["rejected"] == 2
    assert students_in(db) == {}


def test_map_option_names_a_column(cli_env: Settings, db: Database, tmp_path: Path) -> None:
    path = write(
        tmp_path / "liste.csv",
        HEADER.replace("Öğrenci No", "Kimlik").replace("Cep Telefonu", "İrtibat"),
        "1001;Ayşe;Yılmaz;Tıp Fakültesi;Tıp;lisans;0532 100 00 01;Evet;2024-2025 Bahar",
    )

    result = runner.invoke(
        app,
        ["students", "import", str(path), "--map", "Kimlik=student_no", "--map", "irtibat=phone"],
    )

    assert result.exit_code == 0, result.output
    assert students_in(db)["1001"].phone == "+905321000001"


def test_malformed_map_option_is_an_input_error(cli_env: Settings, db: Database) -> None:
    result = runner.invoke(app, ["students", "import", str(TR_SAMPLE), "--map", "student_no"])

    assert isinstance(result.exception, UnreadableFileError)
    assert "Column Name=field" in str(result.exception)
    assert students_in(db) == {}


def _seed_for_listing(tmp_path: Path) -> None:
    path = write(
        tmp_path / "liste.csv",
        HEADER,
        '1003;"=HYPERLINK(""http://kotu.example"",""tikla"")";-1+2;'
        "Mühendislik Fakültesi;Bilgisayar Mühendisliği;lisans;0532 100 00 03;Evet;2024-2025 Bahar",
        "1001;Ayşe;Yılmaz;Mühendislik Fakültesi;Makine Mühendisliği;YL;;Evet;2024-2025 Bahar",
        "1002;Ali;Kaya;Tıp Fakültesi;Tıp;lisans;;Hayır;2024-2025 Bahar",
    )
    result = runner.invoke(app, ["students", "import", str(path)])
    assert result.exit_code == 0, result.output


def test_csv_export_neutralises_formulas(cli_env: Settings, db: Database, tmp_path: Path) -> None:
    _seed_for_listing(tmp_path)

    result = runner.invoke(app, ["students", "list", "--format", "csv"])

    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["student_no"] for r in rows] == ["1001", "1002", "1003"]
    risky = rows[2]
    assert risky["first_name"] == '\'=HYPERLINK("http://kotu.example","tikla")'
    assert risky["last_name"] == "'-1+2"
    assert risky["phone"] == "'+905321000003"  # E.164 starts with "+": neutralised too
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@")), value


def test_list_json_with_filters(cli_env: Settings, db: Database, tmp_path: Path) -> None:
    _seed_for_listing(tmp_path)

    def listed(*options: str) -> list[dict[str, object]]:
        result = runner.invoke(app, ["students", "list", "--format", "json", *options])
        assert result.exit_code == 0, result.output
        data: list[dict[str, object]] = json.loads(result.stdout)
        return data

    everyone = listed()
    assert [s["student_no"] for s in everyone] == ["1001", "1002", "1003"]
    assert set(everyone[0]) == set(students_cli.LIST_COLUMNS)
    assert everyone[0]["degree"] == "yüksek lisans"
    assert everyone[0]["contact_consent"] is True
    assert [s["student_no"] for s in listed("--faculty", "MÜHENDİSLİK FAKULTESI")] == [
        "1001",
        "1003",
    ]
    assert [s["student_no"] for s in listed("--department", "tip")] == ["1002"]
    assert [s["student_no"] for s in listed("--degree", "master")] == ["1001"]
    assert [s["student_no"] for s in listed("--no-consent")] == ["1002"]
    assert [s["student_no"] for s in listed("--consent", "--limit", "1")] == ["1001"]
    assert listed("--term", "2023-2024 Güz") == []


def test_list_table_has_a_count_title(cli_env: Settings, db: Database, tmp_path: Path) -> None:
    _seed_for_listing(tmp_path)

    result = runner.invoke(app, ["students", "list", "--term", "2024-2025 bahar"])

    assert result.exit_code == 0, result.output
    assert "3 öğrenci / students" in result.stdout


def test_every_command_and_option_has_help(cli_env: Settings) -> None:
    for command in (["students"], ["students", "import"], ["students", "list"]):
        result = runner.invoke(app, [*command, "--help"], env={"COLUMNS": "200"})
        assert result.exit_code == 0
        assert " / " in result.stdout
    import_help = runner.invoke(app, ["students", "import", "--help"], env={"COLUMNS": "200"})
    assert "--term" in import_help.stdout
    assert "--map" in import_help.stdout
    assert "exit codes" in import_help.stdout


def test_a_title_row_and_another_sheet_are_handled(
    cli_env: Settings, db: Database, tmp_path: Path
) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    notes = workbook.active
    assert notes is not None
    notes.title = "Kapak"
    notes.append(["2024-2025 Bahar mezun adayları"])
    listed = workbook.create_sheet("Mezunlar")
    listed.append(["Öğrenci İşleri Daire Başkanlığı"])  # a title above the header
    listed.append(HEADER.split(";"))
    listed.append(
        [
            "1001",
            "Ayşe",
            "Yılmaz",
            "Mühendislik Fakültesi",
            "Bilgisayar",
            "lisans",
            "0532 100 00 01",
            "Evet",
            "2024-2025 Bahar",
        ]
    )
    path = tmp_path / "liste.xlsx"
    workbook.save(path)

    first = runner.invoke(app, ["students", "import", str(path)])
    assert first.exit_code != 0
    # The hint says what to try: another sheet, or a header further down.
    assert "--header-row" in str(first.exception)
    assert "use --sheet for the others ('Mezunlar')" in str(first.exception)
    chosen = runner.invoke(
        app, ["students", "import", str(path), "--sheet", "Mezunlar", "--format", "json"]
    )
    assert chosen.exit_code == 0, chosen.output
    report = json.loads(chosen.stdout)
    assert report["imported"] == 1
    assert [(i["row"], i["severity"]) for i in report["issues"]] == [(1, "warning")]
    named = runner.invoke(
        app,
        ["students", "import", str(path), "--sheet", "2", "--header-row", "2", "--format", "json"],
    )
    assert json.loads(named.stdout)["unchanged"] == 1
    assert list(students_in(db)) == ["1001"]
