"""The shipped message templates: every part in both languages says what the office needs."""

from __future__ import annotations

import re
import unicodedata
from types import SimpleNamespace

import pytest
from jinja2 import meta

from campaigns.core.rendering import (
    CONTEXT_VARIABLES,
    LANGUAGES,
    PARTS,
    Renderer,
    message_context,
    missing_parts,
    part_path,
)
from channels.base import Channel
from channels.gsm import sms_info
from tests.support.paths import TEMPLATES_DIR

ANNOUNCEMENT = "registration_announcement"
REMINDER = "registration_reminder"
TEMPLATES = (ANNOUNCEMENT, REMINDER)
FORM_CODE = "P1.3.FR.0058"
OFFICE = "mezun@universite.example.edu.tr"
# A long but real-looking Turkish name and a tracking link as long as the service issues.
FIRST_NAME = "Ayşegül Nur"
LAST_NAME = "Karaosmanoğlu Yıldız"
FULL_NAME = f"{FIRST_NAME} {LAST_NAME}"
LINK = "https://kampanya.example.edu.tr/r/Zx8kQp2LmN4vRt6W"

EVERY_MESSAGE = [
    (template, channel, language)
    for template in TEMPLATES
    for channel in Channel
    for language in LANGUAGES
]
EVERY_TEMPLATE_LANGUAGE = [(template, language) for template in TEMPLATES for language in LANGUAGES]
ALL_PARTS = tuple(part for parts in PARTS.values() for part in parts)


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer(TEMPLATES_DIR)


def realistic_context(**student_values: str | None) -> dict[str, str]:
    values: dict[str, str | None] = {
        "student_no": "20201234567",
        "first_name": FIRST_NAME,
        "last_name": LAST_NAME,
        "faculty": "Mühendislik Fakültesi",
        "department": "Bilgisayar Mühendisliği",
        "degree": "Lisans",
        "advisor_name": "Doç. Dr. İlker Çağlar",
        "advisor_email": "ilker.caglar@universite.example.edu.tr",
        "graduation_term": "2024-2025 Bahar",
    }
    values.update(student_values)
    return message_context(
        SimpleNamespace(**values),
        campaign_name="2024-2025 Bahar mezunları",
        wave_name="ilk-duyuru",
        goal_url="https://mezun.universite.example.edu.tr/kayit",
        link=LINK,
        alumni_office_email=OFFICE,
    )


def texts(
    renderer: Renderer, template: str, channel: Channel, language: str, **data: str
) -> list[str]:
    message = renderer.render(template, channel, language, realistic_context(**data))
    return [t for t in (message.subject, message.text, message.html) if t is not None]


@pytest.mark.parametrize(("template", "language"), EVERY_TEMPLATE_LANGUAGE)
def test_every_part_exists_in_every_language(template: str, language: str) -> None:
    for channel in Channel:
        assert missing_parts(TEMPLATES_DIR, template, channel) == []
    for part in ALL_PARTS:
        assert part_path(TEMPLATES_DIR, template, part, language).is_file()


@pytest.mark.parametrize(("template", "language"), EVERY_TEMPLATE_LANGUAGE)
def test_templates_are_nfc_utf8_and_use_only_context_variables(
    renderer: Renderer, template: str, language: str
) -> None:
    for part in ALL_PARTS:
        path = part_path(TEMPLATES_DIR, template, part, language)
        source = path.read_bytes().decode("utf-8")
        variables = meta.find_undeclared_variables(renderer.environment.parse(source))
        assert variables <= set(CONTEXT_VARIABLES), path.name
        assert unicodedata.is_normalized("NFC", source), path.name


@pytest.mark.parametrize(("template", "channel", "language"), EVERY_MESSAGE)
def test_every_message_greets_by_name_and_gives_link_and_form_code(
    renderer: Renderer, template: str, channel: Channel, language: str
) -> None:
    message = renderer.render(template, channel, language, realistic_context())

    greeting = "Sayın" if language == "tr" else "Dear"
    assert message.text.startswith(f"{greeting} {FULL_NAME},")
    for text in (message.text, message.html):
        if text is not None:
            assert FULL_NAME in text
            assert LINK in text
            assert FORM_CODE in text


@pytest.mark.parametrize(
    ("template", "channel", "language"),
    [m for m in EVERY_MESSAGE if m[1] is not Channel.SMS],
)
def test_emails_and_whatsapp_give_the_office_mailbox(
    renderer: Renderer, template: str, channel: Channel, language: str
) -> None:
    message = renderer.render(template, channel, language, realistic_context())

    assert OFFICE in message.text
    if channel is Channel.EMAIL:
        assert message.html is not None
        assert f'<a href="mailto:{OFFICE}"' in message.html


@pytest.mark.parametrize(("template", "language"), EVERY_TEMPLATE_LANGUAGE)
def test_sms_fits_three_ucs2_segments_with_a_long_name(
    renderer: Renderer, template: str, language: str
) -> None:
    text = renderer.render(template, Channel.SMS, language, realistic_context()).text
    info = sms_info(text)

    assert info.encoding == "UCS-2"
    assert info.segments <= 3
    assert "\n" not in text


@pytest.mark.parametrize("template", TEMPLATES)
def test_english_sms_stays_gsm7_for_an_ascii_name(renderer: Renderer, template: str) -> None:
    data = realistic_context(first_name="John", last_name="Smith")

    info = sms_info(renderer.render(template, Channel.SMS, "en", data).text)

    # A stray typographic quote or dash would double the cost by forcing UCS-2.
    assert info.encoding == "GSM-7"
    assert info.segments <= 2


@pytest.mark.parametrize(("template", "language"), EVERY_TEMPLATE_LANGUAGE)
def test_subject_is_one_short_line(renderer: Renderer, template: str, language: str) -> None:
    subject = renderer.render(template, Channel.EMAIL, language, realistic_context()).subject

    assert subject
    assert "\n" not in subject
    assert subject == subject.strip()
    assert len(subject) <= 90
    assert ("Mezun Bilgi Sistemi" if language == "tr" else "Alumni Information System") in subject


@pytest.mark.parametrize(("template", "language"), EVERY_TEMPLATE_LANGUAGE)
def test_html_is_self_contained_accessible_and_escaped(
    renderer: Renderer, template: str, language: str
) -> None:
    data = realistic_context(last_name="<script>alert(1)</script>")

    html = renderer.render(template, Channel.EMAIL, language, data).html

    assert html is not None
    assert html.startswith("<!DOCTYPE html>")
    assert f'<html lang="{language}">' in html
    assert '<meta charset="utf-8">' in html
    assert re.search(r"<title>[^<]+</title>", html)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    for forbidden in ("<script", "<img", "<link", "src=", "url(", "@import", "<style"):
        assert forbidden not in html
    button = re.search(rf'<a href="{re.escape(LINK)}" style="([^"]*)">([^<]+)</a>', html)
    assert button is not None
    assert "display:inline-block" in button.group(1)
    assert "background-color" in button.group(1)
    assert button.group(2).strip()
    assert f">{LINK}</a>" in html
    assert f"<strong>{FORM_CODE}</strong>" in html


@pytest.mark.parametrize(("template", "channel", "language"), EVERY_MESSAGE)
def test_plain_text_parts_are_not_html_escaped(
    renderer: Renderer, template: str, channel: Channel, language: str
) -> None:
    message = renderer.render(
        template, channel, language, realistic_context(last_name="O'Neil & <Yıldız>")
    )

    assert f"{FIRST_NAME} O'Neil & <Yıldız>" in message.text
    assert "&amp;" not in message.text
    assert "&#39;" not in message.text


@pytest.mark.parametrize(("template", "channel", "language"), EVERY_MESSAGE)
def test_student_data_prints_literally(
    renderer: Renderer, template: str, channel: Channel, language: str
) -> None:
    message = renderer.render(
        template, channel, language, realistic_context(first_name="{{ 7*7 }}")
    )

    assert "{{ 7*7 }} " + LAST_NAME in message.text
    if message.html is not None:
        assert "{{ 7*7 }} " + LAST_NAME in message.html


@pytest.mark.parametrize("template", TEMPLATES)
@pytest.mark.parametrize("channel", list(Channel))
def test_turkish_letters_are_intact(renderer: Renderer, template: str, channel: Channel) -> None:
    joined = "\n".join(texts(renderer, template, channel, "tr"))

    assert "Mezun Bilgi Sistemi" in joined
    assert "Karaosmanoğlu Yıldız" in joined
    if channel is not Channel.SMS:
        assert "Öğrenci İşlerine" in joined
        assert "enstitü" in joined
    for broken in ("Ã", "Ä", "Å", "\ufffd"):
        assert broken not in joined


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("channel", [Channel.EMAIL, Channel.WHATSAPP])
def test_announcement_explains_the_whole_procedure(
    renderer: Renderer, language: str, channel: Channel
) -> None:
    joined = "\n".join(texts(renderer, ANNOUNCEMENT, channel, language))

    if language == "tr":
        expected = ["kaydol", "çıktısını", "diploma başvurunuzla", "Öğrenci İşlerine", "enstitü"]
    else:
        expected = ["register", "print", "diploma application", "Student Affairs", "Institute"]
    for phrase in [*expected, FORM_CODE, LINK, OFFICE]:
        assert phrase in joined, phrase


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("channel", list(Channel))
def test_reminder_says_the_student_has_not_registered_yet(
    renderer: Renderer, language: str, channel: Channel
) -> None:
    not_yet = r"\bhenüz\b" if language == "tr" else r"\bnot\b[^.]*\byet\b"
    for text in texts(renderer, REMINDER, channel, language):
        assert re.search(not_yet, text), text


@pytest.mark.parametrize("language", LANGUAGES)
def test_reminder_subject_reads_as_a_reminder(renderer: Renderer, language: str) -> None:
    subject = renderer.render(REMINDER, Channel.EMAIL, language, realistic_context()).subject

    assert subject is not None
    assert subject.startswith("Hatırlatma:" if language == "tr" else "Reminder:")


@pytest.mark.parametrize(("template", "language"), EVERY_TEMPLATE_LANGUAGE)
def test_email_is_signed_by_the_advisor_when_there_is_one(
    renderer: Renderer, template: str, language: str
) -> None:
    office = "Mezunlar Ofisi" if language == "tr" else "Alumni Office"

    signed = renderer.render(template, Channel.EMAIL, language, realistic_context())
    unsigned = renderer.render(
        template, Channel.EMAIL, language, realistic_context(advisor_name=None)
    )

    assert signed.text.endswith(f"Doç. Dr. İlker Çağlar, {_advisor(language)}\n{office}")
    assert unsigned.text.endswith(f"\n{office}")
    assert _advisor(language) not in unsigned.text
    assert "\n\n\n" not in unsigned.text
    assert unsigned.html is not None
    assert _advisor(language) not in unsigned.html


def _advisor(language: str) -> str:
    return "akademik danışmanınız" if language == "tr" else "your academic advisor"
