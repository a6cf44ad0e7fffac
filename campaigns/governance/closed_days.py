"""How the university's closed days are written (``CAMPAIGNS_CLOSED_DAYS``):
``2026-06-15..2026-06-19 Final sınavları; 2026-07-03 Diploma töreni``."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

MAX_CLOSED_RUN = 400
"""Days looked ahead for an open one (a calendar closed longer than this is a mistake)."""


def parse_closed_days(text: str) -> dict[date, str]:
    """``YYYY-MM-DD[..YYYY-MM-DD] reason`` parts separated by ``;``; ``ValueError`` names the
    part that cannot be read."""
    closed: dict[date, str] = {}
    for part in (p.strip() for p in text.split(";")):
        if not part:
            continue
        span, _, reason = part.partition(" ")
        first, dots, last = span.partition("..")
        try:
            start = date.fromisoformat(first)
            end = date.fromisoformat(last) if dots else start
        except ValueError:
            raise ValueError(
                f"{part!r}: write dates as YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD"
            ) from None
        if end < start or (end - start).days > MAX_CLOSED_RUN:
            raise ValueError(f"{part!r}: the range is backwards or longer than a year")
        for day in each_day(start, end):
            closed[day] = reason.strip() or "kapalı gün / closed day"
    return closed


def each_day(first: date, last: date) -> Iterator[date]:
    """``first``, the days after it, and ``last``."""
    for offset in range((last - first).days + 1):
        yield first + timedelta(days=offset)
