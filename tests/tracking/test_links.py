"""Public message tokens: short, URL-safe, round-trip to the message id."""

from __future__ import annotations

import pytest

from campaigns.tracking.links import message_token, parse_token, secret_matches


@pytest.mark.parametrize("message_id", [0, 1, 35, 36, 123_456_789, 2**53])
def test_token_round_trips(message_id: int) -> None:
    secret = "Ab-_9xYz01234567"
    token = message_token(message_id, secret)
    assert parse_token(token) == (message_id, secret)
    assert token.endswith(secret)


@pytest.mark.parametrize(
    "token", ["", "short", "!!!!" + "a" * 16, "a" * 16, "z" * 60, "zzzzzzzzzzzzzz" + "a" * 16]
)
def test_malformed_tokens_are_refused(token: str) -> None:
    assert parse_token(token) is None


def test_secret_comparison() -> None:
    assert secret_matches("a" * 16, "a" * 16)
    assert not secret_matches("a" * 16, "b" * 16)
    assert not secret_matches(None, "a" * 16)
