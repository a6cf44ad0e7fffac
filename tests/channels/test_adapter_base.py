"""The send flow every adapter inherits: chunks, one result per message, and the partial-batch
rule (accepted stays accepted; after a stop nothing more is tried; a request that may have
arrived is ``Unknown``, never retried blindly)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Self

import pytest

from channels.base import (
    Accepted,
    BatchStopped,
    CallbackUrls,
    Channel,
    ChannelAdapter,
    ConfigurationError,
    ErrorKind,
    OutboundMessage,
    OutcomeUnknownError,
    PermanentError,
    RateLimitedError,
    Rejected,
    SendResult,
    TransientError,
    Unknown,
)

Script = Callable[[int, Sequence[OutboundMessage]], Sequence[SendResult]]


class Scripted(ChannelAdapter):
    """Delivers chunks of two as ``script(call number, chunk)`` says."""

    name = "scripted"
    channels = frozenset({Channel.SMS})
    max_batch = 2

    def __init__(self, script: Script) -> None:
        self.script = script
        self.chunks_seen: list[list[int]] = []

    @classmethod
    def from_env(
        cls, env: Mapping[str, str] | None = None, *, callbacks: CallbackUrls | None = None
    ) -> Self:
        raise NotImplementedError

    def deliver(self, chunk: Sequence[OutboundMessage]) -> Sequence[SendResult]:
        self.chunks_seen.append([m.id for m in chunk])
        return self.script(len(self.chunks_seen), chunk)


def sms(*ids: int) -> list[OutboundMessage]:
    return [OutboundMessage(i, Channel.SMS, f"+9053200000{i:02d}", "x") for i in ids]


def accept(chunk: Sequence[OutboundMessage]) -> list[SendResult]:
    return [Accepted(m.id, f"P{m.id}") for m in chunk]


def kinds(results: Sequence[SendResult]) -> list[str]:
    return [
        "accepted"
        if isinstance(r, Accepted)
        else "unknown"
        if isinstance(r, Unknown)
        else f"{r.error.kind.value}:{r.error.code}"
        for r in results
    ]


def failing_on(call: int, error: Exception) -> Script:
    def script(number: int, chunk: Sequence[OutboundMessage]) -> Sequence[SendResult]:
        if number == call:
            raise error
        return accept(chunk)

    return script


def test_chunks_of_max_batch_and_a_result_each_in_order() -> None:
    adapter = Scripted(lambda _n, chunk: list(reversed(accept(chunk))))
    results = adapter.send(sms(1, 2, 3, 4, 5))
    assert adapter.chunks_seen == [[1, 2], [3, 4], [5]]
    assert [r.message_id for r in results] == [1, 2, 3, 4, 5]


def test_an_unexpected_exception_makes_its_chunk_unknown_and_stops_the_batch() -> None:
    adapter = Scripted(failing_on(2, KeyError("bug after the request went out")))
    results = adapter.send(sms(1, 2, 3, 4, 5))
    assert kinds(results) == [
        "accepted",
        "accepted",
        "unknown",
        "unknown",
        "transient:not-sent",
    ]
    assert adapter.chunks_seen == [[1, 2], [3, 4]]
    assert isinstance(results[2], Unknown)
    assert results[2].error.code == "unexpected"


def test_a_rate_limit_stops_the_batch_and_its_hint_holds_for_the_rest() -> None:
    limited = RateLimitedError("429", code="429", retry_after=30)
    results = Scripted(failing_on(1, limited)).send(sms(1, 2, 3))
    assert kinds(results) == ["rate_limited:429"] * 3
    assert all(isinstance(r, Rejected) and r.error.retry_after == 30 for r in results)


def test_a_refused_request_does_not_stop_the_next_one() -> None:
    refused = PermanentError("content refused", code="400")
    adapter = Scripted(failing_on(1, refused))
    assert kinds(adapter.send(sms(1, 2, 3))) == ["permanent:400", "permanent:400", "accepted"]


def test_a_refused_configuration_raises_only_while_nothing_was_accepted() -> None:
    with pytest.raises(ConfigurationError):
        Scripted(failing_on(1, ConfigurationError("bad key"))).send(sms(1, 2, 3))
    results = Scripted(failing_on(2, ConfigurationError("bad key"))).send(sms(1, 2, 3, 4, 5))
    assert kinds(results) == ["accepted", "accepted"] + ["transient:configuration"] * 3


def test_a_stop_keeps_what_was_answered_before_it() -> None:
    def script(number: int, chunk: Sequence[OutboundMessage]) -> Sequence[SendResult]:
        if number == 1:
            lost = OutcomeUnknownError("timeout", code="timeout")
            raise BatchStopped(lost, [Accepted(chunk[0].id, "P1"), Rejected(chunk[1].id, lost)])
        return accept(chunk)

    results = Scripted(script).send(sms(1, 2, 3))
    assert kinds(results) == ["accepted", "unknown", "transient:not-sent"]


def test_a_missing_result_is_unknown_and_a_wrong_channel_is_refused() -> None:
    adapter = Scripted(lambda _n, chunk: accept(chunk[:1]))
    email = OutboundMessage(9, Channel.EMAIL, "a@example.com", "x", subject="s")
    results = adapter.send([*sms(1, 2), email])
    assert kinds(results) == ["accepted", "unknown", "permanent:wrong-channel"]
    assert isinstance(results[1], Unknown)
    assert results[1].error.kind is ErrorKind.UNKNOWN
    assert adapter.chunks_seen == [[1, 2]]


def test_a_transient_failure_is_the_chunks_and_stops_the_rest() -> None:
    results = Scripted(failing_on(1, TransientError("503", code="503"))).send(sms(1, 2, 3))
    assert kinds(results) == ["transient:503"] * 3
