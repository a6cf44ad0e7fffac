"""Durations written the short way: ``"30s"``, ``"15m"``, ``"2h"``, ``"3d"``, ``"1d12h"``."""

from __future__ import annotations

import re

UNITS: dict[str, int] = {"w": 604_800, "d": 86_400, "h": 3_600, "m": 60, "s": 1}
"""Seconds per unit, largest first: the order units must appear in."""

MAX_SECONDS = 2**31 - 1
"""The largest duration stored (a 32-bit integer column holds the seconds)."""

_SHAPE = re.compile(r"(?:\d+\s*[a-z]+\s*)+")
_PART = re.compile(r"(\d+)\s*([a-z]+)")
_EXAMPLES = '"30s", "15m", "2h", "3d", "1w", "1d12h"'


class DurationError(ValueError):
    """A duration text that cannot be read."""


def parse_duration(text: object) -> int:
    """The number of seconds ``text`` stands for.

    Units (``w``, ``d``, ``h``, ``m``, ``s``) come largest first, each at most once; every
    number needs a unit. Zero (``"0s"``) is allowed, negative durations are not.
    """
    if not isinstance(text, str):
        raise DurationError(
            f"süre metin olmalı, örn. {_EXAMPLES} / a duration must be a string, e.g. {_EXAMPLES}"
        )
    value = text.strip().lower()
    if value.startswith("-"):
        raise DurationError(f"süre negatif olamaz: {text!r} / a duration cannot be negative")
    if not _SHAPE.fullmatch(value):
        raise DurationError(
            f"süre anlaşılamadı: {text!r}; örnekler: {_EXAMPLES} / "
            f"unreadable duration {text!r}; examples: {_EXAMPLES}"
        )
    total = 0
    previous_rank = -1
    for number, unit in _PART.findall(value):
        if unit not in UNITS:
            raise DurationError(
                f"bilinmeyen süre birimi {unit!r} (w, d, h, m, s) / "
                f"unknown duration unit {unit!r} (w, d, h, m, s)"
            )
        rank = list(UNITS).index(unit)
        if rank <= previous_rank:
            raise DurationError(
                f"birimler büyükten küçüğe ve birer kez yazılmalı: {text!r} / "
                f"units must go from largest to smallest, each once: {text!r}"
            )
        previous_rank = rank
        total += int(number) * UNITS[unit]
    if total > MAX_SECONDS:
        raise DurationError(f"süre çok uzun: {text!r} / duration too long: {text!r}")
    return total


def format_duration(seconds: int) -> str:
    """The shortest text ``parse_duration`` reads back as ``seconds`` (days the largest unit)."""
    if seconds < 0:
        raise ValueError("negative duration")
    parts: list[str] = []
    remainder = seconds
    for unit in ("d", "h", "m", "s"):
        count, remainder = divmod(remainder, UNITS[unit])
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0s"
