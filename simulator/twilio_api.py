"""Twilio's Messages API, simulated as the SDK sees it on the wire.

Routes:

- ``POST /2010-04-01/Accounts/{AccountSid}/Messages.json``: form body, HTTP Basic auth with
  the configured account SID and auth token; 201 with the Message JSON (``queued``, or
  ``accepted`` with ``num_segments`` ``"0"`` when sent through a Messaging Service, as Twilio
  does until it has picked a sender).
- ``GET /2010-04-01/Accounts/{AccountSid}/Messages/{MessageSid}.json``: the message with its
  current status and, once final, ``price``/``price_unit``.
- ``GET /2010-04-01/Accounts/{AccountSid}/Messages.json?To=…&PageSize=…``: one page of the
  messages to a recipient, newest first (what reconciliation asks).
- ``GET /_simulator/twilio/last``: the form of the last authenticated create request
  (404 before the first one), for tests.

Answers mimic Twilio's JSON errors (``code``, ``message``, ``more_info``, ``status``):
401/20003 for bad credentials, 404/20404 for another account's path, 400 for invalid
requests (21604 no To, 21211 invalid To, 21603 no From, 21602 no Body, 21617 body too long,
21656 ContentVariables not JSON, 21910 From and To on different channels). Injected faults
come first: 500/20500, 429/20429, or a slow answer (a create request is then accepted at
once and answered ``timeout_seconds`` later, like a provider that took the message but whose
answer never reached a client that stopped waiting).

Magic recipients (``whatsapp:`` prefix ignored):

- national number starting with 212 or 216 (Istanbul landlines, ``+90212…``, ``+90216…``):
  400, code 21614 "not a mobile number";
- a number ending in ``0000``: 400, code 21610 (the recipient replied STOP).

Rejected requests are not in the ledger and get no callbacks. An accepted one with a
``StatusCallback`` gets signed callbacks (``X-Twilio-Signature``), each after
``callback_delay``: ``sent``; then ``delivered``, or with probability ``undelivered_rate``
``undelivered`` with ``ErrorCode`` 30003 or 30005; then, for WhatsApp, with probability
``read_rate`` also ``read``. Fetching a message shows the same progression over time.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from twilio.request_validator import RequestValidator  # type: ignore[import-untyped]

from channels.gsm import sms_info
from simulator.core import Callback
from simulator.state import SimulatorState

API_VERSION = "2010-04-01"
WHATSAPP = "whatsapp:"
SERVICE_SENDER = "+15005550006"  # the number a Messaging Service "picks" in callbacks
MAX_BODY = 1600
SMS_PRICE_PER_SEGMENT = 0.04
WHATSAPP_PRICE = 0.005
FINAL = frozenset({"delivered", "undelivered", "failed", "read"})

_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_LANDLINES = ("+90212", "+90216")


@dataclass(slots=True)
class SimulatedMessage:
    """One accepted message and the statuses it will go through."""

    sid: str
    account_sid: str
    to: str
    from_: str | None
    messaging_service_sid: str | None
    body: str
    segments: int
    whatsapp: bool
    created: datetime
    started: float
    # (seconds after acceptance, status, error code)
    timeline: list[tuple[float, str, str | None]]

    def current(self) -> tuple[str, str | None, float | None]:
        """Status, error code, and how long ago that status was reached (None: initial)."""
        elapsed = time.monotonic() - self.started
        status: str = "accepted" if self.messaging_service_sid and not self.from_ else "queued"
        error: str | None = None
        at: float | None = None
        for offset, name, code in self.timeline:
            if offset > elapsed:
                break
            status, error, at = name, code, offset
        return status, error, at


def _fault_answer(fault: str) -> Response | None:
    """The error answer of an injected fault (a slow answer is not an error)."""
    if fault == "error":
        return _error(500, 20500, "An internal server error has occurred")
    if fault == "rate_limited":
        response = _error(429, 20429, "Too Many Requests")
        response.headers["Retry-After"] = "1"
        return response
    return None


def _error(status: int, code: int, message: str) -> JSONResponse:
    return JSONResponse(
        {
            "code": code,
            "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        },
        status_code=status,
    )


class TwilioSimulation:
    """The Messages API of one simulator app; its messages live in memory."""

    def __init__(self, state: SimulatorState) -> None:
        self.state = state
        self.config = state.config
        self.messages: dict[str, SimulatedMessage] = {}
        self.last_form: dict[str, str] | None = None
        self.validator = RequestValidator(self.config.twilio_auth_token)
        credentials = f"{self.config.twilio_account_sid}:{self.config.twilio_auth_token}"
        self._authorization = "Basic " + base64.b64encode(credentials.encode()).decode()

    def routes(self) -> list[Route]:
        base = f"/{API_VERSION}/Accounts/{{account_sid}}"
        return [
            Route(f"{base}/Messages.json", self.create, methods=["POST"]),
            Route(f"{base}/Messages.json", self.list_messages, methods=["GET"]),
            Route(f"{base}/Messages/{{message_sid}}.json", self.fetch, methods=["GET"]),
            Route("/_simulator/twilio/last", self.last, methods=["GET"]),
        ]

    def _refuse(self, request: Request) -> Response | None:
        """The error answer when the credentials or the account in the path are wrong."""
        if request.headers.get("authorization") != self._authorization:
            response = JSONResponse(
                {
                    "code": 20003,
                    "detail": "Your AccountSid or AuthToken was incorrect.",
                    "message": "Authenticate",
                    "more_info": "https://www.twilio.com/docs/errors/20003",
                    "status": 401,
                },
                status_code=401,
            )
            response.headers["WWW-Authenticate"] = 'Basic realm="Twilio API"'
            return response
        if request.path_params["account_sid"] != self.config.twilio_account_sid:
            return _error(404, 20404, f"The requested resource {request.url.path} was not found")
        return None

    async def _fault(self) -> Response | None:
        return _fault_answer(await self.state.before_answer())

    async def create(self, request: Request) -> Response:
        fault = await self.state.before_answer(slow_after_accepting=True)
        refused = _fault_answer(fault) or self._refuse(request)
        if refused is not None:
            return refused
        try:
            form = dict(parse_qsl((await request.body()).decode(), keep_blank_values=True))
        except UnicodeDecodeError:
            return _error(400, 20001, "The request body is not valid UTF-8")
        self.last_form = form
        invalid = self._validate(form)
        if invalid is not None:
            return invalid
        message = self._accept(form)
        if fault == "timeout":  # taken, but answered after the client stopped waiting
            await asyncio.sleep(self.config.timeout_seconds)
        return JSONResponse(self._resource(message), status_code=201)

    async def list_messages(self, request: Request) -> Response:
        """Messages to one recipient (``To``), newest first, one page of ``PageSize``. Slow
        answers are injected into creates only, so a reconciliation can tell."""
        fault = await self.state.before_answer(slow_after_accepting=True)
        refused = _fault_answer(fault) or self._refuse(request)
        if refused is not None:
            return refused
        to = request.query_params.get("To")
        try:
            size = max(1, min(1000, int(request.query_params.get("PageSize", "50"))))
        except ValueError:
            return _error(400, 20001, "Invalid PageSize")
        found = [m for m in self.messages.values() if to is None or m.to == to]
        found.sort(key=lambda m: m.created, reverse=True)
        uri = request.url.path
        return JSONResponse(
            {
                "messages": [self._resource(m) for m in found[:size]],
                "first_page_uri": f"{uri}?PageSize={size}&Page=0",
                "next_page_uri": f"{uri}?PageSize={size}&Page=1" if len(found) > size else None,
                "previous_page_uri": None,
                "page": 0,
                "page_size": size,
                "start": 0,
                "end": min(size, len(found)) - 1,
                "uri": f"{uri}?PageSize={size}&Page=0",
            }
        )

    def _validate(self, form: dict[str, str]) -> Response | None:
        to = form.get("To", "")
        if not to:
            return _error(400, 21604, "A 'To' phone number is required.")
        whatsapp = to.startswith(WHATSAPP)
        number = to.removeprefix(WHATSAPP)
        if not _E164.match(number):
            return _error(400, 21211, "Invalid 'To' Phone Number")
        sender = form.get("From", "")
        if not sender and not form.get("MessagingServiceSid"):
            return _error(400, 21603, "A 'From' or 'MessagingServiceSid' parameter is required")
        if sender and sender.startswith(WHATSAPP) != whatsapp:
            return _error(
                400,
                21910,
                "Invalid From and To pair. From and To should be of the same channel",
            )
        body, content_sid = form.get("Body", ""), form.get("ContentSid", "")
        if not body and not content_sid:
            return _error(400, 21602, "Message body is required.")
        if len(body) > MAX_BODY:
            return _error(400, 21617, "The concatenated message body exceeds the 1600 limit")
        if "ContentVariables" in form:
            try:
                variables = json.loads(form["ContentVariables"])
            except ValueError:
                variables = None
            if not isinstance(variables, dict):
                return _error(400, 21656, "The ContentVariables Parameter is invalid.")
        if number.startswith(_LANDLINES):
            return _error(400, 21614, "'To' number is not a valid mobile number")
        if number.endswith("0000"):  # the recipient replied STOP
            return _error(400, 21610, "Attempt to send to unsubscribed recipient")
        return None

    def _accept(self, form: dict[str, str]) -> SimulatedMessage:
        config, faults = self.config, self.state.faults
        to = form["To"]
        whatsapp = to.startswith(WHATSAPP)
        body = form.get("Body", "")
        service = form.get("MessagingServiceSid") or None
        sender = form.get("From") or None
        segments = 1 if whatsapp or not body else sms_info(body).segments
        delay = config.callback_delay
        timeline: list[tuple[float, str, str | None]] = [(delay, "sent", None)]
        if faults.chance(config.undelivered_rate):
            code = faults.pick({"30003": 0.5, "30005": 0.5})
            timeline.append((2 * delay, "undelivered", code))
        else:
            timeline.append((2 * delay, "delivered", None))
            if whatsapp and faults.chance(config.read_rate):
                timeline.append((3 * delay, "read", None))
        message = SimulatedMessage(
            sid="SM" + secrets.token_hex(16),
            account_sid=config.twilio_account_sid,
            to=to,
            from_=sender,
            messaging_service_sid=service,
            body=body,
            segments=segments,
            whatsapp=whatsapp,
            created=datetime.now(UTC),
            started=time.monotonic(),
            timeline=timeline,
        )
        self.messages[message.sid] = message
        self.state.ledger.accept("twilio", to)
        callback_url = form.get("StatusCallback")
        if callback_url:
            self.state.callbacks.schedule_sequence(
                [self._callback(message, callback_url, s, e) for _, s, e in timeline]
            )
        return message

    def _callback(
        self, message: SimulatedMessage, url: str, status: str, error: str | None
    ) -> Callback:
        sender = message.from_ or (
            WHATSAPP + SERVICE_SENDER if message.whatsapp else SERVICE_SENDER
        )
        data = {
            "MessageSid": message.sid,
            "SmsSid": message.sid,
            "MessageStatus": status,
            "SmsStatus": status,
            "AccountSid": message.account_sid,
            "From": sender,
            "To": message.to,
            "ApiVersion": API_VERSION,
        }
        if message.messaging_service_sid:
            data["MessagingServiceSid"] = message.messaging_service_sid
        if error is not None:
            data["ErrorCode"] = error
        signature = self.validator.compute_signature(url, data)
        return Callback(url=url, headers={"X-Twilio-Signature": signature}, data=data)

    def _resource(self, message: SimulatedMessage) -> dict[str, Any]:
        status, error, at = message.current()
        created = message.created.timestamp()
        updated = message.created if at is None else datetime.fromtimestamp(created + at, UTC)
        sent = None
        if at is not None:
            sent = format_datetime(datetime.fromtimestamp(created + message.timeline[0][0], UTC))
        price = None
        if status in FINAL:
            cost = WHATSAPP_PRICE if message.whatsapp else SMS_PRICE_PER_SEGMENT * message.segments
            price = f"-{cost:.5f}"
        uri = f"/{API_VERSION}/Accounts/{message.account_sid}/Messages/{message.sid}"
        pending = message.messaging_service_sid and not message.from_ and at is None
        return {
            "account_sid": message.account_sid,
            "api_version": API_VERSION,
            "body": message.body,
            "date_created": format_datetime(message.created),
            "date_sent": sent,
            "date_updated": format_datetime(updated),
            "direction": "outbound-api",
            "error_code": int(error) if error else None,
            "error_message": None,
            "from": message.from_,
            "messaging_service_sid": message.messaging_service_sid,
            "num_media": "0",
            "num_segments": "0" if pending else str(message.segments),
            "price": price,
            "price_unit": "USD" if price is not None else None,
            "sid": message.sid,
            "status": status,
            "subresource_uris": {"media": f"{uri}/Media.json"},
            "to": message.to,
            "uri": f"{uri}.json",
        }

    async def fetch(self, request: Request) -> Response:
        refused = await self._fault() or self._refuse(request)
        if refused is not None:
            return refused
        message = self.messages.get(request.path_params["message_sid"])
        if message is None:
            return _error(404, 20404, f"The requested resource {request.url.path} was not found")
        return JSONResponse(self._resource(message))

    async def last(self, _: Request) -> Response:
        if self.last_form is None:
            return JSONResponse({"detail": "no create request yet"}, status_code=404)
        return JSONResponse({"form": self.last_form})


def routes(state: SimulatorState) -> list[Route]:
    """The simulated Twilio routes sharing ``state``."""
    return TwilioSimulation(state).routes()
