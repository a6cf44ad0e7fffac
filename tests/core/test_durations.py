"""Short durations such as ``"1d12h"``."""

from __future__ import annotations

import pytest

from campaigns.core.durations import MAX_SECONDS, DurationError, format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("0s", 0),
        ("30s", 30),
        ("15m", 900),
        ("2h", 7_200),
        ("3d", 259_200),
        ("1w", 604_800),
        ("1d12h", 129_600),
        ("1w2d3h4m5s", 604_800 + 2 * 86_400 + 3 * 3_600 + 4 * 60 + 5),
        (" 1d 12h ", 129_600),
        ("3D", 259_200),
        ("90m", 5_400),
    ],
)
def test_reads_units_and_combinations(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("-3d", "negatif"),
        ("3", "anlaşılamadı"),
        ("", "anlaşılamadı"),
        ("d", "anlaşılamadı"),
        ("1.5d", "anlaşılamadı"),
        ("3 days", "bilinmeyen süre birimi"),
        ("2y", "bilinmeyen süre birimi"),
        ("12h1d", "büyükten küçüğe"),
        ("1d1d", "büyükten küçüğe"),
        ("99999999999s", "çok uzun"),
    ],
)
def test_rejects_garbage_with_a_reason(text: str, reason: str) -> None:
    with pytest.raises(DurationError, match=reason) as caught:
        parse_duration(text)
    assert " / " in str(caught.value), "messages are Turkish, then English"


def test_rejects_non_strings() -> None:
    with pytest.raises(DurationError, match="metin olmalı"):
        parse_duration(3)


def test_the_longest_duration_is_the_column_limit() -> None:
    assert parse_duration(f"{MAX_SECONDS}s") == MAX_SECONDS


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0s"),
        (30, "30s"),
        (259_200, "3d"),
        (604_800, "7d"),
        (129_600, "1d12h"),
        (3_661, "1h1m1s"),
    ],
)
def test_formats_the_shortest_text(seconds: int, text: str) -> None:
    assert format_duration(seconds) == text
    assert parse_duration(text) == seconds
