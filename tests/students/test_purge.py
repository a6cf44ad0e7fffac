"""``campaigns students purge``: terms in academic order; earlier cohorts lose their personal
data, keep every row and figure; later cohorts are untouched. On both backends."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import JSON, Enum, String, Text, func, select, update
from sqlalchemy.orm import Session
from typer.testing import CliRunner, Result

from campaigns.cli import app, output
from campaigns.core.db import Database, database
from campaigns.core.models import (
    AuditEntry,
    Base,
    Conversion,
    ConversionStage,
    DeliveryEvent,
    InboundMessage,
    Message,
    ReplyAttachment,
    SkipReason,
    Student,
    Suppression,
    Wave,
    utcnow,
)
from campaigns.core.settings import Settings
from campaigns.reports.funnel import Dimension, campaign_report
from campaigns.runtime import build_runtime
from campaigns.students.purge import plan_purge
from campaigns.students.terms import InvalidTermError, Term, parse_term
from campaigns.tracking.delivery_events import record_events
from campaigns.tracking.inbound import record_inbound
from campaigns.tracking.links import message_token
from campaigns.tracking.optouts import unsubscribe
from campaigns.tracking.suppressions import suppress
from channels.base import Channel, EventType
from channels.base import DeliveryEvent as Event
from channels.webhooks import Attachment
from channels.webhooks import InboundMessage as Reply
from tests.support import factories

runner = CliRunner()

OLD = {"3001": "2018-2019 Bahar", "3002": "2018-2019 Bahar", "3101": "2019-2020 Güz"}
NEW = {"3201": "2019-2020 Bahar", "3301": "2020-2021 Güz", "3401": "Bilinmeyen dönem"}
BEFORE = "2019-2020 Bahar"


# --- terms -----------------------------------------------------------------------------------


def test_terms_are_ordered_by_academic_year_then_fall_spring_summer() -> None:
    written = [
        "2020-2021 Güz",
        "2019-2020 Yaz",
        "2019-2020 BAHAR",
        "2018-2019 Yaz Dönemi",
        "2019/2020 güz",
        "2019 - 2020 Bahar Yarıyılı",
        "2018-2019 Guz",
    ]
    ordered = sorted(written, key=parse_term)
    assert ordered == [
        "2018-2019 Guz",
        "2018-2019 Yaz Dönemi",
        "2019/2020 güz",
        "2019-2020 BAHAR",
        "2019 - 2020 Bahar Yarıyılı",
        "2019-2020 Yaz",
        "2020-2021 Güz",
    ]
    assert parse_term("2019-2020 Bahar") == Term(2019, 1)
    assert parse_term("2019-2020 Bahar") == parse_term("2019 2020 BAHAR")
    assert parse_term("2019-2020 Yaz") < parse_term("2020-2021 Güz")
    assert parse_term("2019-2020 Güz") < parse_term("2019-2020 Bahar") < parse_term("2019-2020 Yaz")
    assert str(parse_term("2019-2020 guz")) == "2019-2020 Güz"


@pytest.mark.parametrize(
    "text",
    ["", "Bahar 2019-2020", "2019-2021 Bahar", "2020-2019 Güz", "2019-2020 Kış", "2019 Bahar", "x"],
)
def test_unreadable_terms_are_errors(text: str) -> None:
    with pytest.raises(InvalidTermError, match=r"unreadable term|consecutive years"):
        parse_term(text)


# --- a purge ---------------------------------------------------------------------------------


@pytest.fixture
def cohorts(cli_env: Settings, db: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    """Old and new cohorts in one campaign whose first wave went out, with delivery events
    naming the recipients, costs and conversions. Yields the campaign id."""
    monkeypatch.setattr(output.console, "_width", 200)
    with db.session() as session:
        for number, term in {**OLD, **NEW}.items():
            session.add(
                factories.student(
                    student_no=number,
                    graduation_term=term,
                    contact_consent=number != "3002",
                    first_name=f"Ad{number}",
                    last_name=f"Soyad{number}",
                )
            )
        session.flush()
        campaign = factories.campaign(
            session,
            [{"name": "duyuru", "channels": ["email", "sms"]}],
            audience={"graduation_terms": sorted({**OLD, **NEW}.values())},
        )
        campaign_id = campaign.id
    with build_runtime(cli_env) as runtime:
        runtime.tick()
    with db.session() as session:
        session.execute(update(Message).values(cost=Decimal("0.0425")))
        sent = session.execute(
            select(Message.id, Message.provider_message_id, Message.address).where(
                Message.address.is_not(None)
            )
        ).all()
        assert len(sent) == 5  # everyone but 3002, who gave no consent
        now = utcnow()
        events = [
            Event(
                type=EventType.DELIVERED,
                provider="outbox",
                occurred_at=now,
                provider_message_id=pid,
                message_id=message_id,
                recipient=address,
                description=f"delivered to {address}",
                raw={"to": address, "status": "delivered"},
            )
            for message_id, pid, address in sent
        ]
        record_events(session, events)
        # What else names the old cohort: a bounce the provider could not match to a message
        # (it suppresses the address), a STOP reply, an unsubscribe link.
        first, second = _student(session, "3001"), _student(session, "3101")
        record_events(
            session,
            [
                Event(
                    type=EventType.BOUNCED,
                    provider="sendgrid",
                    occurred_at=now,
                    provider_message_id="request-of-another-system",
                    recipient=str(first.personal_email).upper(),
                    event_id="unmatched-bounce",
                    description=f"550 {first.personal_email}: mailbox unavailable",
                    raw={"email": str(first.personal_email).upper(), "reason": "550"},
                )
            ],
        )
        record_inbound(
            session,
            Reply("twilio", "SMstop3101", Channel.SMS, str(second.phone), "İPTAL", "stop"),
        )
        # An emailed reply with a file: whatever address it came from, it goes with them.
        record_inbound(
            session,
            Reply(
                "sendgrid",
                "<soru@ogrenci>",
                Channel.EMAIL,
                str(first.email),
                f"Ben {first.first_name}, şifrem gelmedi",
                attachments=(Attachment("kimlik.pdf", "application/pdf", b"%PDF-kimlik"),),
            ),
        )
        message = session.scalars(
            select(Message).where(Message.student_id == second.id, Message.secret.is_not(None))
        ).first()
        assert message is not None
        assert unsubscribe(session, message_token(message.id, str(message.secret))) is not None
        for number in ("3001", "3201"):
            student = _student(session, number)
            session.add(
                Conversion(
                    student_no=number,
                    student_id=student.id,
                    stage=ConversionStage.REGISTERED,
                    occurred_at=now + timedelta(hours=1),
                    source="import",
                )
            )
    yield campaign_id
    database(cli_env.database_url).dispose()


def _student(session: Session, number: str) -> Student:
    return session.scalars(select(Student).where(Student.student_no == number)).one()


def reports(db: Database, campaign_id: int) -> list[dict[str, Any]]:
    with db.session() as session:
        return [campaign_report(session, campaign_id, by).as_dict() for by in [None, *Dimension]]


def snapshot(db: Database, numbers: list[str]) -> dict[str, Any]:
    """Every column of the students, their messages and delivery events."""
    with db.session() as session:
        students = session.scalars(
            select(Student).where(Student.student_no.in_(numbers)).order_by(Student.id)
        ).all()
        ids = [s.id for s in students]
        messages = session.scalars(
            select(Message).where(Message.student_id.in_(ids)).order_by(Message.id)
        ).all()
        events = session.scalars(
            select(DeliveryEvent)
            .where(DeliveryEvent.message_id.in_([m.id for m in messages]))
            .order_by(DeliveryEvent.id)
        ).all()

        def rows(items: Any) -> list[dict[str, Any]]:
            return [
                {c.key: getattr(item, c.key) for c in item.__mapper__.column_attrs}
                for item in items
            ]

        return {"students": rows(students), "messages": rows(messages), "events": rows(events)}


def text_of_every_column(db: Database) -> str:
    """The values of every text and JSON column of every table, as one text."""
    parts: list[str] = []
    with db.engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            columns = [
                c
                for c in table.columns
                if isinstance(c.type, String | Text | JSON | Enum)
                or "JSON" in type(c.type).__name__.upper()
            ]
            assert columns or table.name == "heartbeats", table.name
            for row in connection.execute(select(*columns)) if columns else []:
                parts += [json.dumps(v, ensure_ascii=False, default=str) for v in row]
    return "\n".join(parts)


def purge(*args: str, answer: str | None = None) -> Result:
    return runner.invoke(app, ["students", "purge", *args], input=answer)


def test_purge_erases_personal_data_and_keeps_the_numbers(db: Database, cohorts: int) -> None:
    before_reports = reports(db, cohorts)
    before_new = snapshot(db, list(NEW))
    old = snapshot(db, list(OLD))
    personal = (
        [
            value
            for student in old["students"]
            for value in (student["email"], student["personal_email"], student["phone"])
        ]
        + [f"Ad{n}" for n in OLD]
        + [f"Soyad{n}" for n in OLD]
    )
    assert all(personal)
    assert {m["address"] for m in old["messages"]} - {None}

    result = purge("--graduated-before", BEFORE, "--yes")
    assert result.exit_code == 0, result.output
    assert "2018-2019 Bahar" in result.stdout
    assert "2019-2020 Güz" in result.stdout
    assert "3, 3, 3" in result.stdout  # students, messages, delivery events

    # Every figure of every report is the same.
    assert reports(db, cohorts) == before_reports
    # Later cohorts (and the unreadable term) are untouched, column for column.
    assert snapshot(db, list(NEW)) == before_new

    after = snapshot(db, list(OLD))
    assert len(after["messages"]) == len(old["messages"]) == 3
    assert len(after["events"]) == len(old["events"]) == 3
    for student in after["students"]:
        assert (student["first_name"], student["last_name"]) == ("—", "—")
        assert (student["email"], student["personal_email"], student["phone"]) == (None,) * 3
        assert student["contact_consent"] is False
        assert student["whatsapp_opt_in"] is False
        assert student["purged_at"] is not None
        assert student["faculty"] == "Mühendislik Fakültesi"
        assert student["graduation_term"] in OLD.values()
    for message in after["messages"]:
        assert message["address"] is None
    for event in after["events"]:
        assert event["raw"] == {}
        assert event["description"] is None
    # What a report needs stays: statuses, channels, times, costs.
    keep = ("status", "channel", "skip_reason", "sent_at", "delivered_at", "cost", "wave_id")
    assert [{k: m[k] for k in keep} for m in after["messages"]] == [
        {k: m[k] for k in keep} for m in old["messages"]
    ]
    # Nowhere in the database any more: every text and JSON column of every table.
    dump = text_of_every_column(db).lower()
    for value in personal:
        assert value.lower() not in dump, value
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Suppression)) == 0
        assert session.scalars(select(InboundMessage.body)).all() == [None, None]
        assert session.scalar(select(func.count()).select_from(ReplyAttachment)) == 0
    with db.session() as session:
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "students.purge")
        ).one()
    assert entry.target == "before:2019-2020 Bahar"
    assert entry.details == {
        "terms": ["2018-2019 Bahar", "2019-2020 Güz"],
        "students": 3,
        "messages": 3,
        "delivery_events": 3,
    }
    assert entry.actor.startswith("cli:")


def test_purged_students_are_never_contacted_again(
    cli_env: Settings, db: Database, cohorts: int
) -> None:
    assert purge("--graduated-before", BEFORE, "--yes").exit_code == 0
    with db.session() as session:
        campaign = factories.campaign(
            session, [{"name": "yeniden", "channels": ["email", "sms", "whatsapp"]}],
            audience={"graduation_terms": ["2018-2019 Bahar"]},
        )  # fmt: skip
        campaign_id = campaign.id
    with build_runtime(cli_env) as runtime:
        runtime.tick()
    with db.session() as session:
        outcomes = session.execute(
            select(Message.status, Message.skip_reason, Message.address)
            .join(Student, Student.id == Message.student_id)
            .join(Wave, Wave.id == Message.wave_id)
            .where(Wave.campaign_id == campaign_id)
        ).all()
    assert [(o.skip_reason, o.address) for o in outcomes] == [(SkipReason.NO_CONSENT, None)] * 2


def test_without_yes_it_lists_and_asks(db: Database, cohorts: int) -> None:
    refused = purge("--graduated-before", BEFORE, answer="n\n")
    assert refused.exit_code == 1
    assert "2018-2019 Bahar" in refused.stdout
    assert "3 öğrencinin kişisel verileri" in refused.stdout
    with db.session() as session:
        assert session.scalar(select(Student.purged_at).where(Student.student_no == "3001")) is None
        assert session.scalars(select(AuditEntry)).all() == []

    agreed = purge("--graduated-before", BEFORE, answer="y\n")
    assert agreed.exit_code == 0, agreed.output
    with db.session() as session:
        assert plan_purge(session, BEFORE).terms == {}
    again = purge("--graduated-before", BEFORE, "--yes")
    assert again.exit_code == 0
    assert "no students to purge" in again.stdout


def test_the_plan_lists_earlier_terms_and_leaves_unreadable_ones(
    db: Database, cohorts: int
) -> None:
    with db.session() as session:
        plan = plan_purge(session, "2020-2021 güz")
    assert plan.terms == {"2018-2019 Bahar": 2, "2019-2020 Güz": 1, "2019-2020 Bahar": 1}
    assert plan.unreadable == ["Bilinmeyen dönem"]
    result = purge("--graduated-before", "2020-2021 Güz", answer="n\n")
    assert "unreadable term, left alone: 'Bilinmeyen dönem'" in result.output


def test_an_unreadable_term_is_an_error(db: Database, cohorts: int) -> None:
    result = purge("--graduated-before", "geçen yıl", "--yes")
    assert result.exit_code != 0
    assert isinstance(result.exception, InvalidTermError)
    assert "unreadable term" in str(result.exception)
    with db.session() as session:
        assert session.scalar(select(Student.purged_at).where(Student.student_no == "3001")) is None


def test_a_purged_student_on_a_later_list_is_not_brought_back(
    cli_env: Settings, db: Database, cohorts: int, tmp_path: Any
) -> None:
    assert purge("--graduated-before", BEFORE, "--yes").exit_code == 0
    listing = tmp_path / "liste.csv"
    listing.write_text(
        "Öğrenci No;Adı;Soyadı;Fakülte;Bölüm;Öğrenim Düzeyi;Cep Telefonu;KVKK İletişim İzni;"
        "Mezuniyet Dönemi\n"
        "3001;Ayşe;Yılmaz;Mühendislik Fakültesi;Bilgisayar Mühendisliği;lisans;05321234567;"
        "Evet;2018-2019 Bahar\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["students", "import", str(listing), "--format", "json"])
    assert result.exit_code == 1, result.output  # every row rejected
    report = json.loads(result.stdout)
    assert report["rejected"] == 1
    assert "purged" in report["issues"][0]["reason"]
    with db.session() as session:
        student = session.scalars(select(Student).where(Student.student_no == "3001")).one()
    assert (student.first_name, student.phone, student.contact_consent) != (
        "Ayşe",
        "+905321234567",
        True,
    )
    assert student.purged_at is not None


def test_a_suppression_a_remaining_student_shares_is_kept(cli_env: Settings, db: Database) -> None:
    with db.session() as session:
        session.add_all(
            [
                factories.student(student_no="4001", graduation_term="2018-2019 Bahar"),
                # A sibling on a later list, with the same family phone.
                factories.student(
                    student_no="4201", graduation_term="2020-2021 Güz", phone="+905320004001"
                ),
            ]
        )
        session.flush()
        old = _student(session, "4001")
        old.phone = "+905320004001"
        suppress(session, Channel.SMS, "+905320004001", reason="stop")
        suppress(session, Channel.EMAIL, str(old.personal_email), reason="bounce")
    assert purge("--graduated-before", BEFORE, "--yes").exit_code == 0
    with db.session() as session:
        left = session.execute(select(Suppression.channel, Suppression.address)).all()
    assert left == [(Channel.SMS, "+905320004001")]
