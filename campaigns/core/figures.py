"""Figures as people read them in either language: rates, counts and amounts."""

from __future__ import annotations

from decimal import Decimal


def percent(share: float | None, language: str) -> str:
    """A rate as people write it: ``%42`` in Turkish, ``42%`` in English; ``—`` for none."""
    if share is None:
        return "—"
    value = f"{share * 100:.0f}"
    return f"%{value}" if language == "tr" else f"{value}%"


def number(value: int, language: str) -> str:
    """Thousands grouped: ``12.345`` in Turkish, ``12,345`` in English."""
    grouped = f"{value:,}"
    return grouped.replace(",", ".") if language == "tr" else grouped


def money(amount: float | Decimal | None, currency: str, language: str) -> str:
    """An amount with two decimals and its currency: ``12,50 TRY`` in Turkish."""
    if amount is None:
        return "—"
    text = f"{amount:,.2f}"
    if language == "tr":
        text = text.replace(",", " ").replace(".", ",").replace(" ", ".")
    return f"{text} {currency}".strip()
