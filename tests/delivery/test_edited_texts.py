"""Texts edited in the web app: checked in the sandbox before they are saved, versioned,
standing in for the file of the same name (which stays the default), and picked up by a
running sender at its next batch."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from campaigns.core.actors import Actor
from campaigns.core.db import Database
from campaigns.core.errors import NotAllowedError, NotFoundError
from campaigns.core.models import AuditEntry, Role
from campaigns.core.settings import Settings
from campaigns.delivery import edited_texts
from campaigns.delivery.adapter_pool import AdapterPool
from campaigns.delivery.edited_texts import InvalidTextError
from campaigns.delivery.sending import WaveSender
from channels.base import Channel
from tests.support.adapters import RecordingAdapter
from tests.support.waves import planned_wave

ADMIN = Actor("mezun.ofisi@universite.example.edu.tr", Role.ADMIN)
SMS = ("registration_reminder", "sms", "tr")


def test_a_saved_text_stands_in_for_its_file_until_the_file_is_asked_back(
    db: Database, settings: Settings
) -> None:
    file_text = (settings.templates_dir / "registration_reminder" / "sms.tr.j2").read_text()
    with db.session() as session:
        assert edited_texts.current(session, settings, *SMS).text == file_text
        edited_texts.save(session, ADMIN, settings, *SMS, "Merhaba {{ first_name }}: {{ link }}")
        edited_texts.save(session, ADMIN, settings, *SMS, "Sayın {{ full_name }}: {{ link }}")
    with db.session() as session:
        state = edited_texts.current(session, settings, *SMS)
        assert state.text == "Sayın {{ full_name }}: {{ link }}"
        assert state.edited is not None
        assert (state.edited.version, state.edited.created_by) == (2, ADMIN.name)
        assert edited_texts.edited_texts(session) == {
            "registration_reminder/sms.tr.j2": "Sayın {{ full_name }}: {{ link }}"
        }
        edited_texts.save(session, ADMIN, settings, *SMS, None)
    with db.session() as session:
        assert edited_texts.current(session, settings, *SMS).text == file_text
        assert edited_texts.edited_texts(session) == {}
        assert [v.version for v in edited_texts.history(session, *SMS)] == [3, 2, 1]
        audited = session.scalars(
            select(AuditEntry.details).where(AuditEntry.action == edited_texts.TEXT_EDIT)
        ).all()
        assert [d["version"] for d in audited] == [1, 2, 3]


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("Merhaba {{ first_name ", "TemplateSyntaxError"),
        ("Merhaba {{ tc_kimlik_no }}", "tc_kimlik_no"),
        ("{{ ''.__class__.__mro__ }}", "SecurityError"),
        ("   ", "boş olamaz"),
    ],
)
def test_a_text_that_cannot_be_rendered_is_not_saved(
    db: Database, settings: Settings, text: str, says: str
) -> None:
    with db.session() as session, pytest.raises(InvalidTextError, match=says):
        edited_texts.save(session, ADMIN, settings, *SMS, text)
    with db.session() as session:
        assert edited_texts.history(session, *SMS) == []


def test_only_administrators_edit_known_texts(db: Database, settings: Settings) -> None:
    advisor = Actor("kemal.isik@universite.example.edu.tr", Role.ADVISOR)
    with db.session() as session:
        with pytest.raises(NotAllowedError):
            edited_texts.save(session, advisor, settings, *SMS, "Merhaba")
        with pytest.raises(NotFoundError):
            edited_texts.save(session, ADMIN, settings, "../etc", "sms", "tr", "Merhaba")
        with pytest.raises(NotFoundError):
            edited_texts.current(session, settings, "registration_reminder", "sms", "de")


def test_a_running_sender_uses_a_new_version_from_its_next_batch(
    db: Database, settings: Settings
) -> None:
    batch = settings.model_copy(update={"batch_size": 2})
    wave_id = planned_wave(db, 4, channels=["sms"])
    adapter = RecordingAdapter()
    sender = WaveSender(db, batch, AdapterPool(batch, dict.fromkeys(Channel, adapter)))
    sender.send_batch(wave_id)
    with db.session() as session:
        edited_texts.save(session, ADMIN, settings, *SMS, "YENİ {{ first_name }} {{ link }}")
    sender.send_batch(wave_id)
    texts = [message.text for message in adapter.sent]
    assert len(texts) == 4
    assert not any(text.startswith("YENİ") for text in texts[:2])
    assert all(text.startswith("YENİ Ayşe") for text in texts[2:])
