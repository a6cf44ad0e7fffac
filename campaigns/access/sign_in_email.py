"""The email that carries a sign-in link, sent through the configured email adapter."""

from __future__ import annotations

from html import escape
from typing import Final

from campaigns.core.settings import Settings
from campaigns.delivery.adapter_pool import AdapterPool
from channels.base import Channel, OutboundMessage

NO_MESSAGE_ID: Final = 0
"""A sign-in email has no message row: no delivery event or click can be tied to it."""

SUBJECT: Final = "Giriş bağlantınız / Your sign-in link"


def sign_in_email(to: str, link: str, settings: Settings) -> OutboundMessage:
    """Turkish first, English second; says how long the link works and what to do if the
    reader did not ask for it."""
    minutes = settings.sign_in_link_minutes
    turkish = (
        "Mezun kampanyalarına giriş için bu bağlantıyı açın:",
        f"Bağlantı {minutes} dakika geçerlidir ve yalnızca bir kez kullanılabilir.",
        "Bu isteği siz yapmadıysanız bu e-postayı yok sayın; hesabınızda bir değişiklik olmaz.",
    )
    english = (
        "Open this link to sign in to the alumni campaigns:",
        f"The link works for {minutes} minutes and only once.",
        "If you did not ask for it, ignore this email; nothing changes on your account.",
    )
    text = "\n\n".join([turkish[0], link, *turkish[1:], "---", english[0], link, *english[1:]])
    button = f'<p><a href="{escape(link)}">{escape(link)}</a></p>'
    html = "".join(
        [
            f"<p>{escape(turkish[0])}</p>",
            button,
            *(f"<p>{escape(line)}</p>" for line in turkish[1:]),
            "<hr>",
            f'<div lang="en"><p>{escape(english[0])}</p>',
            button,
            *(f"<p>{escape(line)}</p>" for line in english[1:]),
            "</div>",
        ]
    )
    return OutboundMessage(
        id=NO_MESSAGE_ID,
        channel=Channel.EMAIL,
        to=to,
        text=text,
        subject=SUBJECT,
        html=html,
        tags={"purpose": "sign_in"},
    )


def send_link(adapters: AdapterPool, to: str, link: str, settings: Settings) -> str:
    """Send the link; the provider's id for the email (``DeliveryError`` if it is refused)."""
    _, accepted = adapters.send_one(sign_in_email(to, link, settings))
    return accepted.provider_message_id
