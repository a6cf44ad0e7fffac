"""How services ask for background work: in-process, or Celery tasks sent by name."""

from __future__ import annotations

from campaigns.settings import Settings


def notify_scheduler(settings: Settings) -> None:
    """Ask for a scheduler tick now (after a launch or resume) instead of at the next period."""
