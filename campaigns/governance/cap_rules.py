"""How the frequency caps are written (``CAMPAIGNS_FREQUENCY_CAPS``):
``sms=1/day,3/week; whatsapp=1/day,3/week; email=2/day,5/week``. A channel not named is not
capped; an empty value caps nothing."""

from __future__ import annotations

from dataclasses import dataclass

from channels.base import Channel

PERIODS = ("day", "week")


@dataclass(frozen=True, slots=True)
class Limits:
    """At most ``day`` messages in a local day and ``week`` in an ISO week (None: no limit)."""

    day: int | None = None
    week: int | None = None


def parse_caps(text: str) -> dict[Channel, Limits]:
    """The caps by channel; ``ValueError`` names the part that cannot be read."""
    caps: dict[Channel, Limits] = {}
    for part in (p.strip() for p in text.split(";")):
        if not part:
            continue
        name, equals, rules = part.partition("=")
        try:
            channel = Channel(name.strip().lower())
        except ValueError:
            raise ValueError(f"{part!r}: unknown channel {name.strip()!r}") from None
        if not equals or not rules.strip():
            raise ValueError(f"{part!r}: write it as {channel.value}=1/day,3/week")
        limits: dict[str, int] = {}
        for rule in (r.strip() for r in rules.split(",")):
            count, slash, period = rule.partition("/")
            if not slash or period.strip() not in PERIODS or not count.strip().isdigit():
                raise ValueError(f"{part!r}: {rule!r} is not N/day or N/week")
            limits[period.strip()] = int(count)
        caps[channel] = Limits(limits.get("day"), limits.get("week"))
    return caps
