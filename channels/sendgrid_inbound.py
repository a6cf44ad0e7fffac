"""SendGrid's Inbound Parse webhook: email replies to the campaign's address.

SendGrid posts each received email as ``multipart/form-data`` (``from``, ``to``,
``subject``, ``text``, ``html``, ``headers``, ``envelope``, and attachment files). It is
not signed: the URL carries a key (``?key=`` with ``SENDGRID_INBOUND_KEY``), compared in
constant time. The reply's text (never its HTML) is what is stored; its ``Message-ID``
header makes a re-posted email the same reply. Attached files are checked
(``channels.attachments``) before they are kept.
"""

from __future__ import annotations

import email.parser
import email.policy
import hashlib
import hmac
from collections.abc import Mapping
from email.message import EmailMessage
from email.utils import parseaddr
from typing import Final, Self

from channels.attachments import checked
from channels.base import Channel
from channels.webhooks import (
    InboundMessage,
    Received,
    RejectReason,
    Reply,
    WebhookReceiver,
    WebhookRejected,
    WebhookRequest,
    keyword_of,
    required_secret,
)

PROVIDER: Final = "sendgrid"
MAX_TEXT: Final = 10_000


class SendGridInboundReceiver(WebhookReceiver):
    """Inbound Parse posts at ``/webhooks/sendgrid/inbound?key=…``."""

    path = "sendgrid/inbound"

    def __init__(self, key: str) -> None:
        self.key = key

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Self:
        return cls(required_secret(env, "SENDGRID_INBOUND_KEY"))

    def receive(self, request: WebhookRequest, now: float) -> Received:
        given = request.query.get("key", "")
        if not hmac.compare_digest(given.encode(), self.key.encode()):
            raise WebhookRejected(RejectReason.BAD_SIGNATURE, "not our Inbound Parse key")
        fields, files = _form(request)
        sender = parseaddr(fields.get("from", ""))[1].strip().lower()
        if "@" not in sender:
            raise WebhookRejected(RejectReason.MALFORMED, "no sender address")
        text = fields.get("text", "").strip()[:MAX_TEXT]
        identity = (
            _message_id(fields.get("headers", ""))
            or hashlib.sha256(f"{sender}\0{fields.get('subject', '')}\0{text}".encode()).hexdigest()
        )
        reply = InboundMessage(
            provider=PROVIDER,
            provider_message_id=identity[:100],
            channel=Channel.EMAIL,
            from_address=sender,
            body=text,
            keyword=keyword_of(_first_line(text)),
            attachments=tuple(
                checked(name, data, position) for position, (name, data) in enumerate(files)
            ),
        )
        return Received(inbound=[reply])

    def reply(self, received: Received, texts: Mapping[InboundMessage, str]) -> Reply:
        return Reply(200, "received")


def _form(request: WebhookRequest) -> tuple[dict[str, str], list[tuple[str, bytes]]]:
    """The text fields and the files of a ``multipart/form-data`` body."""
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("multipart/form-data"):
        raise WebhookRejected(RejectReason.MALFORMED, "not multipart/form-data")
    parser = email.parser.BytesParser(policy=email.policy.HTTP)
    message = parser.parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + request.body
    )
    fields: dict[str, str] = {}
    files: list[tuple[str, bytes]] = []
    for part in message.iter_parts() if isinstance(message, EmailMessage) else []:
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if not isinstance(name, str) or not isinstance(payload, bytes):
            continue
        filename = part.get_filename()
        if filename is not None:
            files.append((filename, payload))
        else:
            fields[name] = payload.decode("utf-8", errors="replace")
    return fields, files


def _message_id(headers: str) -> str | None:
    for line in headers.splitlines():
        name, _, value = line.partition(":")
        if name.strip().lower() == "message-id" and value.strip():
            return value.strip()
    return None


def _first_line(text: str) -> str:
    """A keyword stands alone on the reply's first line (the quoted mail follows)."""
    return text.splitlines()[0] if text else ""
