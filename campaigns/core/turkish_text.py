"""Text helpers that get Turkish right: whitespace cleaning and case/accent folding."""

from __future__ import annotations

import re
import unicodedata

_SPACE = re.compile(r"\s+")
_NON_WORD = re.compile(r"[^0-9a-z]+")


def clean(value: object) -> str:
    """Trim and fold runs of whitespace (NBSP, tabs, newlines) into one space, NFC-normalised."""
    if value is None:
        return ""
    return _SPACE.sub(" ", unicodedata.normalize("NFC", str(value))).strip()


def fold(value: object) -> str:
    """A case- and accent-insensitive key: ``"ÖĞRENCİ NO"``, ``"Öğrenci No"`` and
    ``"OGRENCI NO"`` all fold to ``"ogrenci no"``.

    Turkish casing first (``İ → i``, ``I → ı``), then diacritics dropped and dotless ``ı``
    merged with ``i``; punctuation becomes a single space.
    """
    text = clean(value).replace("İ", "i").replace("I", "ı").lower()
    text = "".join(
        ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch)
    )
    text = text.replace("ı", "i")
    return _NON_WORD.sub(" ", text).strip()


def turkish_upper(value: str) -> str:
    """Upper-case with Turkish rules (``i → İ``, ``ı → I``)."""
    return value.replace("i", "İ").replace("ı", "I").upper()


def turkish_lower(value: str) -> str:
    """Lower-case with Turkish rules (``İ → i``, ``I → ı``)."""
    return value.replace("İ", "i").replace("I", "ı").lower()
