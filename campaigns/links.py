"""The link a message carries to the alumni system's registration page."""

from __future__ import annotations

from campaigns.settings import Settings


def message_link(settings: Settings, goal_url: str, token: str | None) -> str:
    """The URL a student follows from a message."""
    return goal_url
