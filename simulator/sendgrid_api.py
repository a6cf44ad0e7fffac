"""A stand-in for SendGrid's v3 ``mail/send`` and its signed Event Webhook.

``POST /v3/mail/send`` checks the Bearer key (``config.sendgrid_api_key``), answers 413 above
``config.sendgrid_max_body_bytes``, validates the request as SendGrid does (personalizations,
at most 1000 recipients, well-formed addresses, ``from``, a subject, content or a template,
string-only ``custom_args``, ``substitutions`` within 10,000 bytes, no reserved ``headers``),
answering 400 with SendGrid's ``{"errors": [{"message", "field", "help"}]}`` and 202 with an
``X-Message-Id`` otherwise. Configured faults come first: 500/503, 429 with ``X-RateLimit-*``
headers, or a long wait (the request is then processed anyway, as a provider may do after its
client gave up).

When ``config.sendgrid_event_url`` is set, each accepted request is followed by signed event
posts (ECDSA P-256 over ``timestamp + body``; the body ends in CRLF as SendGrid's does): one
with every ``processed`` event, one with the outcomes, and one with opens and spam reports if
any. The recipient's local part decides the outcome:

==================  ==============================================================
local part starts   events
==================  ==============================================================
``bounce``          processed, bounce (type ``bounce``, status 5.1.1)
``blocked``         processed, bounce (type ``blocked``, status 5.7.1)
``spam``            processed, delivered, spamreport
``drop``            dropped (reason "Bounced Address") only
anything else       processed, delivered, and an open for a share ``config.read_rate``
==================  ==============================================================

For tests: ``GET /_simulator/sendgrid/last`` summarises the last accepted request (and counts
and sizes of every request); ``POST /_simulator/sendgrid/answers`` with ``{"status": 403,
"headers": {...}, "body": {...}, "count": 1}`` makes the next requests get that answer.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from simulator.core import Callback
from simulator.state import SimulatorState

SIGNATURE_HEADER = "X-Twilio-Email-Event-Webhook-Signature"
TIMESTAMP_HEADER = "X-Twilio-Email-Event-Webhook-Timestamp"
MAX_RECIPIENTS = 1000
MAX_SUBSTITUTION_BYTES = 10_000
RATE_LIMIT = 600
RESERVED_HEADERS = frozenset(
    {
        "x-sg-id",
        "x-sg-eid",
        "received",
        "dkim-signature",
        "content-type",
        "content-transfer-encoding",
        "to",
        "from",
        "subject",
        "reply-to",
        "cc",
        "bcc",
    }
)

_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_EMAIL = re.compile(rf"{_ATEXT}(?:\.{_ATEXT})*@(?:{_LABEL}\.)+{_LABEL}")
_HISTORY = 1000


def _valid_email(value: object) -> bool:
    return isinstance(value, str) and len(value) <= 254 and bool(_EMAIL.fullmatch(value))


def _error(message: str, field: str | None = None) -> dict[str, Any]:
    return {"message": message, "field": field, "help": None}


def _errors_response(
    status: int, errors: list[dict[str, Any]], headers: dict[str, str] | None = None
) -> Response:
    return JSONResponse({"errors": errors}, status_code=status, headers=headers)


def validate(payload: object) -> list[dict[str, Any]]:
    """SendGrid's 400 errors for a mail/send body (empty when it would be accepted)."""
    if not isinstance(payload, dict):
        return [_error("Bad Request")]
    errors: list[dict[str, Any]] = []
    personalizations = payload.get("personalizations")
    if not isinstance(personalizations, list) or not personalizations:
        errors.append(_error("You must have at least one personalization.", "personalizations"))
        personalizations = []
    elif len(personalizations) > MAX_RECIPIENTS:
        errors.append(
            _error(
                "The personalization block is limited to 1000 personalizations per API request. "
                f"You have provided {len(personalizations)} personalizations.",
                "personalizations",
            )
        )
    template = payload.get("template_id")
    top_subject = payload.get("subject")
    recipients = 0
    for i, p in enumerate(personalizations):
        where = f"personalizations.{i}"
        if not isinstance(p, dict):
            errors.append(_error("Each personalization must be an object.", where))
            continue
        to = p.get("to")
        if not isinstance(to, list) or not to:
            errors.append(
                _error(
                    "The to parameter is required for all personalization objects.", f"{where}.to"
                )
            )
            to = []
        for kind, people in (("to", to), ("cc", p.get("cc") or []), ("bcc", p.get("bcc") or [])):
            for j, recipient in enumerate(people):
                recipients += 1
                if not isinstance(recipient, dict) or not _valid_email(recipient.get("email")):
                    errors.append(
                        _error("Does not contain a valid address.", f"{where}.{kind}.{j}.email")
                    )
        subject = p.get("subject", top_subject)
        if not template and (not isinstance(subject, str) or not subject):
            errors.append(
                _error(
                    "The subject is required. You can get around this requirement if you use "
                    "a template with a subject defined or if every personalization has a "
                    "subject defined.",
                    "subject",
                )
            )
        for key in ("custom_args", "headers", "substitutions"):
            value = p.get(key)
            if value is None:
                continue
            if not isinstance(value, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in value.items()
            ):
                errors.append(
                    _error(f"Invalid type. {key} values must be strings.", f"{where}.{key}")
                )
                continue
            if key == "headers" and any(k.lower() in RESERVED_HEADERS for k in value):
                errors.append(
                    _error("The headers cannot contain reserved headers.", f"{where}.headers")
                )
            if key == "substitutions":
                size = sum(len(k.encode()) + len(v.encode()) for k, v in value.items())
                if size > MAX_SUBSTITUTION_BYTES:
                    errors.append(
                        _error(
                            "The substitutions of a personalization may not exceed 10000 bytes.",
                            f"{where}.substitutions",
                        )
                    )
        if len(errors) >= 10:
            return errors
    if recipients > MAX_RECIPIENTS:
        errors.append(
            _error(
                "There is a limit of 1000 total recipients (to + cc + bcc) per request.",
                "personalizations",
            )
        )
    sender = payload.get("from")
    if not isinstance(sender, dict) or not _valid_email(sender.get("email")):
        errors.append(_error("The from email does not contain a valid address.", "from.email"))
    reply_to = payload.get("reply_to")
    if reply_to is not None and (
        not isinstance(reply_to, dict) or not _valid_email(reply_to.get("email"))
    ):
        errors.append(
            _error("The reply_to email does not contain a valid address.", "reply_to.email")
        )
    content = payload.get("content")
    if not template:
        if not isinstance(content, list) or not content:
            errors.append(
                _error(
                    "Unless a valid template_id is provided, the content parameter is required. "
                    "There must be at least one defined content block.",
                    "content",
                )
            )
        else:
            types = [c.get("type") if isinstance(c, dict) else None for c in content]
            for k, block in enumerate(content):
                if not isinstance(block, dict) or not all(
                    isinstance(block.get(f), str) and block.get(f) for f in ("type", "value")
                ):
                    errors.append(
                        _error(
                            "Each content block needs a type and a non-empty value.", f"content.{k}"
                        )
                    )
            if "text/plain" in types and types[0] != "text/plain":
                errors.append(
                    _error(
                        "If present, text/plain content must be first, followed by text/html, "
                        "followed by any other content.",
                        "content.0.type",
                    )
                )
    custom_args = payload.get("custom_args")
    if custom_args is not None and (
        not isinstance(custom_args, dict)
        or not all(isinstance(v, str) for v in custom_args.values())
    ):
        errors.append(_error("Invalid type. custom_args values must be strings.", "custom_args"))
    categories = payload.get("categories")
    if categories is not None and (
        not isinstance(categories, list)
        or len(categories) > 10
        or not all(isinstance(c, str) and 0 < len(c) <= 255 for c in categories)
    ):
        errors.append(
            _error("Categories must be up to 10 strings of 255 characters.", "categories")
        )
    return errors


@dataclass
class _Forced:
    status: int
    headers: dict[str, str]
    body: Any
    count: int


class SendGridSimulator:
    """The mail/send endpoint and its bookkeeping for one simulator instance."""

    def __init__(self, state: SimulatorState) -> None:
        self.state = state
        self.history: deque[dict[str, Any]] = deque(maxlen=_HISTORY)
        self.requests = 0
        self.last: tuple[str, int, dict[str, Any]] | None = None
        self.forced: deque[_Forced] = deque()

    def _record(self, status: int, size: int, personalizations: int | None) -> None:
        self.requests += 1
        self.history.append({"status": status, "bytes": size, "personalizations": personalizations})

    async def mail_send(self, request: Request) -> Response:
        fault = await self.state.before_answer()
        if fault == "error":
            status = int(self.state.faults.pick({"500": 0.5, "503": 0.5}))
            self._record(status, 0, None)
            return _errors_response(status, [_error("internal error, please retry")])
        if fault == "rate_limited":
            self._record(429, 0, None)
            reset = int(time.time()) + 1
            return _errors_response(
                429,
                [_error("too many requests")],
                {
                    "X-RateLimit-Limit": str(RATE_LIMIT),
                    "X-RateLimit-Remaining": "0",
                    "X-RateLimit-Reset": str(reset),
                },
            )
        if self.forced:
            forced = self.forced[0]
            forced.count -= 1
            if forced.count <= 0:
                self.forced.popleft()
            self._record(forced.status, 0, None)
            if forced.body is None:
                return Response(status_code=forced.status, headers=forced.headers)
            return JSONResponse(forced.body, status_code=forced.status, headers=forced.headers)
        if request.headers.get("authorization") != f"Bearer {self.state.config.sendgrid_api_key}":
            self._record(401, 0, None)
            return _errors_response(
                401, [_error("The provided authorization grant is invalid, expired, or revoked")]
            )
        raw = await request.body()
        if len(raw) > self.state.config.sendgrid_max_body_bytes:
            self._record(413, len(raw), None)
            return _errors_response(413, [_error("Request entity too large")])
        try:
            payload = json.loads(raw)
        except ValueError:
            self._record(400, len(raw), None)
            return _errors_response(400, [_error("Bad Request", None)])
        errors = validate(payload)
        count = len(payload.get("personalizations") or []) if isinstance(payload, dict) else None
        if errors:
            self._record(400, len(raw), count)
            return _errors_response(400, errors)
        x_message_id = secrets.token_urlsafe(16)
        for p in payload["personalizations"]:
            for field in ("to", "cc", "bcc"):
                for recipient in p.get(field) or ():
                    self.state.ledger.accept("sendgrid", recipient["email"])
        self._record(202, len(raw), count)
        self.last = (x_message_id, len(raw), payload)
        url = self.state.config.sendgrid_event_url
        if url:
            self.state.callbacks.schedule_sequence(self._event_posts(url, payload, x_message_id))
        return Response(status_code=202, headers={"X-Message-Id": x_message_id})

    def _event_posts(self, url: str, payload: dict[str, Any], x_message_id: str) -> list[Callback]:
        now = int(time.time())
        categories = payload.get("categories")
        top_args = payload.get("custom_args") or {}
        read_rate = self.state.config.read_rate
        posts: tuple[list[dict[str, Any]], ...] = ([], [], [])
        processed, outcomes, later = posts
        n = 0
        for p in payload["personalizations"]:
            args = {**top_args, **(p.get("custom_args") or {})}
            for field in ("to", "cc", "bcc"):
                for recipient in p.get(field) or ():
                    email = recipient["email"]
                    local = email.partition("@")[0].lower()
                    base = {
                        **args,
                        "email": email,
                        "timestamp": now,
                        "sg_message_id": f"{x_message_id}.filterdrecv-simulator-{n}",
                        "smtp-id": f"<{x_message_id}@ismtpd-simulator>",
                    }
                    if categories:
                        base["category"] = categories
                    n += 1

                    def event(
                        name: str, base: dict[str, Any] = base, **extra: Any
                    ) -> dict[str, Any]:
                        return {
                            **base,
                            "event": name,
                            "sg_event_id": secrets.token_urlsafe(16),
                            **extra,
                        }

                    if local.startswith("drop"):
                        processed.append(event("dropped", reason="Bounced Address"))
                        continue
                    processed.append(event("processed"))
                    if local.startswith("bounce"):
                        outcomes.append(
                            event(
                                "bounce",
                                type="bounce",
                                status="5.1.1",
                                reason="550 5.1.1 The email account that you tried to reach "
                                "does not exist.",
                            )
                        )
                    elif local.startswith("blocked"):
                        outcomes.append(
                            event(
                                "bounce",
                                type="blocked",
                                status="5.7.1",
                                reason="550 5.7.1 Message rejected due to local policy",
                            )
                        )
                    else:
                        outcomes.append(event("delivered", response="250 2.0.0 OK"))
                        if local.startswith("spam"):
                            later.append(event("spamreport"))
                        elif self.state.faults.chance(read_rate):
                            later.append(
                                event("open", sg_machine_open=False, useragent="Mozilla/5.0")
                            )
        return [self._signed(url, events) for events in posts if events]

    def _signed(self, url: str, events: list[dict[str, Any]]) -> Callback:
        body = json.dumps(events, separators=(",", ":")).encode() + b"\r\n"
        timestamp = str(int(time.time()))
        signature = self.state.config.signing_key.sign(
            timestamp.encode() + body, ec.ECDSA(hashes.SHA256())
        )
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "SendGrid Event API",
            SIGNATURE_HEADER: base64.b64encode(signature).decode(),
            TIMESTAMP_HEADER: timestamp,
        }
        return Callback(url, headers, content=body)

    async def last_request(self, _: Request) -> Response:
        summary: dict[str, Any] | None = None
        if self.last is not None:
            x_message_id, size, payload = self.last
            summary = {
                "x_message_id": x_message_id,
                "bytes": size,
                "from": payload.get("from"),
                "reply_to": payload.get("reply_to"),
                "categories": payload.get("categories"),
                "content": payload.get("content"),
                "tracking_settings": payload.get("tracking_settings"),
                "personalizations": [
                    {
                        "to": [r.get("email") for r in p.get("to") or ()],
                        "subject": p.get("subject"),
                        "headers": p.get("headers"),
                        "custom_args": p.get("custom_args"),
                        "substitutions": p.get("substitutions"),
                    }
                    for p in payload["personalizations"]
                ],
            }
        return JSONResponse(
            {"requests": self.requests, "history": list(self.history), "last": summary}
        )

    async def force_answers(self, request: Request) -> Response:
        spec = await request.json()
        self.forced.append(
            _Forced(
                status=int(spec["status"]),
                headers={str(k): str(v) for k, v in (spec.get("headers") or {}).items()},
                body=spec.get("body"),
                count=int(spec.get("count", 1)),
            )
        )
        return Response(status_code=204)


def routes(state: SimulatorState) -> list[Route]:
    simulator = SendGridSimulator(state)
    return [
        Route("/v3/mail/send", simulator.mail_send, methods=["POST"]),
        Route("/_simulator/sendgrid/last", simulator.last_request, methods=["GET"]),
        Route("/_simulator/sendgrid/answers", simulator.force_answers, methods=["POST"]),
    ]
