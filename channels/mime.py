"""Build RFC 5322 email messages (used by the SMTP and outbox adapters)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

from channels.base import ConfigurationError, OutboundMessage

DEFAULT_FROM = "Mezunlar Ofisi <mezun@universite.example.edu.tr>"


@dataclass(frozen=True, slots=True)
class Sender:
    """Who email comes from and where replies go (the alumni office mailbox)."""

    from_address: str
    reply_to: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Sender:
        from_address = env.get("CAMPAIGNS_EMAIL_FROM", DEFAULT_FROM)
        if "@" not in parseaddr(from_address)[1]:
            raise ConfigurationError(f"CAMPAIGNS_EMAIL_FROM is not an address: {from_address!r}")
        return cls(from_address, env.get("CAMPAIGNS_EMAIL_REPLY_TO") or None)

    @property
    def domain(self) -> str:
        return parseaddr(self.from_address)[1].rpartition("@")[2]


def build_email(message: OutboundMessage, sender: Sender) -> EmailMessage:
    """A multipart text + HTML message with our headers (List-Unsubscribe and friends)."""
    mail = EmailMessage()
    mail["Subject"] = message.subject or ""
    mail["From"] = sender.from_address
    mail["To"] = message.to
    if sender.reply_to:
        mail["Reply-To"] = sender.reply_to
    mail["Date"] = formatdate(localtime=False)
    mail["Message-ID"] = make_msgid(idstring=str(message.id), domain=sender.domain)
    mail["X-Campaigns-Message-Id"] = str(message.id)
    for name, value in message.headers.items():
        mail[name] = value
    mail.set_content(message.text)
    if message.html is not None:
        mail.add_alternative(message.html, subtype="html")
    return mail
