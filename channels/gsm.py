"""SMS encoding and segment count (GSM 03.38 7-bit or UCS-2), which decide what an SMS costs.

Turkish letters such as ``ç ğ ı İ ş`` are outside the GSM 7-bit default alphabet (only the
Turkish national shift table has them, and carriers do not reliably support it), so a text
containing them travels as UCS-2: 70 characters in one segment, 67 per part when split.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")

Encoding = Literal["GSM-7", "UCS-2"]


@dataclass(frozen=True, slots=True)
class SmsInfo:
    """How a text travels as SMS."""

    encoding: Encoding
    characters: int
    units: int
    segments: int


def sms_info(text: str) -> SmsInfo:
    """Encoding, character count, code units and segment count of an SMS body."""
    if all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text):
        units = sum(2 if ch in GSM7_EXTENSION else 1 for ch in text)
        single, part = 160, 153
        encoding: Encoding = "GSM-7"
    else:
        units = len(text.encode("utf-16-le")) // 2
        single, part = 70, 67
        encoding = "UCS-2"
    segments = 1 if units <= single else -(-units // part)
    return SmsInfo(encoding, len(text), units, segments)
