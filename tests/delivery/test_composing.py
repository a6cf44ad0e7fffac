"""One composer: a test send and a preview carry what students get, headers included."""

from __future__ import annotations

from sqlalchemy import select

from campaigns.core.actors import Actor
from campaigns.core.db import Database
from campaigns.core.models import Campaign, Message, Role, Student
from campaigns.core.settings import Settings
from campaigns.delivery.composing import Composer
from campaigns.delivery.preview import preview_wave
from campaigns.delivery.trial_send import prepare_trial
from campaigns.tracking.links import message_token, parse_token
from campaigns.tracking.optouts import unsubscribe
from channels.base import Channel
from tests.support.waves import sent_wave

ADMIN = Actor(
    "yonetici@universite.example.edu.tr", Role.ADMIN, email="yonetici@universite.example.edu.tr"
)


def test_a_test_send_is_the_message_students_get(db: Database, settings: Settings) -> None:
    wave = sent_wave(db, settings, students=1)
    student_copy = wave.adapter.sent[0]
    with db.session() as session:
        message = session.scalars(select(Message)).one()
        student = session.scalars(select(Student)).one()
        tracked = f"{settings.public_url}/r/{message_token(message.id, message.secret or '')}"
        trial = prepare_trial(
            session, settings, ADMIN, campaign_id=wave.campaign_id, wave_name=wave.wave_name
        )
        goal = session.scalars(select(Campaign.goal_url)).one()
    test_copy = trial.message

    assert trial.student_no == student.student_no
    assert test_copy.to == ADMIN.email
    assert test_copy.subject == student_copy.subject
    # The same text and HTML, except that the test links to the goal (it has no message row).
    assert test_copy.text == student_copy.text.replace(tracked, goal)
    assert test_copy.html == (student_copy.html or "").replace(tracked, goal)
    assert test_copy.tags == {**student_copy.tags, "test": "1"}
    assert (
        set(test_copy.headers)
        == set(student_copy.headers)
        == {
            "List-Unsubscribe",
            "List-Unsubscribe-Post",
        }
    )
    assert test_copy.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_the_unsubscribe_link_of_a_test_send_unsubscribes_nobody(
    db: Database, settings: Settings
) -> None:
    wave = sent_wave(db, settings, students=1)
    with db.session() as session:
        trial = prepare_trial(
            session, settings, ADMIN, campaign_id=wave.campaign_id, wave_name=wave.wave_name
        )
    link = trial.message.headers["List-Unsubscribe"].strip("<>")
    token = link.rpartition("/u/")[2]
    assert link.startswith(f"{settings.public_url}/u/")
    assert parse_token(token) is not None  # well formed, so the page answers "not found"
    with db.session() as session:
        assert unsubscribe(session, token) is None


def test_a_preview_shows_the_headers_email_carries(db: Database, settings: Settings) -> None:
    wave = sent_wave(db, settings, students=1)
    with db.session() as session:
        student_no = session.scalars(select(Student.student_no)).one()
        preview = preview_wave(
            session,
            settings,
            campaign_id=wave.campaign_id,
            wave_name=wave.wave_name,
            student_no=student_no,
        )
    (email,) = [c for c in preview.channels if c.channel is Channel.EMAIL]
    assert set(email.headers) == set(wave.adapter.sent[0].headers)


def test_the_composer_fills_the_whatsapp_template_and_heads_only_email(
    db: Database, settings: Settings
) -> None:
    options = {"whatsapp": {"content_sid": "HX" + "0" * 32, "variables": {"1": "first_name"}}}
    wave = sent_wave(db, settings, students=1, channels=["whatsapp"], options=options)
    with db.session() as session:
        message = session.scalars(select(Message)).one()
        student = session.scalars(select(Student)).one()
        campaign = session.scalars(select(Campaign)).one()
        composed = Composer(settings).compose(
            message_id=message.id,
            channel=Channel.WHATSAPP,
            to=message.address or "",
            student=student,
            language="tr",
            campaign=campaign,
            wave=campaign.waves[0],
            secret=message.secret,
        )
    assert composed == wave.adapter.sent[0]
    assert composed.template is not None
    assert composed.template.variables == {"1": student.first_name}
    assert composed.headers == {}
    assert Composer(settings).headers(Channel.EMAIL, message.id, None) == {}
