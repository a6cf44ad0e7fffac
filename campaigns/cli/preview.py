"""``campaigns preview``."""

from __future__ import annotations


def preview() -> None:
    """Render a wave's message for one student."""
