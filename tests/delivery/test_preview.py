"""``preview_wave`` on both databases, and ``campaigns preview`` on the command line."""

from __future__ import annotations

import json
import shutil
from datetime import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from campaigns.cli import app
from campaigns.cli.preview import sms_line
from campaigns.core.db import Database
from campaigns.core.errors import NotFoundError
from campaigns.core.models import Campaign, Student, Wave
from campaigns.core.settings import Settings, get_settings
from campaigns.delivery.preview import WavePreview, preview_wave
from channels.base import Channel
from channels.gsm import sms_info
from tests.support.paths import TEMPLATES_DIR

GOAL_URL = "https://mezun.universite.example.edu.tr/kayit"
WHATSAPP = {"content_sid": "HX0123456789abcdef", "variables": {"1": "first_name", "2": "link"}}


def seed(
    db: Database,
    *,
    language: str = "tr",
    first_name: str = "Ayşegül",
    last_name: str = "Yıldırım",
    options: dict[str, Any] | None = None,
) -> int:
    """A campaign with two waves and one student; returns the campaign id."""
    with db.session() as session:
        campaign = Campaign(
            name="2024-2025 Bahar mezunları",
            timezone="Europe/Istanbul",
            window_start=time(9),
            window_end=time(20),
            goal_url=GOAL_URL,
            audience={},
            definition={},
        )
        campaign.waves = [
            Wave(
                position=0,
                name="ilk-duyuru",
                channels=["email", "sms", "whatsapp"],
                template="registration_announcement",
                only_unconverted=False,
                options={"whatsapp": WHATSAPP} if options is None else options,
            ),
            Wave(
                position=1,
                name="hatırlatma",
                channels=["sms"],
                template="registration_reminder",
                only_unconverted=True,
                options={},
            ),
        ]
        session.add(campaign)
        session.add(
            Student(
                student_no="20201234567",
                first_name=first_name,
                last_name=last_name,
                faculty="Mühendislik Fakültesi",
                department="Bilgisayar Mühendisliği",
                degree="Lisans",
                advisor_name="Doç. Dr. İlker Çağlar",
                graduation_term="2024-2025 Bahar",
                language=language,
            )
        )
        session.flush()
        return campaign.id


def run_preview(
    db: Database, settings: Settings, campaign_id: int, wave: str = "ilk-duyuru"
) -> WavePreview:
    with db.session() as session:
        return preview_wave(
            session, settings, campaign_id=campaign_id, wave_name=wave, student_no="20201234567"
        )


def part(result: WavePreview, channel: Channel, name: str) -> tuple[str | None, str | None]:
    found = next(c for c in result.channels if c.channel is channel)
    item = next(p for p in found.parts if p.part == name)
    return item.text, item.error


def test_every_part_of_every_channel_is_rendered(db: Database, settings: Settings) -> None:
    campaign_id = seed(db)

    result = run_preview(db, settings, campaign_id)

    assert [c.channel for c in result.channels] == [Channel.EMAIL, Channel.SMS, Channel.WHATSAPP]
    assert [[p.part for p in c.parts] for c in result.channels] == [
        ["email.subject", "email.txt", "email.html"],
        ["sms"],
        ["whatsapp"],
    ]
    assert result.errors == []
    assert (result.campaign_id, result.wave_name, result.template) == (
        campaign_id,
        "ilk-duyuru",
        "registration_announcement",
    )
    assert (result.student_no, result.full_name, result.language) == (
        "20201234567",
        "Ayşegül Yıldırım",
        "tr",
    )
    for channel in result.channels:
        for item in channel.parts:
            assert item.source == f"registration_announcement/{item.part}.tr.j2"
            assert item.text
            assert "P1.3.FR.0058" in item.text or item.part == "email.subject"
    subject, _ = part(result, Channel.EMAIL, "email.subject")
    assert subject is not None
    assert subject.startswith("Diploma öncesi Mezun Bilgi Sistemi")


def test_link_is_the_campaign_goal_for_now(db: Database, settings: Settings) -> None:
    result = run_preview(db, settings, seed(db))

    text, _ = part(result, Channel.SMS, "sms")
    assert result.link == GOAL_URL
    assert text is not None
    assert text.endswith(GOAL_URL)


def test_sms_and_whatsapp_carry_their_sms_info(db: Database, settings: Settings) -> None:
    result = run_preview(db, settings, seed(db))

    by_channel = {c.channel: c for c in result.channels}
    for channel in (Channel.SMS, Channel.WHATSAPP):
        text = by_channel[channel].parts[0].text
        assert text is not None
        assert by_channel[channel].sms == sms_info(text)
        assert by_channel[channel].sms is not None
    sms = by_channel[Channel.SMS].sms
    assert sms is not None
    assert sms.encoding == "UCS-2"
    assert sms.segments <= 3
    assert by_channel[Channel.EMAIL].sms is None


def test_whatsapp_template_variables_are_filled(db: Database, settings: Settings) -> None:
    result = run_preview(db, settings, seed(db))

    whatsapp = next(c for c in result.channels if c.channel is Channel.WHATSAPP)
    assert whatsapp.whatsapp_template is not None
    assert whatsapp.whatsapp_template.content_sid == "HX0123456789abcdef"
    assert whatsapp.whatsapp_template.variables == {"1": "Ayşegül", "2": GOAL_URL}
    assert whatsapp.whatsapp_template.error is None


def test_whatsapp_without_a_provider_template_has_none(db: Database, settings: Settings) -> None:
    result = run_preview(db, settings, seed(db, options={}))

    whatsapp = next(c for c in result.channels if c.channel is Channel.WHATSAPP)
    assert whatsapp.whatsapp_template is None
    assert whatsapp.parts[0].text


@pytest.mark.parametrize(
    ("whatsapp", "problem"),
    [
        ({"content_sid": "HX1", "variables": {"1": "nickname"}}, "1=nickname"),
        ({"variables": {"1": "first_name"}}, "content_sid"),
        ({"content_sid": "HX1", "variables": ["first_name"]}, "options.whatsapp"),
    ],
)
def test_bad_whatsapp_options_are_shown_not_raised(
    db: Database, settings: Settings, whatsapp: dict[str, Any], problem: str
) -> None:
    result = run_preview(db, settings, seed(db, options={"whatsapp": whatsapp}))

    template = next(c for c in result.channels if c.channel is Channel.WHATSAPP).whatsapp_template
    assert template is not None
    assert template.error is not None
    assert problem in template.error
    assert template.variables == {}
    assert len(result.errors) == 1
    text, _ = part(result, Channel.WHATSAPP, "whatsapp")
    assert text


def test_student_language_is_used(db: Database, settings: Settings) -> None:
    result = run_preview(db, settings, seed(db, language="en"))

    text, _ = part(result, Channel.SMS, "sms")
    assert text is not None
    assert text.startswith("Dear Ayşegül Yıldırım,")
    assert result.channels[0].parts[1].source == "registration_announcement/email.txt.en.j2"


def test_unknown_language_falls_back_to_turkish(db: Database, settings: Settings) -> None:
    result = run_preview(db, settings, seed(db, language="de"))

    text, _ = part(result, Channel.SMS, "sms")
    assert result.language == "de"
    assert text is not None
    assert text.startswith("Sayın Ayşegül Yıldırım,")
    assert all(p.source and p.source.endswith(".tr.j2") for c in result.channels for p in c.parts)


def test_student_data_is_escaped_only_in_html(db: Database, settings: Settings) -> None:
    campaign_id = seed(db, first_name="{{ 7*7 }}", last_name="<script>x</script>")

    result = run_preview(db, settings, campaign_id)

    html, _ = part(result, Channel.EMAIL, "email.html")
    sms, _ = part(result, Channel.SMS, "sms")
    assert html is not None
    assert "{{ 7*7 }} &lt;script&gt;x&lt;/script&gt;" in html
    assert "<script>" not in html
    assert sms is not None
    assert sms.startswith("Sayın {{ 7*7 }} <script>x</script>,")


def broken_templates(tmp_path: Path) -> Path:
    """A copy of the shipped templates whose Turkish announcement SMS uses an unknown name."""
    copy = tmp_path / "templates"
    shutil.copytree(TEMPLATES_DIR, copy)
    (copy / "registration_announcement" / "sms.tr.j2").write_text(
        "Sayın {{ first_name }}, {{ nickname }}", encoding="utf-8"
    )
    return copy


def test_a_broken_part_is_reported_and_the_rest_rendered(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    broken = settings.model_copy(update={"templates_dir": broken_templates(tmp_path)})

    result = run_preview(db, broken, seed(db))

    text, error = part(result, Channel.SMS, "sms")
    assert text is None
    assert error is not None
    assert "registration_announcement/sms.tr.j2" in error
    assert "'nickname' is undefined" in error
    assert "Ayşegül" not in error
    assert next(c for c in result.channels if c.channel is Channel.SMS).sms is None
    assert len(result.errors) == 1
    assert result.errors[0].startswith("sms · sms: ")
    email_text, email_error = part(result, Channel.EMAIL, "email.txt")
    assert email_error is None
    assert email_text is not None
    assert "P1.3.FR.0058" in email_text


def test_missing_template_is_reported_per_part(db: Database, settings: Settings) -> None:
    campaign_id = seed(db)
    with db.session() as session:
        wave = session.query(Wave).filter_by(name="ilk-duyuru").one()
        wave.template = "no_such_template"

    result = run_preview(db, settings, campaign_id)

    assert len(result.errors) == 5
    for channel in result.channels:
        for item in channel.parts:
            assert item.source is None
            assert item.error is not None
            assert f"no_such_template/{item.part}.tr.j2" in item.error


def test_unknown_campaign(db: Database, settings: Settings) -> None:
    seed(db)

    with pytest.raises(NotFoundError, match="kampanya bulunamadı / campaign not found: 999"):
        run_preview(db, settings, 999)


def test_unknown_wave_lists_the_waves(db: Database, settings: Settings) -> None:
    campaign_id = seed(db)

    with pytest.raises(NotFoundError) as caught:
        run_preview(db, settings, campaign_id, wave="üçüncü")

    message = str(caught.value)
    assert "'üçüncü'" in message
    assert "ilk-duyuru, hatırlatma" in message


def test_unknown_student(db: Database, settings: Settings) -> None:
    campaign_id = seed(db)

    with db.session() as session, pytest.raises(NotFoundError, match="student not found: 42"):
        preview_wave(
            session, settings, campaign_id=campaign_id, wave_name="ilk-duyuru", student_no="42"
        )


def invoke(campaign_id: int, *extra: str) -> Any:
    args = ["preview", "--campaign", str(campaign_id), "--wave", "ilk-duyuru"]
    return CliRunner().invoke(app, [*args, "--student", "20201234567", *extra])


def test_cli_prints_panels_and_sms_info(db: Database, cli_env: Settings) -> None:
    campaign_id = seed(db, first_name="[red]Ayşe[/red]", last_name="[bold]Kaya")
    expected = run_preview(db, cli_env, campaign_id)
    sms = next(c for c in expected.channels if c.channel is Channel.SMS).sms
    assert sms is not None

    result = invoke(campaign_id)

    assert result.exit_code == 0, result.output
    line = f"UCS-2 · {sms.characters} karakter / characters · {sms.segments} segment(s)"
    assert sms_line(sms) == line
    assert line in result.stdout
    assert "[red]Ayşe[/red] [bold]Kaya (20201234567)" in result.stdout
    for name in ("email.subject", "email.txt", "email.html", "sms", "whatsapp"):
        assert f"{name} · registration_announcement/{name}.tr.j2" in result.stdout
    assert "HX0123456789abcdef" in result.stdout
    assert "{{1}} = [red]Ayşe[/red]" in result.stdout
    assert "P1.3.FR.0058" in result.stdout


def test_cli_json_has_every_part_and_the_sms_info(db: Database, cli_env: Settings) -> None:
    campaign_id = seed(db)

    result = invoke(campaign_id, "--format", "json")

    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["campaign_id"] == campaign_id
    assert data["link"] == GOAL_URL
    channels = {c["channel"]: c for c in data["channels"]}
    assert list(channels) == ["email", "sms", "whatsapp"]
    assert [p["part"] for p in channels["email"]["parts"]] == [
        "email.subject",
        "email.txt",
        "email.html",
    ]
    sms_text = channels["sms"]["parts"][0]["text"]
    assert sms_text.startswith("Sayın Ayşegül Yıldırım,")
    info = sms_info(sms_text)
    assert channels["sms"]["sms"] == {
        "encoding": info.encoding,
        "characters": info.characters,
        "units": info.units,
        "segments": info.segments,
    }
    assert channels["email"]["sms"] is None
    assert channels["whatsapp"]["whatsapp_template"] == {
        "content_sid": "HX0123456789abcdef",
        "variables": {"1": "Ayşegül", "2": GOAL_URL},
        "error": None,
    }


def test_cli_shows_a_broken_part_and_exits_non_zero(
    db: Database, cli_env: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CAMPAIGNS_TEMPLATES_DIR", str(broken_templates(tmp_path)))
    get_settings.cache_clear()
    campaign_id = seed(db)

    result = invoke(campaign_id, "--format", "json")

    assert result.exit_code == 1
    data = json.loads(result.stdout)
    sms = next(c for c in data["channels"] if c["channel"] == "sms")
    assert sms["parts"][0]["text"] is None
    assert "'nickname' is undefined" in sms["parts"][0]["error"]
    email = next(c for c in data["channels"] if c["channel"] == "email")
    assert all(p["error"] is None for p in email["parts"])
    assert "1 bölüm oluşturulamadı" in result.stderr


def test_cli_unknown_wave_is_a_user_error(db: Database, cli_env: Settings) -> None:
    campaign_id = seed(db)

    result = CliRunner().invoke(
        app,
        ["preview", "--campaign", str(campaign_id), "--wave", "yok", "--student", "20201234567"],
    )

    assert result.exit_code != 0
    assert isinstance(result.exception, NotFoundError)
    assert "ilk-duyuru, hatırlatma" in str(result.exception)


def test_cli_help_describes_every_option() -> None:
    result = CliRunner().invoke(app, ["preview", "--help"])

    assert result.exit_code == 0
    for option, words in [
        ("--campaign", "campaign id"),
        ("--wave", "wave name"),
        ("--student", "student number"),
        ("--format", "JSON"),
    ]:
        assert option in result.stdout
        assert words in result.stdout
