"""An email a student sent us, as a reply: the same reading whether SendGrid's Inbound
Parse posted it in parts or it was read whole from a mailbox over IMAP.

Its text is what is stored (an HTML-only email is reduced to its text, never kept as HTML);
its ``Message-ID`` makes the same email the same reply wherever it came from twice; a
keyword counts when it stands alone on the first line (the quoted campaign mail follows) or
is the whole subject of an empty email. Attached files are checked
(``channels.attachments``) before they are kept. Mail written by machines (out-of-office
answers, RFC 3834 ``Auto-Submitted``) is not a reply.
"""

from __future__ import annotations

import email.policy
import hashlib
from collections.abc import Sequence
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parseaddr
from html.parser import HTMLParser
from typing import Final

from channels.attachments import checked
from channels.base import Channel
from channels.webhooks import InboundMessage, keyword_of

MAX_TEXT: Final = 10_000
_AUTOMATIC_PRECEDENCE: Final = frozenset({"bulk", "junk", "list", "auto_reply"})


def email_reply(
    provider: str,
    *,
    sender: str,
    subject: str,
    text: str,
    message_id: str | None,
    files: Sequence[tuple[str, bytes]] = (),
) -> InboundMessage | None:
    """The reply an email makes, or None when it names no sender address."""
    address = parseaddr(sender)[1].strip().lower()
    if "@" not in address:
        return None
    body = text.strip()[:MAX_TEXT]
    identity = (message_id or "").strip() or hashlib.sha256(
        f"{address}\0{subject}\0{body}".encode()
    ).hexdigest()
    first_line = body.splitlines()[0] if body else subject
    return InboundMessage(
        provider=provider,
        provider_message_id=identity[:100],
        channel=Channel.EMAIL,
        from_address=address,
        body=body,
        keyword=keyword_of(first_line),
        attachments=tuple(
            checked(name, data, position) for position, (name, data) in enumerate(files)
        ),
    )


def parse_email(raw: bytes) -> EmailMessage:
    message = BytesParser(policy=email.policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)  # the default policy's message class
    return message


def is_automatic(message: EmailMessage) -> bool:
    """Written by a machine, not by the student (RFC 3834; older ``Precedence`` habits)."""
    submitted = str(message.get("Auto-Submitted", "no")).strip().lower()
    precedence = str(message.get("Precedence", "")).strip().lower()
    return submitted != "no" or precedence in _AUTOMATIC_PRECEDENCE


def reply_of_email(provider: str, message: EmailMessage) -> InboundMessage | None:
    """The reply a whole email makes: its text part (or its HTML part's text), its files."""
    files: list[tuple[str, bytes]] = []
    for part in message.iter_attachments():
        data = part.get_payload(decode=True)
        if isinstance(part, EmailMessage) and isinstance(data, bytes):
            files.append((part.get_filename() or "", data))
    return email_reply(
        provider,
        sender=str(message.get("From", "")),
        subject=str(message.get("Subject", "")),
        text=_text_of(message),
        message_id=str(message.get("Message-ID", "")) or None,
        files=files,
    )


def _text_of(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain", "html"))
    if not isinstance(body, EmailMessage):
        return ""
    try:
        content = body.get_content()
    except (LookupError, ValueError):  # an unknown charset or a broken transfer encoding
        payload = body.get_payload(decode=True)
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    if not isinstance(content, str):
        return ""
    return _html_text(content) if body.get_content_subtype() == "html" else content


class _TextOf(HTMLParser):
    """The words of an HTML email, a line per block; scripts and styles left out."""

    _BLOCKS: Final = frozenset({"p", "div", "br", "tr", "li", "h1", "h2", "h3", "blockquote"})
    _HIDDEN: Final = frozenset({"script", "style", "head", "title"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._HIDDEN:
            self.hidden += 1
        elif tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def _html_text(html: str) -> str:
    parser = _TextOf()
    parser.feed(html)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    return "\n".join(line for line in lines if line)
