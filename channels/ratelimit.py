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
from typing import Protocol

import redis

from channels.base import ConfigurationError

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
    """The limiter configured by ``variable`` (e.g. ``TWILIO_SMS_RATE=1/s``) for ``bucket``:
    in Redis when ``CAMPAIGNS_REDIS_URL`` is set, local otherwise; None when unlimited."""
    text = env.get(variable)
    if not text:
        return None
    rate = parse_rate(text)
    redis_url = env.get("CAMPAIGNS_REDIS_URL")
    if redis_url:
        client = redis.Redis.from_url(redis_url, socket_timeout=5)
        return RedisTokenBucket(client, f"campaigns:ratelimit:{bucket}", rate)
    return LocalTokenBucket(rate)
