"""Netgsm's SMS REST v2 API, simulated as its official SDK (``netgsm-sms``) sees it.

Routes (HTTP Basic auth with the configured user name and password):

- ``POST /sms/rest/v2/send``: JSON ``{msgheader, messages: [{msg, no}], encoding?, iysfilter?,
  appname?}``; 200 ``{"code": "00", "jobid": …, "description": "queued"}``: one job for
  the request, each message its own text and number.
- ``POST /sms/rest/v2/report``: JSON ``{startdate, stopdate, jobids?, pagesize?,
  pagenumber?}`` (dates ``dd.MM.yyyy HH:mm:ss``, Istanbul time); 200 ``{"code": "00",
  "jobs": [{jobid, number, status, operator, msglen, deliveredDate?, errorCode?}]}``, or code
  ``60`` when nothing matches. At most ``netgsm_report_queries_per_minute`` queries a minute
  (then code ``80``).
- ``GET /sms/rest/v2/inbox?startdate&stopdate`` (``ddMMyyyyHHmmss``, Istanbul time): 200
  ``{"code": "00", "messages": [{message, sender, receiver, datetime}]}``, or code ``40``.
- ``POST /_simulator/netgsm/inbox``: JSON ``{sender, message}``: a student's reply arrives.

The operator answers its own errors with HTTP 406 and a JSON ``code``: ``30`` bad
credentials, ``40`` a sender name (``msgheader``) not defined, ``20`` an empty or too long
text, ``70`` a malformed request, ``80`` the sending limit, ``85`` more than 20 tasks for one
number within a minute. Injected faults come first: 500 (code ``100``), 406/``80``, or a slow
answer (the job is taken, the answer comes ``timeout_seconds`` later).

A report shows a message ``2`` (pending) until ``callback_delay`` has passed, then ``1``
(delivered) or, with probability ``undelivered_rate``, ``0`` (not delivered, error code
``101``); a number ending in ``0000`` is never delivered (status ``4``).
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import re
import time
from collections import defaultdict, deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from simulator.state import SimulatorState

ISTANBUL: Final = ZoneInfo("Europe/Istanbul")
MAX_TEXT: Final = 917  # six Turkish-encoded segments
TASKS_PER_NUMBER_PER_MINUTE: Final = 20
_NUMBER = re.compile(r"^(?:90)?(5\d{9})$")


@dataclass(slots=True)
class NetgsmMessage:
    jobid: str
    number: str
    text: str
    started: float
    delivered: bool
    error_code: int | None

    def status(self, delay: float) -> tuple[int, datetime | None]:
        """The report status now, and when it was reached (None while pending)."""
        elapsed = time.monotonic() - self.started
        if elapsed < delay:
            return 2, None
        at = datetime.now(ISTANBUL) - timedelta(seconds=elapsed - delay)
        if self.error_code == 4:
            return 4, at
        return (1, at) if self.delivered else (0, at)


def _answer(code: str, description: str, status: int = 406) -> JSONResponse:
    return JSONResponse({"code": code, "description": description}, status_code=status)


class NetgsmSimulation:
    """One simulator app's Netgsm account: its jobs, reports and inbox, in memory."""

    def __init__(self, state: SimulatorState) -> None:
        self.state = state
        self.config = state.config
        credentials = f"{self.config.netgsm_username}:{self.config.netgsm_password}"
        self._authorization = "Basic " + base64.b64encode(credentials.encode()).decode()
        self.messages: list[NetgsmMessage] = []
        self.inbox: list[dict[str, str]] = []
        self.last_request: dict[str, Any] | None = None
        self._jobs = itertools.count(17_000_000_001)
        self._tasks: dict[str, deque[float]] = defaultdict(deque)
        self._report_queries: deque[float] = deque()

    def routes(self) -> list[Route]:
        return [
            Route("/sms/rest/v2/send", self.send, methods=["POST"]),
            Route("/sms/rest/v2/report", self.report, methods=["POST"]),
            Route("/sms/rest/v2/inbox", self.inbox_list, methods=["GET"]),
            Route("/_simulator/netgsm/inbox", self.reply, methods=["POST"]),
            Route("/_simulator/netgsm/last", self.last, methods=["GET"]),
        ]

    def _refused(self, request: Request) -> Response | None:
        if request.headers.get("authorization") != self._authorization:
            return _answer("30", "Invalid username, password or no API access")
        return None

    async def send(self, request: Request) -> Response:
        fault = await self.state.before_answer(slow_after_accepting=True)
        if fault == "error":
            return _answer("100", "System error", 500)
        if fault == "rate_limited":
            return _answer("80", "Sending limit exceeded")
        refused = self._refused(request)
        if refused is not None:
            return refused
        try:
            body = await request.json()
        except ValueError:
            return _answer("70", "Invalid query")
        self.last_request = body if isinstance(body, dict) else None
        invalid = self._invalid(body)
        if invalid is not None:
            return invalid
        jobid = str(next(self._jobs))
        for item in body["messages"]:
            self._accept(jobid, item)
        if fault == "timeout":  # taken, but answered after the client stopped waiting
            await asyncio.sleep(self.config.timeout_seconds)
        return JSONResponse({"code": "00", "jobid": jobid, "description": "queued"})

    def _invalid(self, body: object) -> Response | None:
        if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
            return _answer("70", "Invalid query: messages missing")
        if body.get("msgheader") != self.config.netgsm_msgheader:
            return _answer("40", "Message header (sender name) is not defined in the system")
        if body.get("iysfilter", "0") not in ("0", "11", "12"):
            return _answer("70", "Invalid query: iysfilter")
        items = body["messages"]
        if not items:
            return _answer("70", "Invalid query: no messages")
        for item in items:
            if not isinstance(item, dict) or not isinstance(item.get("no"), str):
                return _answer("70", "Invalid query: a message without a number")
            text = item.get("msg")
            if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT:
                return _answer("20", "Problem in the message text or too long")
        now = time.monotonic()
        for item in items:
            tasks = self._tasks[item["no"]]
            while tasks and tasks[0] < now - 60:
                tasks.popleft()
            if len(tasks) >= TASKS_PER_NUMBER_PER_MINUTE:
                return _answer("85", "More than 20 tasks for the same number within 1 minute")
        for item in items:
            self._tasks[item["no"]].append(now)
        return None

    def _accept(self, jobid: str, item: dict[str, str]) -> None:
        match = _NUMBER.match(item["no"])
        number = match[1] if match else item["no"]
        bad = match is None or number.endswith("0000")
        delivered = not bad and not self.state.faults.chance(self.config.undelivered_rate)
        error = 4 if bad else (None if delivered else 101)
        self.messages.append(
            NetgsmMessage(jobid, number, item["msg"], time.monotonic(), delivered, error)
        )
        self.state.ledger.accept("netgsm", "+90" + number)

    async def report(self, request: Request) -> Response:
        refused = self._refused(request)
        if refused is not None:
            return refused
        now = time.monotonic()
        while self._report_queries and self._report_queries[0] < now - 60:
            self._report_queries.popleft()
        if len(self._report_queries) >= self.config.netgsm_report_queries_per_minute:
            return _answer("80", "Limit exceeded, can be queried 10 times per minute.")
        self._report_queries.append(now)
        try:
            body = await request.json()
            start = _report_time(body["startdate"])
            stop = _report_time(body["stopdate"])
        except (ValueError, KeyError, TypeError):
            return _answer("70", "Invalid query")
        jobids = {str(j) for j in body.get("jobids") or []}
        delay = self.config.callback_delay
        jobs = []
        for message in self.messages:
            if jobids and message.jobid not in jobids:
                continue
            status, at = message.status(delay)
            sent = datetime.now(ISTANBUL) - timedelta(seconds=now - message.started)
            if not start <= sent <= stop:
                continue
            job: dict[str, Any] = {
                "jobid": message.jobid,
                "number": "90" + message.number,
                "status": status,
                "operator": 20,
                "msglen": len(message.text),
            }
            if at is not None:
                job["deliveredDate"] = at.strftime("%d.%m.%Y %H:%M:%S")
            if status in (0, 4):
                job["errorCode"] = message.error_code
            jobs.append(job)
        if not jobs:
            return _answer("60", "No records to be listed", 200)
        size = int(body.get("pagesize") or 100)
        page = int(body.get("pagenumber") or 0)
        return JSONResponse({"code": "00", "jobs": jobs[page * size : (page + 1) * size]})

    async def inbox_list(self, request: Request) -> Response:
        refused = self._refused(request)
        if refused is not None:
            return refused
        try:
            start = _inbox_time(request.query_params["startdate"])
            stop = _inbox_time(request.query_params["stopdate"])
        except (KeyError, ValueError):
            return _answer("70", "Invalid query")
        found = [m for m in self.inbox if start <= _inbox_time(m["datetime"]) <= stop]
        if not found:
            return _answer("40", "No messages to display", 200)
        return JSONResponse({"code": "00", "messages": found})

    async def reply(self, request: Request) -> Response:
        body = await request.json()
        self.inbox.append(
            {
                "message": str(body["message"]),
                "sender": str(body["sender"]).removeprefix("+"),
                "receiver": self.config.netgsm_msgheader,
                "datetime": datetime.now(ISTANBUL).strftime("%d%m%Y%H%M%S"),
            }
        )
        return Response(status_code=204)

    async def last(self, _: Request) -> Response:
        if self.last_request is None:
            return Response(status_code=404)
        return JSONResponse(self.last_request)


def _report_time(text: str) -> datetime:
    return datetime.strptime(text, "%d.%m.%Y %H:%M:%S").replace(tzinfo=ISTANBUL)


def _inbox_time(text: str) -> datetime:
    return datetime.strptime(text, "%d%m%Y%H%M%S").replace(tzinfo=ISTANBUL)


def routes(state: SimulatorState) -> list[Route]:
    return NetgsmSimulation(state).routes()
