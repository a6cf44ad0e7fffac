"""The embedded demo runs the whole pipeline with no server and its numbers add up."""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy import func, select

from campaigns.access import sign_in
from campaigns.access.scopes import list_campaigns
from campaigns.core.actors import Actor
from campaigns.core.db import Database
from campaigns.core.models import Message, Role, Student
from campaigns.demo import run_demo, synthetic_cohort
from campaigns.demo.run import WEB_URL
from campaigns.http import access_log
from campaigns.reports.cohort_board import cohort_board
from campaigns.tracking.links import message_token


def test_the_cohort_is_deterministic_and_invented() -> None:
    first, again = synthetic_cohort(50), synthetic_cohort(50)
    assert first == again
    assert all(
        row["personal_email"].endswith("@example.com") or not row["personal_email"] for row in first
    )


def test_demo_runs_three_waves_and_the_funnel_adds_up(tmp_path: Path) -> None:
    messages: list[str] = []
    result = run_demo(tmp_path, size=60, wave_gap_seconds=1, say=messages.append)

    totals = result.report.totals
    assert result.report.campaign["status"] == "completed"
    assert [row["key"] for row in result.report.rows] == [
        "duyuru-eposta",
        "hatirlatma-sms",
        "hatirlatma-whatsapp",
    ]
    # Every message sent was accepted by a (simulated) provider exactly once, and delivery
    # callbacks came back through the signed webhooks.
    assert totals["sent"] == result.accepted_by_providers > 0
    assert totals["delivered"] > 0
    assert result.callbacks > 0
    # SMS went through Netgsm, whose statuses were polled from its report until all came in.
    assert set(result.by_channel.providers or {}) == {"netgsm", "sendgrid", "twilio-whatsapp"}
    sms = next(row for row in result.by_channel.rows if row["key"] == "sms")
    assert sms["sent"] > 0
    assert sms["delivered"] + sms["failed"] == sms["sent"]
    # Students followed their tracked links, registered through the signed webhook, and the
    # registrations were credited to the messages that preceded them.
    assert totals["clicked"] > 0
    assert totals["attributed"] == totals["converted"]
    # Students registered between waves, and later waves skipped them.
    assert totals["converted"] > 0
    sent_per_wave = [row["sent"] for row in result.report.rows]
    assert sent_per_wave[0] > sent_per_wave[1] > sent_per_wave[2]
    assert result.imported.rejected == 1  # the flawed row without a student number
    assert any("kaydoldu" in line for line in messages)

    # The demo's advisor can sign in to the web app with the printed link, and sees their
    # own students on the board.
    assert result.sign_in_link.startswith(f"{WEB_URL}/giris/mbg_")
    database = Database(f"sqlite:///{tmp_path / 'demo.db'}")
    with database.session() as session:
        opened = sign_in.redeem(session, result.sign_in_link.rpartition("/")[2])
        board = cohort_board(session, Actor.of(opened.user))
        theirs = session.scalar(
            select(func.count()).where(
                Student.advisor_email == result.advisor, Student.purged_at.is_(None)
            )
        )
    assert opened.user.email == result.advisor
    assert sum(row.graduating for row in board) == theirs
    assert theirs
    # The alumni office's link opens an administrator's session: every campaign.
    with database.session() as session:
        office = sign_in.redeem(session, result.office_link.rpartition("/")[2])
        assert office.user.role is Role.ADMIN
        assert [c.id for c in list_campaigns(session, Actor.of(office.user))] == [
            result.campaign_id
        ]
    database.dispose()


class Collected(logging.Handler):
    """Every record at INFO and above of our own loggers."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        # The simulated students' and providers' own HTTP clients stand for the outside world.
        if not record.name.startswith(("httpx", "httpcore", "simulator")):
            self.lines.append(f"{record.name}: {record.getMessage()}")

    def filter(self, record: logging.LogRecord) -> bool:
        # Also a filter of uvicorn's access logger, whose handlers uvicorn replaces when the
        # server starts: it sees what the access log writes (after the app's own filter).
        self.emit(record)
        return True


def test_a_whole_run_logs_no_address_name_or_token(tmp_path: Path) -> None:
    collected = Collected()
    root, access = logging.getLogger(), logging.getLogger(access_log.ACCESS_LOGGER)
    level = root.level
    root.addHandler(collected)
    root.setLevel(logging.INFO)
    access_log.install()  # what the app does when it is created (idempotent): filters run in order
    access.addFilter(collected)
    try:
        result = run_demo(
            tmp_path, size=40, wave_gap_seconds=1, say=lambda _: None, access_log=True
        )
    finally:
        root.removeHandler(collected)
        root.setLevel(level)
        access.removeFilter(collected)
    assert any('"GET /r/' in line for line in collected.lines)  # the access log was on
    assert result.report.totals["clicked"] > 0
    database = Database(f"sqlite:///{tmp_path / 'demo.db'}")
    with database.session() as session:
        students = session.execute(
            select(
                Student.first_name,
                Student.last_name,
                Student.email,
                Student.personal_email,
                Student.phone,
            )
        ).all()
        tokens = [
            message_token(message_id, secret)
            for message_id, secret in session.execute(
                select(Message.id, Message.secret).where(Message.secret.is_not(None))
            )
        ]
    database.dispose()
    personal = [f"{first} {last}" for first, last, *_ in students]
    personal += [
        value
        for *_, email, personal_email, phone in students
        for value in (email, personal_email, phone)
        if value
    ]
    personal += tokens + [token[-16:] for token in tokens]
    text = "\n".join(collected.lines)
    assert len(collected.lines) > 50
    found = [value for value in personal if value in text]
    assert found == []
