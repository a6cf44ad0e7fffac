"""Twilio plumbing shared by the SMS and WhatsApp adapters.

- ``TwilioSettings``: credentials and knobs read from the environment.
- ``TwilioApiHttpClient``: the SDK's asyncio HTTP client (aiohttp) with a timeout that is
  always applied, a connection pool sized for the concurrency, no request logging, and an
  optional base URL override that survives ``TWILIO_REGION``/``TWILIO_EDGE`` (the SDK
  rewrites ``client.api.base_url`` when they are set).
- ``classify``: whatever the SDK or aiohttp raised, mapped onto the channel error tree.
- ``TwilioMessageSender``: sends a batch through the Messages API from an event loop of its
  own, one result per message, with an optional global rate limit.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import logging
import re
import threading
import time
from abc import abstractmethod
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any, TypeVar
from urllib.parse import urlencode
from urllib.request import getproxies, proxy_bypass

import aiohttp
import redis
from pydantic import PositiveFloat, PositiveInt, SecretStr
from pydantic_settings import SettingsConfigDict
from twilio.base.exceptions import (  # type: ignore[import-untyped]
    TwilioException,
    TwilioRestException,
    TwilioServiceException,
)
from twilio.http.async_http_client import AsyncTwilioHttpClient  # type: ignore[import-untyped]
from twilio.http.response import Response  # type: ignore[import-untyped]
from twilio.rest import Client  # type: ignore[import-untyped]

from channels.base import (
    Accepted,
    BatchStopped,
    CallbackUrls,
    Capability,
    ChannelAdapter,
    ConfigurationError,
    DeliveryError,
    InFlight,
    OutboundMessage,
    OutcomeUnknownError,
    PermanentError,
    RateLimitedError,
    Rejected,
    SendResult,
    TransientError,
)
from channels.ratelimit import AsyncRateLimiter
from channels.settings import AdapterSettings, HttpUrl
from channels.twilio_webhooks import TwilioInboundReceiver, TwilioStatusReceiver
from channels.webhooks import callback_url

log = logging.getLogger(__name__)

T = TypeVar("T")

TWILIO_API_URL = "https://api.twilio.com"
DEFAULT_TIMEOUT = 10.0
DEFAULT_CONCURRENCY = 32
# How long one batch may wait for rate-limit tokens; messages still without one are handed
# back as rate-limited, so a worker never sits on a batch for minutes.
DEFAULT_MAX_RATE_WAIT = 5.0
# Reconciliation reads one page of the messages to a recipient (a student gets few), and
# allows for clocks that differ between us and Twilio.
RECONCILE_PAGE = 50
CLOCK_SKEW = timedelta(minutes=5)

# The SDK builds ``https://api.twilio.com/…`` and, with a region and/or an edge,
# ``https://api.<region>.twilio.com/…`` or ``https://api.<edge>.<region>.twilio.com/…``.
_API_HOST = re.compile(r"^https://api(?:\.[A-Za-z0-9-]+){0,2}\.twilio\.com(?=[/?:]|$)")
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
# The SDK puts "Unable to create record: " before the provider's own message.
_SDK_PREFIX = re.compile(r"^Unable to \w+ record: ")
# The account itself or its message list: a 20404 there means the account SID is wrong.
_ACCOUNT_URI = re.compile(r"/Accounts/[^/]+(?:/Messages)?\.json$")
_ORIGIN = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://([^/?#]*)")

CODE_CREDENTIALS = 20003
CODE_NOT_FOUND = 20404
CODE_TOO_MANY_REQUESTS = 20429
CODE_REPLIED_STOP = 21610
CODE_SENDER_QUEUE_FULL = 21611


class TwilioSettings(AdapterSettings):
    """What every Twilio adapter needs to reach the Messages API: ``TWILIO_ACCOUNT_SID``,
    ``TWILIO_AUTH_TOKEN`` (required), ``TWILIO_API_BASE_URL``, ``TWILIO_TIMEOUT`` (seconds,
    default 10), ``TWILIO_CONCURRENCY`` (requests in flight, default 32), ``TWILIO_REGION``,
    ``TWILIO_EDGE``."""

    model_config = SettingsConfigDict(env_prefix="TWILIO_")

    account_sid: str
    auth_token: SecretStr
    api_base_url: HttpUrl = None
    timeout: PositiveFloat = DEFAULT_TIMEOUT
    concurrency: PositiveInt = DEFAULT_CONCURRENCY
    region: str | None = None
    edge: str | None = None


class TwilioApiHttpClient(AsyncTwilioHttpClient):  # type: ignore[misc]
    """``AsyncTwilioHttpClient`` that always times out, pools up to ``pool_size``
    connections in one aiohttp session, logs nothing, and sends ``api.twilio.com`` requests
    (regional and edge hosts included) to ``base_url`` when one is given.

    The rewrite happens in ``request()``, after the SDK applied region and edge, which is the
    only place where an override cannot be undone by them. The session is opened by the
    first request and belongs to that request's event loop: use the client on one loop only
    and ``await close()`` there.
    """

    def __init__(self, *, timeout: float, pool_size: int, base_url: str | None = None) -> None:
        # Without a session of its own: an aiohttp session must be created on its loop.
        super().__init__(pool_connections=False, timeout=timeout)
        self.base_url = base_url.rstrip("/") if base_url else None
        self.pool_size = pool_size
        self.client_timeout = aiohttp.ClientTimeout(total=timeout)
        self.session: aiohttp.ClientSession | None = None
        self._authorization: dict[tuple[str, str], str] = {}
        # Proxy variables are read once, not on every request.
        self._proxies = {k: v for k, v in getproxies().items() if k in ("http", "https")}
        self._proxy_for_origin: dict[str, str | None] = {}

    def rewrite(self, url: str) -> str:
        """``url`` with a Twilio API host replaced by the configured base URL."""
        if self.base_url is None:
            return url
        return _API_HOST.sub(lambda _m: self.base_url or "", url, count=1)

    async def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Response:
        """Make one request; its status and body come back as the SDK's ``Response``."""
        if timeout is not None and timeout <= 0:
            raise ValueError(timeout)
        limit = self.client_timeout if timeout is None else aiohttp.ClientTimeout(total=timeout)
        target = self.rewrite(url)
        headers = dict(headers or {})
        if auth is not None:
            # A header rather than aiohttp's ``auth=``, which is deprecated.
            headers["Authorization"] = self._basic(auth)
        # Repeated keys for list values, as Twilio expects (``MediaUrl``): aiohttp would turn
        # a list into its repr. Pairs, not an encoded string, which aiohttp would encode again
        # ("+90…" reaching Twilio as "%2B90…").
        query = _pairs(params) if params else None
        body: str | None = None
        if data:
            body = urlencode(data, doseq=True)
            headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        async with self._session().request(
            method.upper(),
            target,
            params=query,
            data=body,
            headers=headers,
            timeout=limit,
            allow_redirects=allow_redirects,
            proxy=self._proxy(target),
        ) as response:
            text = await response.text()
            return Response(response.status, text, response.headers)

    def _session(self) -> aiohttp.ClientSession:
        if self.session is None:
            self.session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self.pool_size),
                timeout=self.client_timeout,
                cookie_jar=aiohttp.DummyCookieJar(),
            )
        return self.session

    def _basic(self, auth: tuple[str, str]) -> str:
        value = self._authorization.get(auth)
        if value is None:
            token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode("ascii")
            value = self._authorization[auth] = f"Basic {token}"
        return value

    def _proxy(self, url: str) -> str | None:
        if not self._proxies:
            return None
        match = _ORIGIN.match(url)
        if match is None:
            return None
        origin = match.group(0)
        if origin not in self._proxy_for_origin:
            scheme, netloc = match.group(1).lower(), match.group(2)
            host = netloc.rpartition("@")[2]
            proxy = self._proxies.get(scheme)
            self._proxy_for_origin[origin] = None if proxy_bypass(host) else proxy
        return self._proxy_for_origin[origin]

    def log_request(self, kwargs: dict[str, object]) -> None:
        """Not logged: the SDK logs URLs and query strings (phone numbers) at INFO, and
        formats them on every request even when nobody listens."""

    def log_response(self, status_code: int, response: object) -> None:
        """Not logged (see ``log_request``)."""

    async def close(self) -> None:
        """Close the session and its pooled connections."""
        session, self.session = self.session, None
        if session is not None:
            await session.close()


def _pairs(params: Mapping[str, object]) -> list[tuple[str, str]]:
    return [
        (key, str(item))
        for key, value in params.items()
        for item in (value if isinstance(value, list | tuple) else [value])
    ]


def http_client_for(settings: TwilioSettings) -> TwilioApiHttpClient:
    """The HTTP client ``settings`` describe."""
    return TwilioApiHttpClient(
        timeout=settings.timeout, pool_size=settings.concurrency, base_url=settings.api_base_url
    )


def new_client(settings: TwilioSettings, http_client: TwilioApiHttpClient | None = None) -> Any:
    """A ``twilio.rest.Client`` for ``settings`` on the asyncio HTTP client (a new one unless
    given): call its ``*_async`` methods.

    Region and edge come from the settings, else from ``TWILIO_REGION``/``TWILIO_EDGE`` in the
    process environment (the SDK's own rule); the base URL override holds either way.
    """
    return Client(
        settings.account_sid,
        settings.auth_token.get_secret_value(),
        account_sid=settings.account_sid,
        region=settings.region,
        edge=settings.edge,
        http_client=http_client or http_client_for(settings),
    )


def e164(value: str, variable: str) -> str:
    """``value`` as an E.164 number (a ``whatsapp:`` prefix is tolerated and dropped)."""
    number = value.strip().removeprefix("whatsapp:")
    if not _E164.match(number):
        raise ConfigurationError(f"{variable} must be an E.164 number like +905321234567")
    return number


def status_url_for(env: Mapping[str, str], callbacks: CallbackUrls | None) -> Callable[[int], str]:
    """Where Twilio reports the status of a message: the host's URL for our status receiver,
    with our message id in it, so a callback can be matched even before the provider's SID is
    recorded (a callback may overtake the worker still storing the send result). Used on its
    own (without a host), the adapter builds it from ``CAMPAIGNS_WEBHOOK_URL_BASE`` or
    ``CAMPAIGNS_PUBLIC_URL`` as the host would."""
    if callbacks is None:
        base = env.get("CAMPAIGNS_WEBHOOK_URL_BASE") or env.get("CAMPAIGNS_PUBLIC_URL") or ""
        if not base.strip():
            raise ConfigurationError("CAMPAIGNS_PUBLIC_URL is not set (Twilio status callbacks)")
        callbacks = functools.partial(callback_url, base.strip())

    def status_url(message_id: int) -> str:
        return callbacks(TwilioStatusReceiver.path, message_id)

    return status_url


def classify(exc: Exception) -> DeliveryError:
    """Map an exception raised while calling Twilio onto the channel error tree.

    Raises ``ConfigurationError`` for credential problems (HTTP 401/403, code 20003, or 20404
    on the account itself) and for a Twilio API URL aiohttp cannot use: no message can be
    sent until the configuration is fixed.

    A timeout, or a connection that broke, once the request may have been sent is ambiguous:
    Twilio may have accepted the message after we stopped waiting. That is
    ``OutcomeUnknownError``: the message is reconciled (``TwilioAdapter.reconcile``), never
    sent again blindly. Failing to connect at all is not ambiguous: transient.
    """
    if isinstance(exc, TwilioRestException):
        message = _SDK_PREFIX.sub("", str(exc.msg or "")) or "Twilio error"
        return _from_http(exc.status, exc.code, message, exc.uri)
    if isinstance(exc, TwilioServiceException):
        detail = str(exc.title or "Twilio error")
        if exc.detail:
            detail = f"{detail}: {exc.detail}"
        return _from_http(exc.status, exc.code, detail, exc.uri)
    if isinstance(exc, TwilioException):
        # Raised by the SDK itself (bad arguments, an abstract client): retrying cannot help.
        return PermanentError(
            f"Twilio client error: {exc or type(exc).__name__}", code=type(exc).__name__
        )
    if isinstance(exc, aiohttp.ClientError | TimeoutError):
        return _from_transport(exc)
    return TransientError(
        f"unexpected {type(exc).__name__} while calling Twilio: {exc}", code=type(exc).__name__
    )


def _from_http(status: object, code: object, message: str, uri: object) -> DeliveryError:
    http_status = _as_int(status)
    twilio_code = _as_int(code)
    code_text = str(twilio_code) if twilio_code is not None else None
    path = str(uri or "").partition("?")[0]
    if (
        http_status in (401, 403)
        or twilio_code == CODE_CREDENTIALS
        or (twilio_code == CODE_NOT_FOUND and _ACCOUNT_URI.search(path))
    ):
        raise ConfigurationError(
            f"Twilio refused the account credentials (HTTP {http_status}, code {code_text}): "
            f"{message}"
        )
    detail = f"Twilio {code_text or http_status}: {message}"
    if twilio_code == CODE_REPLIED_STOP:
        return PermanentError(detail, code=code_text, status=http_status, suppress=True)
    if http_status == 429 or twilio_code == CODE_TOO_MANY_REQUESTS:
        # The SDK drops response headers, so a Retry-After is not available here.
        return RateLimitedError(detail, code=code_text, status=http_status)
    if twilio_code == CODE_SENDER_QUEUE_FULL:
        # The sender's queue holds more than 10 hours of messages: slow down, the message is fine.
        return RateLimitedError(detail, code=code_text, status=http_status)
    if http_status is not None and http_status >= 500:
        return TransientError(detail, code=code_text, status=http_status)
    return PermanentError(detail, code=code_text, status=http_status)


def _from_transport(exc: aiohttp.ClientError | TimeoutError) -> DeliveryError:
    name = type(exc).__name__
    # Redirects are never followed, and a bad one would be Twilio's, not our configuration.
    if not isinstance(exc, aiohttp.RedirectClientError) and isinstance(
        exc, aiohttp.InvalidURL | aiohttp.NonHttpUrlClientError
    ):
        raise ConfigurationError(f"the Twilio API URL is not usable: {exc}")
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return TransientError("connecting to Twilio timed out", code=name)
    if isinstance(exc, TimeoutError):
        return OutcomeUnknownError(
            "Twilio did not answer in time; it may have accepted the message", code=name
        )
    if isinstance(exc, aiohttp.ClientConnectorError | aiohttp.ServerFingerprintMismatch):
        return TransientError(f"cannot reach Twilio: {exc}", code=name)
    if isinstance(exc, aiohttp.ClientConnectionError | aiohttp.ClientPayloadError):
        return OutcomeUnknownError(
            f"the connection to Twilio broke ({exc or name}); it may have accepted the message",
            code=name,
        )
    return TransientError(f"HTTP request to Twilio failed: {exc or name}", code=name)


def _as_int(value: object) -> int | None:
    if not isinstance(value, int | str):
        return None
    try:
        return int(value)
    except ValueError:
        return None


def _segments(created: Any) -> int | None:
    count = _as_int(getattr(created, "num_segments", None))
    # A Messaging Service answers "0" until it has picked a sender: unknown, not zero.
    return count if count else None


MessageParams = Callable[[OutboundMessage], Mapping[str, Any]]


class TwilioAdapter(ChannelAdapter):
    """What the SMS and WhatsApp adapters share: a sender, its prices, closing it."""

    # One request per message, many in flight: a chunk only bounds a send call, and a short
    # one would leave the requests idle at its tail.
    max_batch = 1000
    receivers = (TwilioStatusReceiver, TwilioInboundReceiver)
    capabilities = frozenset(
        {
            Capability.RECONCILE,
            Capability.FETCH_COSTS,
            Capability.STATUS_CALLBACKS,
            Capability.INBOUND,
        }
    )
    variables = frozenset(
        {"CAMPAIGNS_PUBLIC_URL", "CAMPAIGNS_WEBHOOK_URL_BASE", "CAMPAIGNS_REDIS_URL"}
    )

    def __init__(
        self,
        settings: TwilioSettings,
        *,
        status_url: Callable[[int], str],
        limiter: AsyncRateLimiter | None = None,
        max_rate_wait: float = DEFAULT_MAX_RATE_WAIT,
    ) -> None:
        self.settings = settings
        self.status_url = status_url
        self.sender = TwilioMessageSender(settings, limiter, max_rate_wait=max_rate_wait)

    @abstractmethod
    def _arguments(self, message: OutboundMessage) -> Mapping[str, Any]:
        """The ``messages.create`` arguments of a message of one of ``channels`` (raise
        ``DeliveryError`` if it cannot be sent by this adapter)."""

    def deliver(self, chunk: Sequence[OutboundMessage]) -> list[SendResult]:
        return self.sender.send(chunk, self._arguments)

    def fetch_costs(self, provider_message_ids: Sequence[str]) -> dict[str, tuple[Decimal, str]]:
        return self.sender.fetch_costs(provider_message_ids)

    def reconcile(self, messages: Sequence[InFlight]) -> dict[int, str | None]:
        """Twilio lists the messages to a recipient: one created since the claim whose body
        carries the message's own link token is it; none at all since then means it never
        arrived; anything else (other messages since, a text without the token, Twilio not
        answering) cannot be told apart and is left to a person."""
        return self.sender.reconcile([(m, self._recipient(m.to)) for m in messages])

    def _recipient(self, address: str) -> str:
        """How Twilio writes ``address`` in its message list (``To``)."""
        return address

    def close(self) -> None:
        self.sender.close()


class TwilioMessageSender:
    """Creates Messages concurrently: at most ``settings.concurrency`` requests in flight.

    ``send`` takes a batch and a function giving each message's ``messages.create``
    arguments; it returns a result per message, in any order. When Twilio refuses the
    configuration it raises ``BatchStopped`` with the results of the requests answered
    meanwhile (messages not sent after the refusal have none). With a
    ``limiter``, each request first takes a token; a batch waits for tokens at most
    ``max_rate_wait`` seconds in all, and a message that gets none by then comes back as
    ``RateLimitedError`` with the expected wait as ``retry_after``.

    Requests go out from an event loop on a thread of its own, started by the first ``send``
    and stopped by ``close``; a ``send`` after ``close`` starts a new one.
    """

    def __init__(
        self,
        settings: TwilioSettings,
        limiter: AsyncRateLimiter | None = None,
        *,
        max_rate_wait: float = DEFAULT_MAX_RATE_WAIT,
    ) -> None:
        self.settings = settings
        self.limiter = limiter
        self.max_rate_wait = max_rate_wait
        self._loop: _SenderLoop | None = None
        self._lock = threading.Lock()

    def client(self) -> Any:
        """The ``twilio.rest.Client`` requests go through (its ``*_async`` methods, on the
        sender's loop)."""
        return self._running().client

    def send(self, batch: Sequence[OutboundMessage], params: MessageParams) -> list[SendResult]:
        """Send every message of ``batch``; see the class docstring."""
        if not batch:
            return []
        loop = self._running()
        return loop.run(self._send_batch(loop, batch, params))

    def close(self) -> None:
        """Close the connections and stop the loop's thread."""
        with self._lock:
            loop, self._loop = self._loop, None
        if loop is not None:
            try:
                if self.limiter is not None:  # its connections belong to this loop
                    loop.run(self.limiter.aclose())
            finally:
                loop.stop()

    def _running(self) -> _SenderLoop:
        with self._lock:
            if self._loop is None:
                self._loop = _SenderLoop(self.settings)
            return self._loop

    def fetch_costs(self, sids: Sequence[str]) -> dict[str, tuple[Decimal, str]]:
        """The prices Twilio has set on these messages (a final status comes first)."""
        if not sids:
            return {}
        loop = self._running()
        return loop.run(self._fetch_costs(loop, sids))

    async def _fetch_costs(
        self, loop: _SenderLoop, sids: Sequence[str]
    ) -> dict[str, tuple[Decimal, str]]:
        async def price(sid: str) -> tuple[str, tuple[Decimal, str] | None]:
            async with loop.slots:
                try:
                    message = await loop.client.messages(sid).fetch_async()
                except Exception as exc:  # a price is a nicety: ask again next time
                    log.debug("price of %s not fetched: %s", sid, type(exc).__name__)
                    return sid, None
            if message.price in (None, "") or not message.price_unit:
                return sid, None
            # Twilio writes charges as negative amounts ("-0.04000").
            return sid, (abs(Decimal(str(message.price))), str(message.price_unit).upper())

        found = await asyncio.gather(*(price(sid) for sid in sids))
        return {sid: cost for sid, cost in found if cost is not None}

    def reconcile(self, messages: Sequence[tuple[InFlight, str]]) -> dict[int, str | None]:
        """See ``TwilioAdapter.reconcile``; each message with its recipient as Twilio has it."""
        if not messages:
            return {}
        loop = self._running()
        return loop.run(self._reconcile(loop, messages))

    async def _reconcile(
        self, loop: _SenderLoop, messages: Sequence[tuple[InFlight, str]]
    ) -> dict[int, str | None]:
        async def one(message: InFlight, recipient: str) -> tuple[int, str | None] | None:
            async with loop.slots:
                try:
                    page = await loop.client.messages.page_async(
                        to=recipient, page_size=RECONCILE_PAGE
                    )
                except Exception as exc:  # cannot tell: a person decides
                    log.debug(
                        "message %s not reconciled: %s", message.message_id, type(exc).__name__
                    )
                    return None
            since = message.since - CLOCK_SKEW
            recent = [m for m in page if m.date_created is None or m.date_created >= since]
            if message.marker is not None:
                for found in recent:
                    if message.marker in (found.body or ""):
                        return message.message_id, str(found.sid)
            if not recent and page.next_page_url is None:
                return message.message_id, None  # nothing at all since the claim
            return None

        answers = await asyncio.gather(*(one(m, to) for m, to in messages))
        return dict(answer for answer in answers if answer is not None)

    async def _send_batch(
        self, loop: _SenderLoop, batch: Sequence[OutboundMessage], params: MessageParams
    ) -> list[SendResult]:
        # One deadline for the whole batch: waiting up to the budget per message would hold
        # the worker for len(batch) / concurrency budgets.
        progress = _Batch(deadline=time.monotonic() + self.max_rate_wait)
        tasks = [
            asyncio.ensure_future(self._send_one(loop, message, params, progress))
            for message in batch
        ]
        try:
            results: list[SendResult | None] = await asyncio.gather(*tasks)
        except BaseException:
            # A failure outside the error tree (a bug in ``params``): send nothing more.
            for task in tasks:
                task.cancel()
            raise
        answered = [r for r in results if r is not None]
        if progress.refused is not None:
            raise BatchStopped(progress.refused, answered)
        rejected = sum(isinstance(r, Rejected) for r in answered)
        log.debug("twilio batch: %d accepted, %d rejected", len(answered) - rejected, rejected)
        return answered

    async def _send_one(
        self,
        loop: _SenderLoop,
        message: OutboundMessage,
        params: MessageParams,
        progress: _Batch,
    ) -> SendResult | None:
        """The message's result; None when it was not sent because Twilio refused the
        configuration meanwhile."""
        try:
            arguments = params(message)
        except DeliveryError as exc:
            return Rejected(message.id, exc)
        async with loop.slots:
            if self.limiter is not None and progress.refused is None:
                error = await self._take_token(loop, progress)
                if error is not None:
                    return Rejected(message.id, error)
            if progress.refused is not None:
                return None
            try:
                created = await loop.client.messages.create_async(**arguments)
            except Exception as exc:  # every failure becomes this message's result
                try:
                    error = classify(exc)
                except ConfigurationError as refused:
                    # Other requests of the batch may be accepted meanwhile: whether the batch
                    # raises is decided once all are done.
                    progress.refused = progress.refused or refused
                    return None
                log.debug("message %s rejected: %s", message.id, error.code)
                return Rejected(message.id, error)
        return Accepted(message.id, str(created.sid), segments=_segments(created))

    async def _take_token(self, loop: _SenderLoop, progress: _Batch) -> DeliveryError | None:
        assert self.limiter is not None
        # One message at a time asks for a token and sleeps until the next one is due:
        # every waiting message polling the bucket would hammer Redis for nothing.
        async with loop.token_turn:
            while True:
                if progress.limiter_down is not None:
                    return progress.limiter_down  # asked once per batch, not per message
                try:
                    wait = await self.limiter.try_take()
                except (redis.RedisError, OSError) as exc:
                    progress.limiter_down = TransientError(
                        f"the rate limiter (Redis) cannot be reached: {type(exc).__name__}",
                        code="rate-limiter",
                    )
                    continue
                if wait <= 0:
                    return None
                if time.monotonic() + wait > progress.deadline:
                    return RateLimitedError(
                        "our Twilio send rate is reached", code="send-rate", retry_after=wait
                    )
                await asyncio.sleep(wait)


@dataclass(slots=True)
class _Batch:
    deadline: float
    refused: ConfigurationError | None = None
    limiter_down: TransientError | None = None


class _SenderLoop:
    """An event loop on a daemon thread, and the Twilio client and limits that live on it."""

    def __init__(self, settings: TwilioSettings) -> None:
        self.http_client = http_client_for(settings)
        self.client = new_client(settings, self.http_client)
        self.slots = asyncio.Semaphore(settings.concurrency)
        self.token_turn = asyncio.Lock()
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self.loop.run_forever, name="twilio-send", daemon=True
        )
        self._thread.start()

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run ``coroutine`` on the loop and wait for its result."""
        future = asyncio.run_coroutine_threadsafe(coroutine, self.loop)
        try:
            return future.result()
        except BaseException:
            # Interrupted while waiting (a time limit, a signal): stop the batch too.
            future.cancel()
            raise

    def stop(self) -> None:
        """Close the session, stop the loop and its thread."""
        try:
            self.run(self._shutdown())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join()
            self.loop.close()

    async def _shutdown(self) -> None:
        current = asyncio.current_task()
        others = [task for task in asyncio.all_tasks() if task is not current]
        for task in others:
            task.cancel()
        await asyncio.gather(*others, return_exceptions=True)
        await self.http_client.close()
