"""The decision for each provider answer, on its own: no database, no clock but ``now``."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from campaigns.delivery.outcomes import Failed, Reconcile, RetryAt, RetryPolicy, Sent, decide
from channels.base import (
    Accepted,
    OutcomeUnknownError,
    PermanentError,
    RateLimitedError,
    Rejected,
    TransientError,
    Unknown,
)

NOW = datetime(2026, 6, 2, 9, 0, tzinfo=UTC)
POLICY = RetryPolicy(max_attempts=4, base_seconds=30, max_seconds=600)


def rng() -> random.Random:
    return random.Random(3)


def test_accepted_is_sent_and_unknown_is_reconciled_whatever_the_attempts() -> None:
    accepted = Accepted(1, "SM1", segments=2)
    assert decide(accepted, 9, POLICY, NOW, rng()) == Sent(accepted)
    lost = Unknown(1, OutcomeUnknownError("timeout", code="timeout"))
    assert decide(lost, 9, POLICY, NOW, rng()) == Reconcile("timeout")


@pytest.mark.parametrize(("attempts", "low", "high"), [(1, 15, 30), (2, 30, 60), (4, 0, 0)])
def test_transient_errors_back_off_exponentially_until_the_attempts_run_out(
    attempts: int, low: float, high: float
) -> None:
    decision = decide(Rejected(1, TransientError("503", code="503")), attempts, POLICY, NOW, rng())
    if attempts >= POLICY.max_attempts:
        assert decision == Failed("503", "503", suppress=False)
        return
    assert isinstance(decision, RetryAt)
    assert timedelta(seconds=low) <= decision.at - NOW <= timedelta(seconds=high)
    assert decision.code == "503"


def test_the_backoff_never_exceeds_its_ceiling() -> None:
    policy = RetryPolicy(max_attempts=50, base_seconds=30, max_seconds=600)
    decision = decide(Rejected(1, TransientError("x")), 40, policy, NOW, rng())
    assert isinstance(decision, RetryAt)
    assert decision.at - NOW <= timedelta(seconds=600)


def test_a_rate_limit_waits_for_the_providers_hint() -> None:
    error = RateLimitedError("429", code="429", retry_after=120)
    decision = decide(Rejected(1, error), 1, POLICY, NOW, rng())
    assert isinstance(decision, RetryAt)
    assert timedelta(seconds=120) <= decision.at - NOW <= timedelta(seconds=121)


def test_permanent_errors_fail_at_once_and_say_whether_to_suppress() -> None:
    gone = PermanentError("unsubscribed recipient", code="21610", suppress=True)
    assert decide(Rejected(1, gone), 1, POLICY, NOW, rng()) == Failed(
        "21610", "unsubscribed recipient", suppress=True
    )
    unnamed = PermanentError("bad body")
    assert decide(Rejected(1, unnamed), 1, POLICY, NOW, rng()) == Failed(
        "permanent", "bad body", suppress=False
    )
