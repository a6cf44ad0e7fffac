"""Global rate limits: one token bucket per provider account, shared through Redis."""

from __future__ import annotations

import asyncio
import secrets

import pytest
import redis

from channels.base import ConfigurationError
from channels.ratelimit import (
    AsyncLocalTokenBucket,
    AsyncRedisTokenBucket,
    LocalTokenBucket,
    RedisTokenBucket,
    async_limiter_from_env,
    limiter_from_env,
    parse_rate,
)


@pytest.mark.parametrize(
    ("text", "per_second"), [("1/s", 1.0), ("600/m", 10.0), ("3600/h", 1.0), ("2.5", 2.5)]
)
def test_rates_are_parsed(text: str, per_second: float) -> None:
    assert parse_rate(text) == pytest.approx(per_second)


@pytest.mark.parametrize("text", ["", "fast", "0/s", "-1/s", "10/d"])
def test_bad_rates_are_configuration_errors(text: str) -> None:
    with pytest.raises(ConfigurationError):
        parse_rate(text)


def test_local_bucket_grants_its_burst_then_says_how_long_to_wait() -> None:
    bucket = LocalTokenBucket(rate=1.0, burst=3)
    grants = [bucket.acquire(max_wait=0) for _ in range(5)]
    assert grants[:3] == [None, None, None]
    assert all(wait is not None and 0 < wait <= 1.0 for wait in grants[3:])


def test_try_take_never_waits() -> None:
    bucket = LocalTokenBucket(rate=1.0, burst=2)
    takes = [bucket.try_take() for _ in range(3)]
    assert takes[:2] == [0.0, 0.0]
    assert 0 < takes[2] <= 1.0


def test_try_take_on_redis_says_how_long_until_the_next_token(redis_url: str) -> None:
    key = f"test:{secrets.token_hex(4)}"
    client = redis.Redis.from_url(redis_url)
    bucket = RedisTokenBucket(client, key, rate=0.5, burst=1)
    try:
        assert bucket.try_take() == 0
        wait = bucket.try_take()
        assert 0 < wait <= 2.0
        assert bucket.acquire(max_wait=0) is not None  # the waiting form agrees
    finally:
        client.delete(key)
        client.close()


def test_the_redis_bucket_is_shared_by_every_worker(redis_url: str) -> None:
    key = f"test:{secrets.token_hex(4)}"
    workers = [
        RedisTokenBucket(redis.Redis.from_url(redis_url), key, rate=0.5, burst=4) for _ in range(10)
    ]
    # Ten workers asking at once get four tokens between them, not four each.
    grants = [w.acquire(max_wait=0) for w in workers for _ in range(3)]
    assert grants.count(None) == 4
    refused = [g for g in grants if g is not None]
    assert all(0 < wait <= 2.0 for wait in refused)


def test_limiter_from_env_picks_redis_when_configured(redis_url: str) -> None:
    assert limiter_from_env({}, "TWILIO_SMS_RATE", "b") is None
    local = limiter_from_env({"TWILIO_SMS_RATE": "5/s"}, "TWILIO_SMS_RATE", "b")
    shared = limiter_from_env(
        {"TWILIO_SMS_RATE": "5/s", "CAMPAIGNS_REDIS_URL": redis_url}, "TWILIO_SMS_RATE", "b"
    )
    assert isinstance(local, LocalTokenBucket)
    assert isinstance(shared, RedisTokenBucket)
    assert shared.key == "campaigns:ratelimit:b"


def test_async_limiters_share_the_bucket_of_the_sync_ones(redis_url: str) -> None:
    assert async_limiter_from_env({}, "TWILIO_SMS_RATE", "b") is None
    local = async_limiter_from_env({"TWILIO_SMS_RATE": "5/s"}, "TWILIO_SMS_RATE", "b")
    assert isinstance(local, AsyncLocalTokenBucket)
    key = f"test:{secrets.token_hex(4)}"
    env = {"TWILIO_SMS_RATE": "1/m", "CAMPAIGNS_REDIS_URL": redis_url}
    shared = async_limiter_from_env(env, "TWILIO_SMS_RATE", key)
    assert isinstance(shared, AsyncRedisTokenBucket)
    sync = limiter_from_env(env, "TWILIO_SMS_RATE", key)
    assert isinstance(sync, RedisTokenBucket)
    assert shared.key == sync.key == f"campaigns:ratelimit:{key}"

    async def take_twice() -> list[float]:
        try:
            return [await shared.try_take(), await shared.try_take()]
        finally:
            await shared.aclose()

    first, second = asyncio.run(take_twice())
    assert first == 0
    assert 55 < second <= 60  # the one token of the minute is gone
    assert sync.try_take() > 55  # and the synchronous side sees the same bucket
