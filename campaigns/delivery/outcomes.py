"""What a provider's answer means for a message: a pure decision, kept apart from the
statements that record it, so the retry policy can be read and tested on its own.

accepted → sent · unknown → reconcile · permanent, or retryable with no attempts left →
failed · retryable → retry at a time (the provider's hint when rate-limited, otherwise
exponential backoff with jitter).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from campaigns.core.settings import Settings
from channels.base import Accepted, ErrorKind, SendResult, Unknown


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int
    base_seconds: float
    max_seconds: float

    @classmethod
    def of(cls, settings: Settings) -> RetryPolicy:
        return cls(settings.max_attempts, settings.retry_base_seconds, settings.retry_max_seconds)


@dataclass(frozen=True, slots=True)
class Sent:
    result: Accepted


@dataclass(frozen=True, slots=True)
class Reconcile:
    detail: str


@dataclass(frozen=True, slots=True)
class RetryAt:
    at: datetime
    code: str | None
    detail: str


@dataclass(frozen=True, slots=True)
class Failed:
    code: str
    detail: str
    suppress: bool


Decision = Sent | Reconcile | RetryAt | Failed


def decide(
    result: SendResult, attempts: int, policy: RetryPolicy, now: datetime, rng: random.Random
) -> Decision:
    """What becomes of a message that has been tried ``attempts`` times and got ``result``."""
    if isinstance(result, Accepted):
        return Sent(result)
    error = result.error
    if isinstance(result, Unknown):
        return Reconcile(error.detail)
    if error.kind is not ErrorKind.PERMANENT and attempts < policy.max_attempts:
        if error.kind is ErrorKind.RATE_LIMITED and error.retry_after:
            delay = error.retry_after + rng.uniform(0, 1)
        else:
            ceiling = min(policy.max_seconds, policy.base_seconds * 2.0 ** max(0, attempts - 1))
            delay = ceiling / 2 + rng.uniform(0, ceiling / 2)
        return RetryAt(now + timedelta(seconds=delay), error.code, error.detail)
    return Failed(error.code or error.kind.value, error.detail, error.suppress)
