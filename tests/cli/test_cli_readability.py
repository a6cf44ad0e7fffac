"""What a new user reads: tables that fit 80 columns without cutting, help in Turkish and
English without type placeholders, times with their zone, lists Excel opens, a database that
says where it is, a prompt that takes "evet"."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner, Result

from campaigns.cli import app, command, output
from campaigns.core.db import Database
from campaigns.core.settings import Settings
from tests.support import factories
from tests.support.scenarios import two_wave_report

runner = CliRunner()


@pytest.fixture
def narrow(monkeypatch: pytest.MonkeyPatch) -> None:
    """An 80-column terminal."""
    monkeypatch.setattr(output.console, "_width", 80)


def cli(*args: str, answer: str | None = None) -> Result:
    return runner.invoke(app, list(args), input=answer)


def assert_fits(text: str) -> None:
    lines = text.splitlines()
    assert lines
    assert max(len(line) for line in lines) <= 80
    assert "…" not in text  # nothing was cut short


def test_the_report_fits_and_says_what_each_figure_is(
    db: Database, cli_env: Settings, narrow: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CAMPAIGNS_EMAIL_PRICE_PER_MESSAGE", "0.0005")
    monkeypatch.setenv("CAMPAIGNS_COST_CURRENCY", "TRY")
    from campaigns.core.settings import get_settings

    get_settings.cache_clear()
    campaign_id = str(two_wave_report(db, get_settings()))
    for by in ("wave", "channel", "faculty"):
        shown = cli("report", campaign_id, "--by", by)
        assert shown.exit_code == 0, shown.output
        assert_fits(shown.stdout)
        assert "(öğrenci)" in shown.stdout  # students...
        assert "(mesaj)" in shown.stdout  # ...and messages, said apart
        assert "maliyet (TRY)" in shown.stdout
    by_channel = cli("report", campaign_id, "--by", "channel").stdout
    assert "gönderilmedi" in by_channel  # skipped students are not a channel called "—"
    # 9 emails at 0.0005: a cost below one is not rounded to 0.00.
    assert "0.0045" in cli("report", campaign_id).stdout


def test_lists_and_the_campaign_page_fit_80_columns(
    db: Database, cli_env: Settings, narrow: None, tmp_path: Path
) -> None:
    campaign_id = str(two_wave_report(db, cli_env))
    with db.session() as session:
        session.add(
            factories.student(
                student_no="3001",
                first_name="Ayşe Nur Gülbahar",
                last_name="Karamustafaoğlu",
                department="Elektrik-Elektronik Mühendisliği",
            )
        )
    listed = cli("students", "list")
    assert listed.exit_code == 0
    assert_fits(listed.stdout)
    assert "öğrenci" in listed.stdout
    assert "evet/yes" in listed.stdout  # not "True"
    shown = cli("campaign", "show", campaign_id)
    assert_fits(shown.stdout)
    for heading in ("durum /", "şablon /", "kapsam / scope"):
        assert heading in shown.stdout
    assert_fits(cli("campaign", "list").stdout)


def test_statuses_and_criteria_are_named_for_people(
    db: Database, cli_env: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(output.console, "_width", 200)  # a wide terminal: nothing wraps
    campaign_id = str(two_wave_report(db, cli_env))
    shown = cli("campaign", "show", campaign_id).stdout
    assert "etkin / active" in shown
    assert "gönderiliyor / sending" in shown
    assert "dönem / term" in shown
    assert "tüm üniversite / the whole university" in shown


def test_times_are_shown_with_their_zone(db: Database, cli_env: Settings, narrow: None) -> None:
    assert cli("suppressions", "add", "sms", "0535 927 71 27").exit_code == 0
    for args in (("suppressions", "list"), ("audit",)):
        shown = cli(*args)
        assert shown.exit_code == 0
        assert "+03" in shown.stdout  # Europe/Istanbul, said


def test_lists_export_to_xlsx_with_turkish_letters(db: Database, cli_env: Settings) -> None:
    with db.session() as session:
        session.add(factories.student(student_no="1001", first_name="İlknur", last_name="Öğüt"))
    exported = cli("students", "list", "--format", "xlsx")
    assert exported.exit_code == 0, exported.output
    book = load_workbook(io.BytesIO(exported.stdout_bytes), read_only=True)
    rows: list[tuple[Any, ...]] = list(book.worksheets[0].iter_rows(values_only=True))
    assert rows[0][:3] == ("öğrenci no / student no", "ad / first name", "soyad / last name")
    assert rows[1][:3] == ("1001", "İlknur", "Öğüt")


def test_help_is_bilingual_and_has_no_type_placeholders() -> None:
    root = command()
    pending: list[tuple[list[str], Any]] = [([], root)]
    seen = 0
    while pending:
        path, current = pending.pop()
        pending.extend(
            ([*path, name], sub) for name, sub in getattr(current, "commands", {}).items()
        )
        # The command line as ``main`` runs it (Typer's runner would build another one).
        with runner.isolation(env={"COLUMNS": "120"}) as (stdout, *_):
            with pytest.raises(SystemExit) as stopped:
                root.main(args=[*path, "--help"], prog_name="campaigns")
            shown = stdout.getvalue().decode()
        assert stopped.value.code == 0, path
        assert "<bool>" not in shown, path
        assert "<list[" not in shown, path
        assert "Bu yardımı göster / show this help" in shown, path
        seen += 1
    assert seen > 30


def test_the_purge_prompt_takes_evet(db: Database, cli_env: Settings) -> None:
    with db.session() as session:
        session.add(factories.student(graduation_term="2018-2019 Bahar"))
    refused = cli("students", "purge", "--graduated-before", "2019-2020 Güz", answer="hayır\n")
    assert refused.exit_code != 0
    accepted = cli("students", "purge", "--graduated-before", "2019-2020 Güz", answer="evet\n")
    assert accepted.exit_code == 0, accepted.output
    assert "1 öğrenci" in accepted.stdout


def test_a_new_database_says_where_it_is(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from campaigns.core.settings import get_settings

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CAMPAIGNS_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    try:
        first = runner.invoke(app, ["students", "list"])
        again = runner.invoke(app, ["students", "list"])
    finally:
        get_settings.cache_clear()
    assert "a new database was created" in first.stderr
    assert str(tmp_path / "campaigns.db") in first.stderr.replace("\n", "")
    assert "a new database" not in again.stderr
