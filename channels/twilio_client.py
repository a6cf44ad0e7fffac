"""Twilio plumbing shared by the SMS and WhatsApp adapters.

- ``TwilioSettings``: credentials and knobs read from the environment.
- ``TwilioApiHttpClient``: the SDK's HTTP client with a timeout that is always applied, a
  connection pool sized for the concurrency, and an optional base URL override that survives
  ``TWILIO_REGION``/``TWILIO_EDGE`` (the SDK rewrites ``client.api.base_url`` when they are set).
- ``classify``: whatever the SDK or ``requests`` raised, mapped onto the channel error tree.
- ``TwilioMessageSender``: sends a batch through the Messages API on a thread pool, one result
  per message, with an optional global rate limit.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Self
from urllib.request import getproxies

import redis
import requests
from requests.adapters import HTTPAdapter
from twilio.base.exceptions import (  # type: ignore[import-untyped]
    TwilioException,
    TwilioRestException,
    TwilioServiceException,
)
from twilio.http.http_client import TwilioHttpClient  # type: ignore[import-untyped]
from twilio.http.response import Response  # type: ignore[import-untyped]
from twilio.rest import Client  # type: ignore[import-untyped]

from channels.base import (
    Accepted,
    ConfigurationError,
    DeliveryError,
    OutboundMessage,
    PermanentError,
    RateLimitedError,
    Rejected,
    SendResult,
    TransientError,
)
from channels.ratelimit import RateLimiter

log = logging.getLogger(__name__)

TWILIO_API_URL = "https://api.twilio.com"
DEFAULT_TIMEOUT = 10.0
DEFAULT_CONCURRENCY = 32
# How long one batch may wait for rate-limit tokens; messages still without one are handed
# back as rate-limited, so a worker never sits on a batch for minutes.
DEFAULT_MAX_RATE_WAIT = 5.0

# The SDK builds ``https://api.twilio.com/…`` and, with a region and/or an edge,
# ``https://api.<region>.twilio.com/…`` or ``https://api.<edge>.<region>.twilio.com/…``.
_API_HOST = re.compile(r"^https://api(?:\.[A-Za-z0-9-]+){0,2}\.twilio\.com(?=[/?:]|$)")
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
# The SDK puts "Unable to create record: " before the provider's own message.
_SDK_PREFIX = re.compile(r"^Unable to \w+ record: ")
_BASE_URL = re.compile(r"^https?://[^/\s?#]+(?:/[^\s?#]*)?$")
# The account itself or its message list: a 20404 there means the account SID is wrong.
_ACCOUNT_URI = re.compile(r"/Accounts/[^/]+(?:/Messages)?\.json$")

CODE_CREDENTIALS = 20003
CODE_NOT_FOUND = 20404
CODE_TOO_MANY_REQUESTS = 20429
CODE_REPLIED_STOP = 21610
CODE_SENDER_QUEUE_FULL = 21611


@dataclass(frozen=True, slots=True)
class TwilioSettings:
    """What every Twilio adapter needs to reach the Messages API."""

    account_sid: str
    auth_token: str = field(repr=False)
    api_base_url: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    concurrency: int = DEFAULT_CONCURRENCY
    region: str | None = None
    edge: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Self:
        """Read ``TWILIO_ACCOUNT_SID``, ``TWILIO_AUTH_TOKEN`` (required),
        ``TWILIO_API_BASE_URL``, ``TWILIO_TIMEOUT`` (seconds, default 10),
        ``TWILIO_CONCURRENCY`` (requests in flight, default 32), ``TWILIO_REGION``,
        ``TWILIO_EDGE``."""
        account_sid = _required(env, "TWILIO_ACCOUNT_SID")
        auth_token = _required(env, "TWILIO_AUTH_TOKEN")
        base_url = (env.get("TWILIO_API_BASE_URL") or "").strip().rstrip("/") or None
        if base_url is not None and not _BASE_URL.match(base_url):
            raise ConfigurationError(
                f"TWILIO_API_BASE_URL must be an http(s) URL such as {TWILIO_API_URL}: {base_url!r}"
            )
        timeout = _positive(env, "TWILIO_TIMEOUT", DEFAULT_TIMEOUT, integer=False)
        concurrency = int(_positive(env, "TWILIO_CONCURRENCY", DEFAULT_CONCURRENCY, integer=True))
        return cls(
            account_sid=account_sid,
            auth_token=auth_token,
            api_base_url=base_url,
            timeout=timeout,
            concurrency=concurrency,
            region=env.get("TWILIO_REGION") or None,
            edge=env.get("TWILIO_EDGE") or None,
        )


def _required(env: Mapping[str, str], name: str) -> str:
    value = (env.get(name) or "").strip()
    if not value:
        raise ConfigurationError(f"{name} is not set")
    return value


def _positive(env: Mapping[str, str], name: str, default: float, *, integer: bool) -> float:
    text = (env.get(name) or "").strip()
    if not text:
        return default
    try:
        value = int(text) if integer else float(text)
    except ValueError:
        value = 0
    if not value > 0:
        kind = "a positive whole number" if integer else "a positive number of seconds"
        raise ConfigurationError(f"{name} must be {kind}: {text!r}")
    return value


class TwilioApiHttpClient(TwilioHttpClient):  # type: ignore[misc]
    """``TwilioHttpClient`` that always times out, pools enough connections for
    ``pool_size`` concurrent requests, and sends ``api.twilio.com`` requests (regional and
    edge hosts included) to ``base_url`` when one is given.

    The rewrite happens in ``request()``, after the SDK applied region and edge, which is the
    only place where an override cannot be undone by them.
    """

    def __init__(self, *, timeout: float, pool_size: int, base_url: str | None = None) -> None:
        super().__init__(pool_connections=True, timeout=timeout)
        self.base_url = base_url.rstrip("/") if base_url else None
        pool = HTTPAdapter(pool_connections=4, pool_maxsize=pool_size)
        self.session.mount("https://", pool)
        self.session.mount("http://", pool)
        # ``requests`` reads proxy variables and ~/.netrc on every request unless told not
        # to (a sixth of a message's cost); proxies from the environment are read once here.
        self.session.trust_env = False
        proxies = {k: v for k, v in getproxies().items() if k in ("http", "https")}
        self.proxy: dict[str, str] | None = proxies or None

    def rewrite(self, url: str) -> str:
        """``url`` with a Twilio API host replaced by the configured base URL."""
        if self.base_url is None:
            return url
        return _API_HOST.sub(lambda _m: self.base_url or "", url, count=1)

    def request(
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
        return super().request(
            method,
            self.rewrite(url),
            params=params,
            data=data,
            headers=headers,
            auth=auth,
            timeout=timeout if timeout is not None else self.timeout,
            allow_redirects=allow_redirects,
        )

    def log_request(self, kwargs: dict[str, object]) -> None:
        """Not logged: the SDK logs URLs and query strings (phone numbers) at INFO, and
        formats them on every request even when nobody listens."""

    def log_response(self, status_code: int, response: object) -> None:
        """Not logged (see ``log_request``)."""

    def close(self) -> None:
        """Close the pooled connections."""
        if self.session is not None:
            self.session.close()


def http_client_for(settings: TwilioSettings) -> TwilioApiHttpClient:
    """The HTTP client ``settings`` describe."""
    return TwilioApiHttpClient(
        timeout=settings.timeout, pool_size=settings.concurrency, base_url=settings.api_base_url
    )


def new_client(settings: TwilioSettings, http_client: TwilioApiHttpClient | None = None) -> Any:
    """A ``twilio.rest.Client`` for ``settings`` (a new HTTP client unless one is given).

    Region and edge come from the settings, else from ``TWILIO_REGION``/``TWILIO_EDGE`` in the
    process environment (the SDK's own rule); the base URL override holds either way.
    """
    return Client(
        settings.account_sid,
        settings.auth_token,
        account_sid=settings.account_sid,
        region=settings.region,
        edge=settings.edge,
        http_client=http_client or http_client_for(settings),
    )


def status_callback_url(public_url: str, message_id: int) -> str:
    """Where Twilio reports the status of message ``message_id``.

    Our id is in the URL so a callback can be matched even before the provider's SID is
    recorded (a callback may overtake the worker that is still storing the send result).
    """
    return f"{public_url}/webhooks/twilio/status?m={message_id}"


def e164(value: str, variable: str) -> str:
    """``value`` as an E.164 number (a ``whatsapp:`` prefix is tolerated and dropped)."""
    number = value.strip().removeprefix("whatsapp:")
    if not _E164.match(number):
        raise ConfigurationError(f"{variable} must be an E.164 number like +905321234567")
    return number


def callback_base(env: Mapping[str, str]) -> str:
    """The public base URL Twilio calls back on: ``CAMPAIGNS_WEBHOOK_URL_BASE`` when set,
    else ``CAMPAIGNS_PUBLIC_URL``."""
    base = (env.get("CAMPAIGNS_WEBHOOK_URL_BASE") or env.get("CAMPAIGNS_PUBLIC_URL") or "").strip()
    if not base:
        raise ConfigurationError("CAMPAIGNS_PUBLIC_URL is not set (Twilio status callbacks)")
    return base.rstrip("/")


def classify(exc: Exception) -> DeliveryError:
    """Map an exception raised while calling Twilio onto the channel error tree.

    Raises ``ConfigurationError`` for credential problems (HTTP 401/403, code 20003, or 20404
    on the account itself): no message can be sent until the configuration is fixed.

    A ``ReadTimeout`` is ambiguous: the request reached Twilio, which may have accepted the
    message after we stopped waiting. It is still reported as transient, so a retry can send
    the message twice; the alternative, never retrying, loses messages on every slow answer.
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
    if isinstance(exc, requests.RequestException):
        return _from_requests(exc)
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


def _from_requests(exc: requests.RequestException) -> DeliveryError:
    name = type(exc).__name__
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return TransientError("connecting to Twilio timed out", code=name)
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return TransientError(
            "Twilio did not answer in time; it may have accepted the message", code=name
        )
    if isinstance(exc, requests.exceptions.ConnectionError):
        return TransientError(f"cannot reach Twilio: {exc}", code=name)
    if isinstance(
        exc,
        requests.exceptions.MissingSchema
        | requests.exceptions.InvalidSchema
        | requests.exceptions.InvalidURL
        | requests.exceptions.URLRequired,
    ):
        raise ConfigurationError(f"the Twilio API URL is not usable: {exc}")
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


class TwilioMessageSender:
    """Creates Messages concurrently: at most ``settings.concurrency`` requests in flight.

    ``send`` takes a batch and a function giving each message's ``messages.create``
    arguments; it returns exactly one result per message and raises only
    ``ConfigurationError``. With a ``limiter``, each request first takes a token; a batch
    waits for tokens at most ``max_rate_wait`` seconds in all, and a message that gets none
    by then comes back as ``RateLimitedError`` with the expected wait as ``retry_after``.
    """

    def __init__(
        self,
        settings: TwilioSettings,
        limiter: RateLimiter | None = None,
        *,
        max_rate_wait: float = DEFAULT_MAX_RATE_WAIT,
    ) -> None:
        self.settings = settings
        self.limiter = limiter
        self.max_rate_wait = max_rate_wait
        self.http_client = http_client_for(settings)
        self._local = threading.local()
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()

    def client(self) -> Any:
        """This thread's ``twilio.rest.Client`` (the SDK client is not meant to be shared;
        the HTTP client and its connection pool are)."""
        client = getattr(self._local, "client", None)
        if client is None:
            client = new_client(self.settings, self.http_client)
            self._local.client = client
        return client

    def send(self, batch: Sequence[OutboundMessage], params: MessageParams) -> list[SendResult]:
        """Send every message of ``batch``; see the class docstring."""
        if not batch:
            return []
        # One deadline for the whole batch: waiting up to the budget per message would hold
        # the worker for len(batch) / concurrency budgets.
        deadline = time.monotonic() + self.max_rate_wait
        if len(batch) == 1:
            return [self._send_one(batch[0], params, deadline)]
        pool = self._executor()
        futures: list[Future[SendResult]] = [
            pool.submit(self._send_one, message, params, deadline) for message in batch
        ]
        results: list[SendResult] = []
        try:
            for future in futures:
                results.append(future.result())
        except BaseException:
            for future in futures:
                future.cancel()
            raise
        rejected = sum(isinstance(r, Rejected) for r in results)
        log.debug("twilio batch: %d accepted, %d rejected", len(results) - rejected, rejected)
        return results

    def _send_one(
        self, message: OutboundMessage, params: MessageParams, deadline: float
    ) -> SendResult:
        try:
            arguments = params(message)
        except DeliveryError as exc:
            return Rejected(message.id, exc)
        if self.limiter is not None:
            try:
                wait = self.limiter.acquire(max(0.0, deadline - time.monotonic()))
            except redis.RedisError as exc:
                return Rejected(
                    message.id,
                    TransientError(f"rate limiter unavailable: {exc}", code="rate-limiter"),
                )
            if wait is not None:
                return Rejected(
                    message.id,
                    RateLimitedError(
                        "our Twilio send rate is reached", code="send-rate", retry_after=wait
                    ),
                )
        try:
            created = self.client().messages.create(**arguments)
        except Exception as exc:  # every failure becomes this message's result
            error = classify(exc)  # raises ConfigurationError: the whole batch stops
            log.debug("message %s rejected: %s", message.id, error.code)
            return Rejected(message.id, error)
        return Accepted(message.id, str(created.sid), segments=_segments(created))

    def _executor(self) -> ThreadPoolExecutor:
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(
                    max_workers=self.settings.concurrency, thread_name_prefix="twilio-send"
                )
            return self._pool

    def close(self) -> None:
        """Stop the threads and close the connections."""
        with self._pool_lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
        self.http_client.close()
