"""Days as people type them in forms and options: ``YYYY-MM-DD``, what date inputs send."""

from __future__ import annotations

from datetime import date

from campaigns.core.errors import FieldProblem


def parse_day(text: str, field: str) -> date:
    """The day ``text`` names; ``FieldProblem`` naming ``field`` otherwise."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise FieldProblem(
            field, f"tarih YYYY-AA-GG olmalı / write the date as YYYY-MM-DD ({text.strip()!r})"
        ) from None
