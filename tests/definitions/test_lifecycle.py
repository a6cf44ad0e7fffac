"""Creating campaigns against the students in the database, and moving them along."""

from __future__ import annotations

import csv
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from campaigns.core.db import Database
from campaigns.core.errors import InvalidDefinitionError, NotFoundError, Problem, StateError
from campaigns.core.models import (
    Campaign,
    CampaignStatus,
    Message,
    MessageStatus,
    Student,
    Wave,
    WaveStatus,
)
from campaigns.core.rendering import PARTS
from campaigns.core.settings import Settings
from campaigns.definitions import lifecycle
from campaigns.definitions.campaign_file import CampaignDefinition, load_definition
from campaigns.definitions.send_window import SendWindow
from campaigns.students.audience import count_audience
from channels.base import Channel
from tests.support.paths import EXAMPLE, FIXTURES

NOW = datetime(2025, 6, 2, 7, 0, tzinfo=UTC)

DEFINITION = """
name = "Mühendislik kayıt"
send_window = "09:00-20:00"
goal_url = "https://mezun.universite.example.edu.tr/kayit"

[audience]
graduation_term = "2019-2020 bahar"
faculties = ["muhendislik fakultesi"]

[[waves]]
name = "duyuru"
offset = "0s"
channels = ["email"]
template = "registration_announcement"

[[waves]]
name = "sms"
offset = "3d"
channels = ["sms", "email"]
template = "registration_reminder"

[[waves]]
name = "sabit"
start = 2030-07-01T10:00:00
channels = ["email"]
template = "registration_announcement"
"""


def write_templates(root: Path) -> Path:
    """A minimal template directory: the announcement has email parts, the reminder all."""
    parts = {
        "registration_announcement": PARTS[Channel.EMAIL],
        "registration_reminder": tuple(p for ps in PARTS.values() for p in ps),
    }
    for template, names in parts.items():
        (root / template).mkdir(parents=True)
        for part in names:
            (root / template / f"{part}.tr.j2").write_text("{{ first_name }}\n", encoding="utf-8")
    return root


def student(number: str, **fields: object) -> Student:
    values: dict[str, object] = {
        "student_no": number,
        "first_name": "Ayşe",
        "last_name": "Yılmaz",
        "faculty": "Mühendislik Fakültesi",
        "department": "Bilgisayar Mühendisliği",
        "degree": "lisans",
        "advisor_email": "Meryem.Akgul@omu.example.edu.tr",
        "email": f"{number}@stu.example.edu.tr",
        "graduation_term": "2019-2020 Bahar",
        **fields,
    }
    return Student(**values)


@pytest.fixture
def settings_with_templates(settings: Settings, tmp_path: Path) -> Settings:
    return settings.model_copy(update={"templates_dir": write_templates(tmp_path / "templates")})


@pytest.fixture
def students(db: Database) -> None:
    with db.session() as session:
        session.add_all(
            [
                student("100"),
                student("101", department="Elektrik-Elektronik Mühendisliği"),
                student("102", faculty="MÜHENDİSLİK FAKÜLTESİ"),  # spelled differently
                student(
                    "200",
                    faculty="İktisadi ve İdari Bilimler Fakültesi",
                    department="İşletme",
                    advisor_email="ilker.isik@omu.example.edu.tr",
                ),
                student("300", faculty="Eğitim Fakültesi", graduation_term="2020-2021 Bahar"),
            ]
        )


@pytest.fixture
def definition(settings: Settings) -> CampaignDefinition:
    return load_definition(DEFINITION, default_timezone=settings.timezone)


Create = Callable[..., Campaign]


def store(session: Session, definition: CampaignDefinition, settings: Settings) -> Campaign:
    """A checked definition stored as a draft."""
    campaign = lifecycle.build_campaign(session, definition, settings=settings)
    session.add(campaign)
    session.flush()
    return campaign


@pytest.fixture
def create(db: Database, students: None, settings_with_templates: Settings) -> Create:
    """Store a campaign from ``DEFINITION`` (or given text), optionally forced to a status."""

    def make(text: str = DEFINITION, status: CampaignStatus | None = None) -> Campaign:
        with db.session() as session:
            definition = load_definition(text, default_timezone="Europe/Istanbul")
            campaign = store(session, definition, settings_with_templates)
            if status is not None:
                campaign.status = status
        return campaign

    return make


def problems(db: Database, text: str, settings: Settings, *, check: bool = True) -> list[Problem]:
    """The problems ``check_definition`` (or, with ``check=False``, ``build_campaign``) finds."""
    with db.session() as session:
        if check:
            with pytest.raises(InvalidDefinitionError) as caught:
                lifecycle.check_definition(session, text, settings=settings)
        else:
            definition = load_definition(text, default_timezone=settings.timezone)
            with pytest.raises(InvalidDefinitionError) as caught:
                lifecycle.build_campaign(session, definition, settings=settings)
    return caught.value.problems


# --- creating --------------------------------------------------------------------------------


def test_create_stores_the_campaign_and_its_waves(db: Database, create: Create) -> None:
    created = create()
    with db.session() as session:
        campaign = session.get_one(Campaign, created.id)
        assert campaign.status is CampaignStatus.DRAFT
        assert campaign.timezone == "Europe/Istanbul"
        assert (campaign.window_start, campaign.window_end) == (time(9), time(20))
        assert campaign.goal_url == "https://mezun.universite.example.edu.tr/kayit"
        assert campaign.launched_at is None
        waves = campaign.waves
        assert [w.position for w in waves] == [1, 2, 3]
        assert [w.name for w in waves] == ["duyuru", "sms", "sabit"]
        assert [w.offset_seconds for w in waves] == [0, 259_200, None]
        assert [w.start_at for w in waves] == [None, None, datetime(2030, 7, 1, 7, tzinfo=UTC)]
        assert [w.channels for w in waves] == [["email"], ["sms", "email"], ["email"]]
        assert [w.only_unconverted for w in waves] == [False, True, True]
        assert all(w.status is WaveStatus.WAITING for w in waves)
        assert campaign.definition["waves"][1]["offset"] == "3d"
        assert campaign.definition["audience"]["faculties"] == ["muhendislik fakultesi"]


def test_audience_is_resolved_to_the_spellings_of_the_data(db: Database, create: Create) -> None:
    campaign = create()
    with db.session() as session:
        stored = session.get_one(Campaign, campaign.id)
        assert stored.audience == {
            "graduation_terms": ["2019-2020 Bahar"],
            "faculties": ["MÜHENDİSLİK FAKÜLTESİ", "Mühendislik Fakültesi"],
            "departments": [],
            "degrees": [],
            "advisor_emails": [],
        }
        assert count_audience(session, stored.audience) == 3


def test_turkish_capitals_and_advisor_emails_match(db: Database, create: Create) -> None:
    text = DEFINITION.replace(
        'faculties = ["muhendislik fakultesi"]',
        'faculties = ["İKTİSADİ VE İDARİ BİLİMLER FAKÜLTESİ"]\n'
        'departments = ["ISLETME"]\n'
        'advisor_emails = ["ILKER.ISIK@OMU.EXAMPLE.EDU.TR"]',
    )
    campaign = create(text)
    assert campaign.audience["faculties"] == ["İktisadi ve İdari Bilimler Fakültesi"]
    assert campaign.audience["departments"] == ["İşletme"]
    assert campaign.audience["advisor_emails"] == ["ilker.isik@omu.example.edu.tr"]


def test_unknown_audience_values_suggest_the_closest(
    db: Database, students: None, settings_with_templates: Settings
) -> None:
    text = DEFINITION.replace(
        'faculties = ["muhendislik fakultesi"]',
        'faculties = ["Muhendislk Fakultesi", "Uzay Okulu"]\n'
        'advisor_emails = ["meryem.akgol@omu.example.edu.tr"]',
    )
    found = problems(db, text, settings_with_templates)
    assert [p.location for p in found] == [
        "audience.faculties[0]",
        "audience.faculties[1]",
        "audience.advisor_emails[0]",
    ]
    assert "'Mühendislik Fakültesi' mi demek istediniz" in found[0].reason
    assert "demek istediniz" not in found[1].reason
    assert "'Meryem.Akgul@omu.example.edu.tr'" in found[2].reason


def test_criteria_no_student_meets_together(
    db: Database, students: None, settings_with_templates: Settings
) -> None:
    text = DEFINITION.replace('"muhendislik fakultesi"', '"Eğitim Fakültesi"')
    found = problems(db, text, settings_with_templates)
    assert [p.location for p in found] == ["audience"]


def test_template_problems(db: Database, students: None, settings_with_templates: Settings) -> None:
    text = """
name = "x"
send_window = "09:00-20:00"
goal_url = "https://mezun.universite.example.edu.tr/kayit"
[audience]
faculties = ["Mühendislik Fakültesi"]
[[waves]]
name = "a"
offset = "0s"
channels = ["email", "sms"]
template = "registration_announcement"
[[waves]]
name = "b"
offset = "1d"
channels = ["whatsapp", "sms", "email"]
template = "registration_reminder"
[[waves]]
name = "c"
offset = "2d"
channels = ["email"]
template = "yok"
"""
    found = problems(db, text, settings_with_templates, check=False)
    assert [p.location for p in found] == ["waves[0].template", "waves[2].template"]
    assert "sms.tr.j2" in found[0].reason
    assert "email" not in found[0].reason.split(":")[1]  # the email parts are there
    assert "bulunamadı" in found[1].reason


def test_check_reports_schema_and_database_problems_together(
    db: Database, students: None, settings_with_templates: Settings
) -> None:
    text = DEFINITION.replace('"muhendislik fakultesi"', '"Hukuk Fakültesi"')
    text = text.replace('offset = "3d"', 'offset = "3days"').replace(
        'template = "registration_reminder"', 'template = "hatirlatma"'
    )
    found = problems(db, text, settings_with_templates)
    assert [p.location for p in found] == [
        "audience.faculties[0]",
        "waves[1].offset",
        "waves[1].template",
    ]


def test_check_returns_the_definition(
    db: Database, students: None, settings_with_templates: Settings
) -> None:
    with db.session() as session:
        definition = lifecycle.check_definition(
            session, DEFINITION, settings=settings_with_templates
        )
    assert definition.name == "Mühendislik kayıt"


def test_nothing_is_stored_when_invalid(
    db: Database, students: None, settings_with_templates: Settings
) -> None:
    text = DEFINITION.replace('"muhendislik fakultesi"', '"Hukuk Fakültesi"')
    problems(db, text, settings_with_templates, check=False)
    with db.session() as session:
        assert session.scalars(select(Campaign)).all() == []
        assert session.scalars(select(Wave)).all() == []


def test_whatsapp_options_are_stored(db: Database, create: Create) -> None:
    text = DEFINITION.replace(
        'channels = ["sms", "email"]\ntemplate = "registration_reminder"',
        'channels = ["whatsapp", "sms"]\ntemplate = "registration_reminder"\n'
        '[waves.whatsapp]\ncontent_sid = "HX0123456789abcdef0123456789abcdef"\n'
        'variables = { "1" = "first_name" }',
    )
    campaign = create(text)
    with db.session() as session:
        waves = session.get_one(Campaign, campaign.id).waves
        assert waves[0].options == {}
        assert waves[1].options == {
            "whatsapp": {
                "content_sid": "HX0123456789abcdef0123456789abcdef",
                "variables": {"1": "first_name"},
            }
        }


def test_always_open_window_survives_the_time_columns(db: Database, create: Create) -> None:
    campaign = create(DEFINITION.replace('"09:00-20:00"', '"00:00-24:00"'))
    with db.session() as session:
        stored = session.get_one(Campaign, campaign.id)
        assert SendWindow.of(stored).always_open
        overnight = create(DEFINITION.replace('"09:00-20:00"', '"20:00–02:00"'))
        assert str(SendWindow.of(session.get_one(Campaign, overnight.id))) == "20:00-02:00"


# --- the example file ------------------------------------------------------------------------


def sample_students() -> list[Student]:
    with (FIXTURES / "graduates_sample.csv").open(encoding="utf-8", newline="") as handle:
        return [
            Student(
                student_no=row["student_no"],
                first_name=row["first_name"],
                last_name=row["last_name"],
                faculty=row["faculty"],
                department=row["department"],
                degree=row["degree"],
                advisor_name=row["advisor_name"] or None,
                advisor_email=row["advisor_email"] or None,
                email=row["email"] or None,
                personal_email=row["personal_email"] or None,
                phone=row["mobile"] or None,
                phone_is_mobile=bool(row["mobile"]),
                whatsapp_opt_in=row["whatsapp_opt_in"] == "yes",
                contact_consent=row["contact_consent"] == "yes",
                language=row["language"],
                graduation_term=row["graduation_term"],
            )
            for row in csv.DictReader(handle)
        ]


def test_the_example_file_validates_against_the_sample_students(
    db: Database, settings_with_templates: Settings
) -> None:
    with db.session() as session:
        session.add_all(sample_students())
    text = EXAMPLE.read_text(encoding="utf-8")
    with db.session() as session:
        definition = lifecycle.check_definition(session, text, settings=settings_with_templates)
        campaign = store(session, definition, settings_with_templates)
        assert campaign.audience["graduation_terms"] == ["2019-2020 Bahar"]
        assert campaign.audience["faculties"] == ["Mühendislik Fakültesi"]
        assert count_audience(session, campaign.audience) == 231
        assert campaign.timezone == "Europe/Istanbul"
        assert str(SendWindow.of(campaign)) == "09:00-20:00"
        assert campaign.goal_url == "https://mezun.universite.example.edu.tr/kayit"
        waves = campaign.waves
        assert [w.offset_seconds for w in waves] == [0, 3 * 86_400, 7 * 86_400]
        assert [w.channels for w in waves] == [["email"], ["sms", "email"], ["whatsapp", "sms"]]
        assert [w.template for w in waves] == [
            "registration_announcement",
            "registration_reminder",
            "registration_reminder",
        ]
        assert [w.only_unconverted for w in waves] == [False, True, True]
        whatsapp = waves[2].options["whatsapp"]
        assert whatsapp["variables"] == {"1": "first_name", "2": "link"}
        assert len(whatsapp["content_sid"]) == 34


# --- reading ---------------------------------------------------------------------------------


def test_get_and_list(db: Database, create: Create) -> None:
    first, second = create(), create()
    with db.session() as session:
        assert lifecycle.get_campaign(session, second.id).id == second.id
        assert [c.id for c in lifecycle.list_campaigns(session)] == [first.id, second.id]


def test_get_unknown_campaign(db: Database) -> None:
    with db.session() as session, pytest.raises(NotFoundError) as caught:
        lifecycle.get_campaign(session, 999)
    assert str(caught.value) == "999 numaralı kampanya bulunamadı / campaign 999 not found"


# --- transitions -----------------------------------------------------------------------------


def test_launch_schedules_offset_waves_from_now(db: Database, create: Create) -> None:
    campaign = create()
    with db.session() as session:
        lifecycle.launch(session, campaign.id, now=NOW)
    with db.session() as session:
        stored = session.get_one(Campaign, campaign.id)
        assert stored.status is CampaignStatus.ACTIVE
        assert stored.launched_at == NOW
        assert [w.start_at for w in stored.waves] == [
            NOW,
            NOW + timedelta(days=3),
            datetime(2030, 7, 1, 7, tzinfo=UTC),  # absolute: unchanged
        ]


def test_launch_needs_an_aware_now(db: Database, create: Create) -> None:
    campaign = create()
    with db.session() as session, pytest.raises(ValueError, match="aware"):
        lifecycle.launch(session, campaign.id, now=datetime(2025, 6, 2, 10, 0))


ACTIONS: dict[str, Callable[..., Campaign]] = {
    "launch": lambda s, i: lifecycle.launch(s, i, now=NOW),
    "pause": lifecycle.pause,
    "resume": lifecycle.resume,
    "cancel": lambda s, i: lifecycle.cancel(s, i, now=NOW),
}
ALLOWED = {
    ("launch", CampaignStatus.DRAFT): CampaignStatus.ACTIVE,
    ("pause", CampaignStatus.ACTIVE): CampaignStatus.PAUSED,
    ("resume", CampaignStatus.PAUSED): CampaignStatus.ACTIVE,
    ("cancel", CampaignStatus.DRAFT): CampaignStatus.CANCELLED,
    ("cancel", CampaignStatus.ACTIVE): CampaignStatus.CANCELLED,
    ("cancel", CampaignStatus.PAUSED): CampaignStatus.CANCELLED,
}
EVERY = [(action, status) for action in ACTIONS for status in CampaignStatus]


@pytest.mark.parametrize(("action", "status"), [k for k in EVERY if k in ALLOWED])
def test_allowed_transitions(
    db: Database, create: Create, action: str, status: CampaignStatus
) -> None:
    campaign = create(status=status)
    with db.session() as session:
        ACTIONS[action](session, campaign.id)
    with db.session() as session:
        assert session.get_one(Campaign, campaign.id).status is ALLOWED[(action, status)]


@pytest.mark.parametrize(("action", "status"), [k for k in EVERY if k not in ALLOWED])
def test_forbidden_transitions(
    db: Database, create: Create, action: str, status: CampaignStatus
) -> None:
    campaign = create(status=status)
    with db.session() as session, pytest.raises(StateError) as caught:
        ACTIONS[action](session, campaign.id)
    assert f"({status.value})" in str(caught.value)
    assert f"is {status.value}" in str(caught.value)
    with db.session() as session:
        assert session.get_one(Campaign, campaign.id).status is status


@pytest.mark.parametrize("action", list(ACTIONS))
def test_transitions_of_an_unknown_campaign(db: Database, action: str) -> None:
    with db.session() as session, pytest.raises(NotFoundError):
        ACTIONS[action](session, 999)


def test_cancel_cancels_what_is_not_sent(db: Database, create: Create) -> None:
    campaign = create(status=CampaignStatus.ACTIVE)
    other = create(status=CampaignStatus.ACTIVE)
    with db.session() as session:
        waves = session.get_one(Campaign, campaign.id).waves
        waves[0].status = WaveStatus.DONE
        waves[1].status = WaveStatus.SENDING
        ids = session.scalars(select(Student.id).order_by(Student.id)).all()
        statuses = [MessageStatus.PENDING, MessageStatus.SENT, MessageStatus.PENDING]
        for student_id, status in zip(ids, statuses, strict=False):
            session.add(Message(wave_id=waves[1].id, student_id=student_id, status=status))
        session.add(Message(wave_id=waves[0].id, student_id=ids[0], status=MessageStatus.DELIVERED))
        other_wave = session.get_one(Campaign, other.id).waves[0]
        session.add(Message(wave_id=other_wave.id, student_id=ids[0], status=MessageStatus.PENDING))
    with db.session() as session:
        lifecycle.cancel(session, campaign.id, now=NOW)
    with db.session() as session:
        stored = session.get_one(Campaign, campaign.id)
        assert stored.status is CampaignStatus.CANCELLED
        assert stored.finished_at == NOW
        assert [w.status for w in stored.waves] == [
            WaveStatus.DONE,
            WaveStatus.CANCELLED,
            WaveStatus.CANCELLED,
        ]
        by_wave = {
            (wave_id, student_id): status
            for wave_id, student_id, status in session.execute(
                select(Message.wave_id, Message.student_id, Message.status)
            )
        }
        assert by_wave == {
            (stored.waves[1].id, ids[0]): MessageStatus.CANCELLED,
            (stored.waves[1].id, ids[1]): MessageStatus.SENT,
            (stored.waves[1].id, ids[2]): MessageStatus.CANCELLED,
            (stored.waves[0].id, ids[0]): MessageStatus.DELIVERED,
            (other_wave.id, ids[0]): MessageStatus.PENDING,  # another campaign: untouched
        }


@pytest.mark.parametrize(
    ("goal_url", "allowed", "reason"),
    [
        # The host is evil.example: what comes before "@" is a user name.
        ("https://mezun.universite.example.edu.tr@evil.example/", None, "without a user name"),
        ("https://evil.example/kayit", None, "links may not lead to 'evil.example'"),
        ("https://mezun.universite.example.edu.tr\\@evil.example/", None, "without a user name"),
        ("https://mezun.universite.example.edu.tr:99999/", None, "without a user name"),
        ("https://kayit.example.org/", "kayit.example.org", None),
        ("https://MEZUN.universite.example.edu.tr/kayit", None, None),
    ],
)
def test_goal_urls_lead_only_to_the_configured_hosts(
    db: Database,
    students: None,
    settings_with_templates: Settings,
    goal_url: str,
    allowed: str | None,
    reason: str | None,
) -> None:
    text = DEFINITION.replace(
        'goal_url = "https://mezun.universite.example.edu.tr/kayit"', f"goal_url = {goal_url!r}"
    )
    settings = settings_with_templates.model_copy(update={"goal_hosts": allowed or ""})
    with db.session() as session:
        if reason is None:
            lifecycle.check_definition(session, text, settings=settings)
            return
        with pytest.raises(InvalidDefinitionError) as caught:
            lifecycle.check_definition(session, text, settings=settings)
    [problem] = caught.value.problems
    assert problem.location == "goal_url"
    assert reason in problem.reason


def test_a_start_in_the_past_and_waves_out_of_order_are_problems(
    db: Database, students: None, settings_with_templates: Settings
) -> None:
    text = DEFINITION.replace('offset = "3d"', 'offset = "0s"').replace(
        "start = 2030-07-01T10:00:00", "start = 2025-06-01T09:30:00"
    )
    text = text.replace(
        '[[waves]]\nname = "duyuru"\noffset = "0s"', '[[waves]]\nname = "duyuru"\noffset = "1d"'
    )
    with db.session() as session, pytest.raises(InvalidDefinitionError) as caught:
        lifecycle.check_definition(session, text, settings=settings_with_templates, now=NOW)
    found = {p.location: p.reason for p in caught.value.problems}
    assert found["waves[2].start"] == (
        "geçmişte bir zaman: 2025-06-01 09:30 (Europe/Istanbul) / "
        "a time in the past: 2025-06-01 09:30 (Europe/Istanbul)"
    )
    assert found["waves[1].offset"].endswith(
        "goes out before waves[0]: list the waves in the order they are sent"
    )


def test_whatsapp_through_twilio_needs_an_approved_template(
    db: Database, students: None, settings_with_templates: Settings
) -> None:
    text = DEFINITION.replace('channels = ["sms", "email"]', 'channels = ["whatsapp", "sms"]')
    on_twilio = settings_with_templates.model_copy(update={"whatsapp_adapter": "twilio-whatsapp"})
    with db.session() as session, pytest.raises(InvalidDefinitionError) as caught:
        lifecycle.check_definition(session, text, settings=on_twilio, now=NOW)
    [problem] = caught.value.problems
    assert problem.location == "waves[1].whatsapp"
    assert "twilio-whatsapp delivers only an approved template" in problem.reason
    # The outbox writes whatever it gets: no template needed there.
    with db.session() as session:
        lifecycle.check_definition(session, text, settings=settings_with_templates, now=NOW)
