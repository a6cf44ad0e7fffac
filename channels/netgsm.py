"""The ``netgsm`` adapter: SMS through Netgsm, a Turkish operator, with its official SDK.

Environment (``NetgsmSettings``): ``NETGSM_USERNAME``, ``NETGSM_PASSWORD``,
``NETGSM_MSGHEADER`` (the registered sender name), optionally ``NETGSM_API_URL``,
``NETGSM_APPNAME``, ``NETGSM_RATE`` (requests, e.g. ``"5/s"``, shared through Redis when
``CAMPAIGNS_REDIS_URL`` is set), ``NETGSM_CONCURRENCY`` (requests in flight, default 2),
``NETGSM_REPORT_QUERIES_PER_MINUTE`` (default 10, the operator's limit: the scheduler polls
every tick, and a poll asks only as often as the last minute leaves room for).

One request carries many messages (one job, each message its own text): they are grouped
by what the request sets for all of them, the Turkish encoding (only for texts that need
it), and never two messages to one number in one request (a report tells messages apart by
job and number). Messages are informational for İYS (filter ``0``): a registration reminder
is not commercial. The SDK is synchronous: its calls run on a small thread pool, bounded by
the rate limit, so a slow operator holds only its own requests.

Netgsm calls nobody back: delivery statuses come from its report endpoint and replies from
its inbox, both asked by the scheduler (``poll_statuses``, ``poll_inbound``).
"""

from __future__ import annotations

import hashlib
import os
import time
from collections import defaultdict, deque
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Self
from zoneinfo import ZoneInfo

from netgsm import Netgsm  # type: ignore[import-untyped]
from netgsm.exceptions.api_exception import (  # type: ignore[import-untyped]
    ApiException,
    ConnectionException,
    HttpException,
    TimeoutException,
)
from pydantic import PositiveInt, SecretStr
from pydantic_settings import SettingsConfigDict

from channels.base import (
    Accepted,
    BatchStopped,
    CallbackUrls,
    Capability,
    Channel,
    ChannelAdapter,
    ConfigurationError,
    DeliveryError,
    DeliveryEvent,
    EventType,
    OutboundMessage,
    OutcomeUnknownError,
    PermanentError,
    Polled,
    RateLimitedError,
    Rejected,
    SendResult,
    TransientError,
    Unknown,
)
from channels.gsm import sms_info
from channels.ratelimit import RateLimiter, limiter_from_env
from channels.settings import AdapterSettings, HttpUrl
from channels.webhooks import InboundMessage, keyword_of

ISTANBUL: Final = ZoneInfo("Europe/Istanbul")
INFORMATIONAL: Final = "0"
COMMERCIAL_TO_INDIVIDUALS: Final = "11"
"""``iysfilter``: the operator sends a commercial message only where İYS records consent."""
MAX_RATE_WAIT: Final = 5.0
REPORT_PAGE: Final = 100

CONFIGURATION_CODES: Final = {
    "30": "Netgsm refused the credentials or this IP (NETGSM_USERNAME, NETGSM_PASSWORD)",
    "40": "the sender name is not defined at Netgsm (NETGSM_MSGHEADER)",
    "50": "İYS-checked sending is not open for this Netgsm account",
    "51": "no İYS brand is defined for this Netgsm account",
}
PERMANENT_CODES: Final = {"20": "the text has a problem or is too long", "70": "bad request"}
RATE_CODES: Final = {
    "80": "Netgsm's sending limit is exceeded",
    "85": "more than 20 tasks for one number within a minute",
}
TRANSIENT_CODES: Final = {"100": "Netgsm system error", "101": "Netgsm system error"}
DELIVERED: Final = 1
PENDING: Final = 2


class NetgsmSettings(AdapterSettings):
    model_config = SettingsConfigDict(env_prefix="NETGSM_")

    username: str
    password: SecretStr
    msgheader: str
    api_url: HttpUrl = None
    appname: str | None = None
    concurrency: PositiveInt = 2
    report_queries_per_minute: PositiveInt = 10


class NetgsmAdapter(ChannelAdapter):
    """Sends SMS through Netgsm; statuses and replies are polled."""

    name = "netgsm"
    channels = frozenset({Channel.SMS})
    max_batch = 500
    capabilities = frozenset(
        {Capability.POLLED_STATUSES, Capability.POLLED_INBOUND, Capability.INBOUND}
    )

    def __init__(self, settings: NetgsmSettings, *, limiter: RateLimiter | None = None) -> None:
        self.settings = settings
        self.client = Netgsm(
            settings.username,
            settings.password.get_secret_value(),
            api_url=settings.api_url,
            appname=settings.appname,
        )
        self.limiter = limiter
        self._report_queries: deque[float] = deque()
        self.pool = ThreadPoolExecutor(settings.concurrency, thread_name_prefix="netgsm")

    @classmethod
    def from_env(
        cls, env: Mapping[str, str] | None = None, *, callbacks: CallbackUrls | None = None
    ) -> Self:
        env = os.environ if env is None else env
        settings = NetgsmSettings.read(env)
        bucket = f"netgsm:{settings.username}:{settings.msgheader}"
        return cls(settings, limiter=limiter_from_env(env, "NETGSM_RATE", bucket))

    # --- sending -------------------------------------------------------------------------

    def deliver(self, chunk: Sequence[OutboundMessage]) -> list[SendResult]:
        results: list[SendResult] = []
        sendable: list[OutboundMessage] = []
        for message in chunk:
            number = national(message.to)
            if number is None:
                error = PermanentError(
                    "Netgsm sends to Turkish mobile numbers only", code="not-turkish"
                )
                results.append(Rejected(message.id, error))
            else:
                sendable.append(message)
        requests = _requests(sendable)
        stop: DeliveryError | ConfigurationError | None = None
        # The requests run side by side: every answer is kept, whatever another request met.
        answers = self.pool.map(self._send_request, requests)
        for request, answer in zip(requests, answers, strict=True):
            if isinstance(answer, str):
                results += [
                    Accepted(m.id, f"{answer}-{national(m.to)}", segments=sms_info(m.text).segments)
                    for m in request.messages
                ]
            elif isinstance(answer, PermanentError):
                results += [Rejected(m.id, answer) for m in request.messages]
            elif isinstance(answer, OutcomeUnknownError):
                results += [Unknown(m.id, answer) for m in request.messages]
            else:  # never left: sent again later, once the stop has passed
                stop = stop or answer
        if stop is not None:
            raise BatchStopped(stop, results)
        return results

    def _send_request(self, request: _Request) -> str | DeliveryError | ConfigurationError:
        """One job's id, or what went wrong with the request."""
        if self.limiter is not None and self.limiter.acquire(MAX_RATE_WAIT) is None:
            return RateLimitedError("NETGSM_RATE: no room within 5 s", code="rate")
        try:
            answer = self.client.sms.send(
                self.settings.msgheader,
                messages=[{"msg": m.text, "no": national(m.to)} for m in request.messages],
                encoding="tr" if request.turkish else None,
                iysfilter=COMMERCIAL_TO_INDIVIDUALS if request.commercial else INFORMATIONAL,
            )
        except Exception as exc:  # the SDK's exceptions, mapped below
            return self.classify(exc)
        code = str(answer.get("code", "")) if isinstance(answer, dict) else ""
        jobid = answer.get("jobid") if isinstance(answer, dict) else None
        if code == "00" and jobid:
            return str(jobid)
        return from_code(code, "answer without a job")

    def classify(self, exc: Exception) -> DeliveryError | ConfigurationError:
        if isinstance(exc, TimeoutException):
            # The job may have been taken: its messages are reconciled, never sent blindly.
            return OutcomeUnknownError("Netgsm did not answer in time", code="timeout")
        if isinstance(exc, ConnectionException):
            return TransientError("Netgsm could not be reached", code="connection")
        if isinstance(exc, HttpException):
            if exc.code:
                return from_code(str(exc.code), str(exc.message))
            if (exc.http_status or 0) >= 500:
                return TransientError(f"Netgsm answered {exc.http_status}", code="5xx")
            return PermanentError(f"Netgsm answered {exc.http_status}", code="http")
        if isinstance(exc, ApiException):
            return TransientError(f"Netgsm: {type(exc).__name__}", code="api")
        return super().classify(exc)

    # --- polling -------------------------------------------------------------------------

    def poll_statuses(self, messages: Sequence[Polled]) -> list[DeliveryEvent]:
        if not messages:
            return []
        wanted = {m.provider_message_id for m in messages}
        jobs = sorted({m.provider_message_id.split("-", 1)[0] for m in messages})
        since = min(m.sent_at for m in messages) - timedelta(minutes=1)
        events: list[DeliveryEvent] = []
        for start in range(0, len(jobs), REPORT_PAGE):
            batch = jobs[start : start + REPORT_PAGE]
            if not self._may_query_report():
                break  # the rest at the next poll
            try:
                answer = self.client.sms.get_report(
                    _report_time(since),
                    _report_time(datetime.now(UTC) + timedelta(minutes=1)),
                    jobids=batch,
                    pagesize=REPORT_PAGE * 10,
                )
            except Exception:
                break
            if not isinstance(answer, dict) or str(answer.get("code")) != "00":
                break  # 60: nothing to report yet; 80: the query limit, wait for the next poll
            events += [e for e in map(_event, answer.get("jobs") or []) if e is not None]
        return [e for e in events if e.provider_message_id in wanted]

    def _may_query_report(self) -> bool:
        """Whether the last minute leaves room for a report query (then it is counted)."""
        now = time.monotonic()
        while self._report_queries and self._report_queries[0] < now - 60:
            self._report_queries.popleft()
        if len(self._report_queries) >= self.settings.report_queries_per_minute:
            return False
        self._report_queries.append(now)
        return True

    def poll_inbound(self, since: datetime, until: datetime) -> list[InboundMessage]:
        try:
            answer = self.client.sms.get_inbox(_inbox_time(since), _inbox_time(until))
        except Exception as exc:  # the SDK's exceptions: the window is read again next time
            raise self.classify(exc) from exc
        code = str(answer.get("code")) if isinstance(answer, dict) else ""
        if code == "40":
            return []  # no messages in the window
        if code != "00" or not isinstance(answer, dict):
            raise from_code(code, "inbox answer")
        return [_inbound(item) for item in answer.get("messages") or [] if isinstance(item, dict)]

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)


def national(address: str) -> str | None:
    """A Turkish mobile number as Netgsm writes it (``5XXXXXXXXX``), or None."""
    digits = address.removeprefix("+")
    if digits.startswith("90") and len(digits) == 12 and digits[2] == "5" and digits.isdigit():
        return digits[2:]
    return None


def from_code(code: str, detail: str) -> DeliveryError | ConfigurationError:
    """What one of Netgsm's documented codes means for the messages of a request."""
    if code in CONFIGURATION_CODES:
        return ConfigurationError(f"{CONFIGURATION_CODES[code]} (code {code})")
    if code in PERMANENT_CODES:
        return PermanentError(f"Netgsm: {PERMANENT_CODES[code]}", code=code)
    if code in RATE_CODES:
        return RateLimitedError(f"Netgsm: {RATE_CODES[code]}", code=code)
    if code in TRANSIENT_CODES:
        return TransientError(f"Netgsm: {TRANSIENT_CODES[code]}", code=code)
    return OutcomeUnknownError(f"Netgsm: unexpected code {code!r}: {detail[:200]}", code=code)


@dataclass(slots=True)
class _Request:
    """The messages of one request, and what it sets for all of them."""

    turkish: bool
    commercial: bool = False
    messages: list[OutboundMessage] = field(default_factory=list)
    numbers: set[str] = field(default_factory=set)


def _requests(messages: Sequence[OutboundMessage]) -> list[_Request]:
    """The requests ``messages`` go out in: Turkish-encoded texts apart from the others,
    commercial messages (checked against İYS) apart from informational ones, and each number
    at most once per request."""
    requests: list[_Request] = []
    open_requests: dict[tuple[bool, bool], list[_Request]] = defaultdict(list)
    for message in messages:
        kind = (sms_info(message.text).encoding == "UCS-2", message.commercial)
        number = national(message.to) or message.to
        request = next((r for r in open_requests[kind] if number not in r.numbers), None)
        if request is None:
            request = _Request(*kind)
            open_requests[kind].append(request)
            requests.append(request)
        request.messages.append(message)
        request.numbers.add(number)
    return requests


def _event(job: Mapping[str, Any]) -> DeliveryEvent | None:
    """A report line as a delivery event (None while it is pending)."""
    status = job.get("status")
    if not isinstance(status, int) or status == PENDING:
        return None
    number = national("+" + str(job.get("number", "")).removeprefix("+"))
    jobid = str(job.get("jobid", ""))
    if number is None or not jobid:
        return None
    when = job.get("deliveredDate")
    occurred = _from_report_time(when) if isinstance(when, str) else datetime.now(UTC)
    delivered = status == DELIVERED
    error = job.get("errorCode")
    return DeliveryEvent(
        type=EventType.DELIVERED if delivered else EventType.UNDELIVERED,
        provider="netgsm",
        occurred_at=occurred,
        provider_message_id=f"{jobid}-{number}",
        event_id=f"{jobid}-{number}-{status}",
        error_code=None if delivered or error is None else str(error),
        description=None if delivered else f"Netgsm status {status}",
        raw=dict(job),
    )


def _inbound(item: Mapping[str, Any]) -> InboundMessage:
    sender = str(item.get("sender", ""))
    body = str(item.get("message", ""))
    when = str(item.get("datetime", ""))
    identity = hashlib.sha256(f"{sender}\0{when}\0{body}".encode()).hexdigest()[:40]
    number = national("+" + sender.removeprefix("+")) or sender
    return InboundMessage(
        provider="netgsm",
        provider_message_id=identity,
        channel=Channel.SMS,
        from_address=f"+90{number}" if number.isdigit() and len(number) == 10 else sender,
        body=body,
        keyword=keyword_of(body),
    )


def _report_time(moment: datetime) -> str:
    return moment.astimezone(ISTANBUL).strftime("%d.%m.%Y %H:%M:%S")


def _from_report_time(text: str) -> datetime:
    try:
        local = datetime.strptime(text, "%d.%m.%Y %H:%M:%S").replace(tzinfo=ISTANBUL)
    except ValueError:
        return datetime.now(UTC)
    return local.astimezone(UTC)


def _inbox_time(moment: datetime) -> str:
    return moment.astimezone(ISTANBUL).strftime("%d%m%Y%H%M%S")
