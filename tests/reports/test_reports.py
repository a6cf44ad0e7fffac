"""The funnel report: every planned outcome counted once, per dimension and in total."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from campaigns.cli import app
from campaigns.core.db import Database
from campaigns.core.models import Message, MessageStatus, Student
from campaigns.core.settings import Settings
from campaigns.reports.funnel import Dimension, campaign_report
from tests.support.scenarios import two_wave_report


def test_totals_count_students_and_messages_once(db: Database, settings: Settings) -> None:
    priced = settings.model_copy(
        update={
            "sms_price_per_segment": Decimal("0.05"),
            "email_price_per_message": Decimal("0.001"),
        }
    )
    campaign_id = two_wave_report(db, priced)
    with db.session() as session:
        report = campaign_report(session, campaign_id)
        sms_segments = session.scalar(
            select(func.sum(Message.segments)).where(Message.channel == "sms")
        )
    # Costs are estimated from the tariffs: per email, and per SMS segment (UCS-2 Turkish).
    assert sms_segments is not None
    assert sms_segments >= 7
    cost = 9 * 0.001 + sms_segments * 0.05
    assert report.totals.pop("cost") == pytest.approx(cost)
    assert report.totals.pop("cost_per_conversion") == pytest.approx(cost / 3, abs=1e-4)
    assert report.totals == {
        "audience": 12,
        "no_consent": 1,
        "unreachable": 1,
        "suppressed": 0,
        "capped": 0,
        "eligible": 10,
        "reached": 10,
        "queued": 0,
        # 10 emails (one bounced) + 7 SMS to those not registered by then.
        "sent": 9 + 7,
        "delivered": 0,
        "failed": 1,
        "unknown": 0,
        "clicked": 0,
        "converted": 3,
        "form_submitted": 0,
        # The three registrations follow the announcement email: credited to it.
        "attributed": 3,
        "attributed_forms": 0,
        "conversion_rate": 0.25,
        "median_hours_to_convert": 1.0,
    }


def test_rows_per_wave_channel_and_faculty(db: Database, settings: Settings) -> None:
    campaign_id = two_wave_report(db, settings)
    with db.session() as session:
        by_wave = campaign_report(session, campaign_id, Dimension.wave).rows
        by_channel = campaign_report(session, campaign_id, Dimension.channel).rows
        by_faculty = campaign_report(session, campaign_id, Dimension.faculty).rows
        by_department = campaign_report(session, campaign_id, Dimension.department).rows
        skipped_converted = session.scalar(
            select(Message.id).where(Message.skip_reason == "converted").limit(1)
        )
    assert [(r["key"], r["audience"], r["sent"], r["failed"]) for r in by_wave] == [
        ("duyuru", 12, 9, 1),
        ("hatirlatma", 12, 7, 0),
    ]
    # Registrations are credited to the announcement, the last message before them.
    assert [(r["attributed"], r["median_hours_to_convert"]) for r in by_wave] == [
        (3, 1.0),
        (0, None),
    ]
    assert skipped_converted is not None
    assert {r["key"]: (r["eligible"], r["sent"]) for r in by_channel} == {
        None: (0, 0),  # skipped at planning: no consent, unreachable, converted
        "email": (10, 9),
        "sms": (7, 7),
    }
    assert {r["key"]: (r["audience"], r["converted"]) for r in by_faculty} == {
        "Mühendislik Fakültesi": (10, 2),
        "Tıp Fakültesi": (2, 1),
    }
    assert sum(r["audience"] for r in by_department) == 12


def test_report_cli_formats(db: Database, cli_env: Settings) -> None:
    campaign_id = two_wave_report(db, cli_env)
    runner = CliRunner()
    result = runner.invoke(app, ["report", str(campaign_id), "--by", "wave", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["campaign"]["id"] == campaign_id
    assert data["totals"]["audience"] == 12
    assert [r["key"] for r in data["rows"]] == ["duyuru", "hatirlatma"]

    csv_out = runner.invoke(app, ["report", str(campaign_id), "--by", "channel", "--format", "csv"])
    lines = csv_out.stdout.strip().splitlines()
    assert lines[0].startswith("key,audience,no_consent")
    assert lines[-1].startswith("TOPLAM/TOTAL,12,")

    table = runner.invoke(app, ["report", str(campaign_id)])
    assert table.exit_code == 0
    assert "2019-2020 Mezunları" in table.stdout

    missing = runner.invoke(app, ["report", "999"])
    assert missing.exit_code != 0


def test_converted_counts_are_per_student_not_per_message(db: Database, settings: Settings) -> None:
    campaign_id = two_wave_report(db, settings)
    with db.session() as session:
        students = session.scalar(select(Student.id).where(Student.student_no == "100"))
        messages = session.scalars(
            select(Message.status).where(Message.student_id == students)
        ).all()
    # Student 100 got the announcement, converted, and was skipped by the reminder...
    assert sorted(s.value for s in messages) == ["sent", "skipped"]
    with db.session() as session:
        report = campaign_report(session, campaign_id, Dimension.wave)
    # ...and counts once in the total; per wave, with the wave whose message preceded the
    # registration (the reminder went out after it).
    assert [r["converted"] for r in report.rows] == [3, 0]
    assert [r["conversion_rate"] for r in report.rows] == [0.3333, 0.0]  # of those reached
    assert report.totals["converted"] == 3
    assert MessageStatus.SKIPPED.value == "skipped"
