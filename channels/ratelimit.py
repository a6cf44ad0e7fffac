"""Global send rate limits: a token bucket per provider account, shared by every worker.

With Redis the bucket lives in one key updated by a Lua script that reads the server's clock
(``TIME``), so ten workers on five machines together never exceed the rate. Without Redis
(the embedded default, one process) a local bucket does the same job.

Rates are written ``"10/s"``, ``"600/m"``, ``"3600/h"`` (also a bare number: per second).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol

import redis
import redis.asyncio
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from channels.base import ConfigurationError

# An unreachable Redis must fail a send promptly (a clear transient error), not after the
# client's default timeouts and retries.
ASYNC_REDIS_TIMEOUT = 1.0

_RATE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(?:/\s*([smh]))?\s*")
_PER = {"s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}

# KEYS[1] bucket; ARGV: rate (tokens/s), burst, tokens wanted. Returns 0 when the tokens were
# taken, otherwise the milliseconds until they will be available (nothing is taken then).
_TAKE = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local wanted = tonumber(ARGV[3])
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) + tonumber(now_parts[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local wait = 0
if tokens >= wanted then
  tokens = tokens - wanted
else
  wait = math.ceil((wanted - tokens) / rate * 1000)
end
redis.call('HSET', KEYS[1], 'tokens', tokens, 'at', now)
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return wait
"""


def parse_rate(text: str) -> float:
    """Tokens per second from ``"N/s"``, ``"N/m"`` or ``"N/h"``."""
    match = _RATE.fullmatch(text)
    if not match or float(match.group(1)) <= 0:
        raise ConfigurationError(f"rate must look like '10/s', '600/m' or '3600/h': {text!r}")
    return float(match.group(1)) / _PER[match.group(2)]


class RateLimiter(Protocol):
    def try_take(self) -> float:
        """Take one token if there is one, without waiting. Returns 0 when taken, otherwise
        how many seconds until one is expected (nothing was taken)."""
        ...

    def acquire(self, max_wait: float) -> float | None:
        """Take one token, waiting up to ``max_wait`` seconds. Returns None when taken,
        otherwise how many seconds until one is expected (nothing was taken)."""
        ...


class LocalTokenBucket:
    """A token bucket for one process."""

    def __init__(self, rate: float, burst: float | None = None) -> None:
        self.rate = rate
        self.burst = burst if burst is not None else max(1.0, rate)
        self._tokens = self.burst
        self._at = time.monotonic()
        self._lock = threading.Lock()

    def try_take(self) -> float:
        with self._lock:
            now = time.monotonic()
            self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate)
            self._at = now
            if self._tokens >= 1:
                self._tokens -= 1
                return 0.0
            return (1 - self._tokens) / self.rate

    def acquire(self, max_wait: float) -> float | None:
        return _acquire(self.try_take, max_wait)


class RedisTokenBucket:
    """A token bucket in Redis shared by every process that uses the same key."""

    def __init__(self, client: redis.Redis, key: str, rate: float, burst: float | None = None):
        self.client = client
        self.key = key
        self.rate = rate
        self.burst = burst if burst is not None else max(1.0, rate)
        self._script = client.register_script(_TAKE)

    def try_take(self) -> float:
        waited_ms = self._script(keys=[self.key], args=[self.rate, self.burst, 1])
        return float(waited_ms) / 1000

    def acquire(self, max_wait: float) -> float | None:
        return _acquire(self.try_take, max_wait)


class AsyncRateLimiter(Protocol):
    """A limiter for code running on an event loop: asking for a token never blocks it."""

    async def try_take(self) -> float:
        """As ``RateLimiter.try_take``."""
        ...

    async def aclose(self) -> None:
        """Release connections (the limiter can be used again afterwards)."""
        ...


class AsyncLocalTokenBucket:
    """``LocalTokenBucket`` for an event loop (taking a token only holds a lock briefly)."""

    def __init__(self, rate: float, burst: float | None = None) -> None:
        self.bucket = LocalTokenBucket(rate, burst)

    async def try_take(self) -> float:
        return self.bucket.try_take()

    async def aclose(self) -> None:
        return None


class AsyncRedisTokenBucket:
    """``RedisTokenBucket`` for an event loop: the script is awaited. The client is made on
    the loop that first uses it (asyncio connections belong to one loop) and fails within
    ``timeout`` seconds, without retrying, when Redis cannot be reached."""

    def __init__(
        self,
        url: str,
        key: str,
        rate: float,
        burst: float | None = None,
        timeout: float = ASYNC_REDIS_TIMEOUT,
    ) -> None:
        self.url = url
        self.key = key
        self.rate = rate
        self.burst = burst if burst is not None else max(1.0, rate)
        self.timeout = timeout
        self._client: redis.asyncio.Redis | None = None
        self._script: Any = None

    async def try_take(self) -> float:
        if self._client is None:
            self._client = redis.asyncio.Redis.from_url(
                self.url,
                socket_timeout=self.timeout,
                socket_connect_timeout=self.timeout,
                retry=Retry(NoBackoff(), 0),
            )
            self._script = self._client.register_script(_TAKE)
        waited_ms = await self._script(keys=[self.key], args=[self.rate, self.burst, 1])
        return float(waited_ms) / 1000

    async def aclose(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()


def _acquire(take: Callable[[], float], max_wait: float) -> float | None:
    deadline = time.monotonic() + max_wait
    while True:
        wait: float = take()
        if wait <= 0:
            return None
        if time.monotonic() + wait > deadline:
            return wait
        time.sleep(wait)


def limiter_from_env(env: Mapping[str, str], variable: str, bucket: str) -> RateLimiter | None:
    """The limiter configured by ``variable`` (e.g. ``SENDGRID_RATE=10/s``) for ``bucket``:
    in Redis when ``CAMPAIGNS_REDIS_URL`` is set, local otherwise; None when unlimited."""
    configured = _configured(env, variable)
    if configured is None:
        return None
    rate, redis_url = configured
    if redis_url:
        client = redis.Redis.from_url(redis_url, socket_timeout=5)
        return RedisTokenBucket(client, _key(bucket), rate)
    return LocalTokenBucket(rate)


def async_limiter_from_env(
    env: Mapping[str, str], variable: str, bucket: str
) -> AsyncRateLimiter | None:
    """``limiter_from_env`` for adapters that send from an event loop."""
    configured = _configured(env, variable)
    if configured is None:
        return None
    rate, redis_url = configured
    if redis_url:
        return AsyncRedisTokenBucket(redis_url, _key(bucket), rate)
    return AsyncLocalTokenBucket(rate)


def _configured(env: Mapping[str, str], variable: str) -> tuple[float, str | None] | None:
    text = env.get(variable)
    if not text:
        return None
    return parse_rate(text), env.get("CAMPAIGNS_REDIS_URL") or None


def _key(bucket: str) -> str:
    return f"campaigns:ratelimit:{bucket}"
