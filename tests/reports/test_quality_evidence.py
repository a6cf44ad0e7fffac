"""Evidence for the quality report: per programme of a term, the figures equal those of the
campaign report and the cohort board; a date range bounds reminders and registrations; a
coordinator's evidence holds only their faculty; the XLSX, the printable HTML and the CLI
carry the same figures."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy import update
from typer.testing import CliRunner

from campaigns.cli import app, output
from campaigns.core.actors import Actor
from campaigns.core.db import Database
from campaigns.core.errors import CampaignsError
from campaigns.core.models import (
    Conversion,
    ConversionStage,
    Message,
    MessageStatus,
    Role,
    Student,
    Suppression,
)
from campaigns.core.settings import Settings
from campaigns.planning.plan_wave import plan_wave
from campaigns.reports import evidence_document
from campaigns.reports.cohort_board import cohort_board
from campaigns.reports.funnel import Dimension, campaign_report
from campaigns.reports.quality_evidence import RangeProblem, quality_evidence
from channels.base import Channel
from tests.support import factories

TERM = "2019-2020 Bahar"
ZONE = ZoneInfo("Europe/Istanbul")
SENT = datetime(2026, 6, 10, 9, 0, tzinfo=UTC)
NOW = datetime(2026, 7, 1, 9, 0, tzinfo=UTC)
ENGINEERING = "Mühendislik Fakültesi"
SCIENCE = "Fen Fakültesi"


@dataclass
class Term:
    campaign_id: int
    registered_no: str


@pytest.fixture
def term(db: Database) -> Term:
    """Five students of the term (three engineers, two physicists), one of another term; an
    email-then-SMS campaign sent to all with costs; one registered and handed in the form,
    another registered; one physicist unsubscribed."""
    with db.session() as session:
        engineers = [factories.student(faculty=ENGINEERING) for _ in range(3)]
        physicists = [
            factories.student(faculty=SCIENCE, department="Fizik", degree="yüksek lisans")
            for _ in range(2)
        ]
        engineers[2].email = engineers[2].personal_email = None  # reached by SMS
        other = factories.student(graduation_term="2020-2021 Güz")
        session.add_all([*engineers, *physicists, other])
        campaign = factories.campaign(session, [{"channels": ["email", "sms"]}], now=SENT)
        wave_id, campaign_id = campaign.waves[0].id, campaign.id
        session.flush()
        session.add_all(
            [
                Conversion(
                    student_no=engineers[0].student_no,
                    student_id=engineers[0].id,
                    stage=stage,
                    occurred_at=SENT + timedelta(days=days),
                    source="test",
                )
                for stage, days in (
                    (ConversionStage.REGISTERED, 1),
                    (ConversionStage.FORM_SUBMITTED, 5),
                )
            ]
            + [
                Conversion(
                    student_no=physicists[0].student_no,
                    student_id=physicists[0].id,
                    stage=ConversionStage.REGISTERED,
                    occurred_at=SENT + timedelta(days=2),
                    source="test",
                ),
                Suppression(
                    channel=Channel.EMAIL,
                    address=str(physicists[1].email).lower(),
                    reason="unsubscribe",
                    source="link",
                ),
            ]
        )
        registered_no = engineers[0].student_no
    with db.session() as session:
        plan_wave(session, wave_id, now=SENT)
        session.execute(
            update(Message)
            .where(Message.status == MessageStatus.PENDING)
            .values(status=MessageStatus.DELIVERED, sent_at=SENT, cost=Decimal("0.0125"))
        )
    return Term(campaign_id, registered_no)


def test_the_evidence_equals_the_campaign_report_and_the_cohort_board(
    db: Database, term: Term
) -> None:
    with db.session() as session:
        found = quality_evidence(session, Actor.operator(), TERM, zone=ZONE, now=NOW)
        report = campaign_report(session, term.campaign_id, Dimension.channel)
        [board] = [row for row in cohort_board(session, Actor.operator()) if row.term == TERM]
    total = found.total
    assert total.graduating == report.totals["audience"] == board.graduating == 5
    assert total.registered == report.totals["converted"] == board.registered == 2
    assert total.form_submitted == report.totals["form_submitted"] == board.form_submitted == 1
    assert total.opted_out == board.opted_out == 1
    sent_by_channel = {row["key"]: row["sent"] for row in report.rows if row["key"]}
    assert {c.value: n for c, n in total.sent.items() if n} == sent_by_channel
    assert total.cost == pytest.approx(report.totals["cost"])
    assert [(p.faculty, p.department, p.degree, p.graduating) for p in found.programmes] == [
        (SCIENCE, "Fizik", "yüksek lisans", 2),
        (ENGINEERING, "Bilgisayar Mühendisliği", "lisans", 3),
    ]
    assert found.total.registration_rate == pytest.approx(2 / 5)
    assert found.period(ZONE) == (date(2026, 6, 10), date(2026, 6, 10))


def test_purged_students_still_count_as_graduates(db: Database, term: Term) -> None:
    with db.session() as session:
        session.execute(
            update(Student).where(Student.student_no == term.registered_no).values(purged_at=NOW)
        )
        found = quality_evidence(session, Actor.operator(), TERM, zone=ZONE, now=NOW)
        [board] = [row for row in cohort_board(session, Actor.operator()) if row.term == TERM]
    assert (found.total.graduating, found.total.registered) == (5, 2)
    assert (board.graduating, board.registered) == (4, 1)  # the worklist leaves them out


def test_a_date_range_bounds_reminders_and_registrations(db: Database, term: Term) -> None:
    with db.session() as session:
        before = quality_evidence(
            session, Actor.operator(), TERM, zone=ZONE, now=NOW, until=date(2026, 6, 11)
        )
        after = quality_evidence(
            session, Actor.operator(), TERM, zone=ZONE, now=NOW, since=date(2026, 6, 11)
        )
    assert (before.total.registered, before.total.form_submitted) == (1, 0)
    assert sum(before.total.sent.values()) == 5
    assert sum(after.total.sent.values()) == 0  # sent on the 10th
    assert after.total.cost == 0
    assert before.period(ZONE) == (date(2026, 6, 10), date(2026, 6, 11))


def test_a_coordinator_sees_only_their_facultys_programmes(db: Database, term: Term) -> None:
    coordinator = Actor("fen@universite.example.edu.tr", Role.COORDINATOR, SCIENCE)
    with db.session() as session:
        found = quality_evidence(session, coordinator, TERM, zone=ZONE, now=NOW)
    assert [p.faculty for p in found.programmes] == [SCIENCE]
    assert found.total.graduating == 2


def test_a_wrong_term_or_range_is_said(db: Database, term: Term) -> None:
    with db.session() as session:
        with pytest.raises(CampaignsError, match="dönem"):
            quality_evidence(session, Actor.operator(), "bahar", zone=ZONE, now=NOW)
        with pytest.raises(RangeProblem):
            quality_evidence(
                session,
                Actor.operator(),
                TERM,
                zone=ZONE,
                now=NOW,
                since=date(2026, 6, 2),
                until=date(2026, 6, 1),
            )


def test_the_documents_carry_the_same_figures(db: Database, term: Term) -> None:
    with db.session() as session:
        found = quality_evidence(
            session, Actor.operator(), TERM, zone=ZONE, now=NOW, currency="TRY"
        )
    book = load_workbook(io.BytesIO(evidence_document.xlsx_document(found, ZONE)))
    sheet = book.active
    assert sheet is not None
    table = list(sheet.iter_rows(values_only=True))
    assert table[0][3] == "Mezun olacak / Graduating"
    assert [row[3] for row in table[1:]] == [2, 3, 5]
    assert table[-1][0] == "Toplam / Total"
    assert table[-1][12] == pytest.approx(float(found.total.cost))
    html = evidence_document.html_document(found, scope="tüm üniversite", zone=ZONE)
    assert "@page { size: A4 landscape" in html
    assert "Mezun takibi kanıtı: 2019-2020 Bahar" in html
    assert "10.06.2026 – 10.06.2026" in html
    assert '<td class="num">%40</td>' in html  # two of five registered
    assert "0,06 TRY" in html  # five messages of 0.0125


def test_the_cli_gives_the_evidence_as_json_table_and_files(
    db: Database, term: Term, cli_env: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(output.console, "_width", 80)
    runner = CliRunner()
    table = runner.invoke(app, ["evidence", TERM])
    assert table.exit_code == 0
    assert "Mühendisliği" in table.stdout
    assert max(len(line) for line in table.stdout.splitlines()) <= 80
    answer = runner.invoke(app, ["evidence", TERM, "--format", "json"])
    assert answer.exit_code == 0, answer.output
    data = json.loads(answer.stdout)
    assert data["rows"][-1]["graduating"] == 5
    assert data["rows"][-1]["registered"] == 2
    printable = tmp_path / "kanit.html"
    written = runner.invoke(app, ["evidence", TERM, "--format", "html", "--output", str(printable)])
    assert written.exit_code == 0
    assert "print" in printable.read_text(encoding="utf-8")
    wrong = runner.invoke(app, ["evidence", TERM, "--since", "10.06.2026"])
    assert wrong.exit_code == 2
    assert "YYYY-AA-GG" in wrong.output
