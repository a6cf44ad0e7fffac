"""Graduation terms: "2019-2020 Güz", "2019-2020 Bahar", "2019-2020 Yaz", ordered by academic
year, then fall < spring < summer. Read ignoring case, accents and "Dönemi"; written one way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from campaigns.core.errors import CampaignsError
from campaigns.core.turkish_text import clean, fold

SEASONS: Final = {
    "guz": 0,
    "fall": 0,
    "autumn": 0,
    "bahar": 1,
    "spring": 1,
    "yaz": 2,
    "summer": 2,
}
SEASON_NAMES: Final = ("Güz", "Bahar", "Yaz")

_TERM = re.compile(r"(\d{4}) (\d{4}) ([a-z]+)(?: (?:donemi|yariyili|term|semester))?")


class InvalidTermError(CampaignsError):
    """A graduation term that does not read like "2019-2020 Bahar"."""


@dataclass(frozen=True, slots=True, order=True)
class Term:
    """A graduation term, ordered by academic year, then Güz < Bahar < Yaz."""

    start_year: int
    season: int

    def __str__(self) -> str:
        return f"{self.start_year}-{self.start_year + 1} {SEASON_NAMES[self.season]}"


def parse_term(text: str) -> Term:
    """``"2019-2020 Bahar"`` → ``Term(2019, 1)``; case, accents and "Dönemi" are ignored."""
    match = _TERM.fullmatch(fold(text))
    if match is None or match[3] not in SEASONS:
        raise InvalidTermError(
            f'dönem anlaşılamadı: {clean(text)!r} (örn. "2019-2020 Bahar"; Güz, Bahar, Yaz) / '
            f'unreadable term: {clean(text)!r} (e.g. "2019-2020 Bahar"; Güz, Bahar or Yaz)'
        )
    first, second = int(match[1]), int(match[2])
    if second != first + 1:
        raise InvalidTermError(
            f"akademik yıl ardışık iki yıl olmalı: {clean(text)!r} / "
            f"an academic year spans two consecutive years: {clean(text)!r}"
        )
    return Term(first, SEASONS[match[3]])
