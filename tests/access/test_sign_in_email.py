"""The sign-in link reaches the user by email through the configured adapter (a real local
SMTP server here)."""

from __future__ import annotations

import pytest

from campaigns.access.sign_in_email import SUBJECT, send_link
from campaigns.core.settings import Settings
from campaigns.delivery.adapter_pool import AdapterPool
from channels.base import PermanentError
from tests.support.smtp_server import Inbox

LINK = "https://kampanya.example.edu.tr/giris/mbg_abc&def<x>"


def test_the_link_is_sent_turkish_first_and_escaped_in_html(
    settings: Settings, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    settings = settings.model_copy(update={"email_adapter": "smtp"})
    pool = AdapterPool(
        settings, env={"CAMPAIGNS_SMTP_URL": f"smtp://127.0.0.1:{port}?starttls=off"}
    )

    provider_id = send_link(pool, "ayse.kaya@universite.example.edu.tr", LINK, settings)

    assert provider_id
    [message] = inbox.messages
    assert message["To"] == "ayse.kaya@universite.example.edu.tr"
    assert message["Subject"] == SUBJECT
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None
    assert html is not None
    plain, markup = text.get_content(), html.get_content()
    # Turkish first, then English; both say how long the link works and what to do if unasked.
    assert plain.index("Bağlantı 15 dakika geçerlidir") < plain.index("works for 15 minutes")
    assert plain.count(LINK) == 2
    assert "yok sayın" in plain
    assert "ignore this email" in plain
    assert LINK not in markup
    assert "mbg_abc&amp;def&lt;x&gt;" in markup


def test_a_refused_address_raises_the_providers_error(
    settings: Settings, smtp: tuple[Inbox, int]
) -> None:
    _, port = smtp
    settings = settings.model_copy(update={"email_adapter": "smtp"})
    pool = AdapterPool(
        settings, env={"CAMPAIGNS_SMTP_URL": f"smtp://127.0.0.1:{port}?starttls=off"}
    )

    with pytest.raises(PermanentError):
        send_link(pool, "refused@universite.example.edu.tr", LINK, settings)
