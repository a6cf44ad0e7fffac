"""SendGrid's Inbound Parse webhook: email replies to the campaign's address.

SendGrid posts each received email as ``multipart/form-data`` (``from``, ``to``,
``subject``, ``text``, ``html``, ``headers``, ``envelope``, and attachment files). It is
not signed: the URL carries a key (``?key=`` with ``SENDGRID_INBOUND_KEY``), compared in
constant time. The email is read as every email reply is
(``channels.email_replies``): its text, its ``Message-ID``, its checked files.
"""

from __future__ import annotations

import email.parser
import email.policy
import hmac
from collections.abc import Mapping
from email.message import EmailMessage
from typing import Final, Self

from channels.email_replies import email_reply, is_automatic
from channels.webhooks import (
    InboundMessage,
    Received,
    RejectReason,
    Reply,
    WebhookReceiver,
    WebhookRejected,
    WebhookRequest,
    required_secret,
)

PROVIDER: Final = "sendgrid"


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
        headers = email.parser.HeaderParser(policy=email.policy.default).parsestr(
            fields.get("headers", "")
        )
        if isinstance(headers, EmailMessage) and is_automatic(headers):
            return Received()
        reply = email_reply(
            PROVIDER,
            sender=fields.get("from", ""),
            subject=fields.get("subject", ""),
            text=fields.get("text", ""),
            message_id=str(headers.get("Message-ID", "")) or None,
            files=files,
        )
        if reply is None:
            raise WebhookRejected(RejectReason.MALFORMED, "no sender address")
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
