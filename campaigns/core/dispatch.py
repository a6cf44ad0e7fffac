"""How services ask for background work: in this process, or as Celery tasks sent by name.

Services never import the Celery app (a face); they send tasks by name through a small
client, so the CLI, the HTTP app and the worker all dispatch the same way.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Protocol

from celery import Celery

from campaigns.core.settings import Settings

if TYPE_CHECKING:
    from campaigns.delivery.sending import WaveSender

TICK_TASK = "campaigns.tick"
SEND_TASK = "campaigns.send_batch"


class Dispatcher(Protocol):
    """Where the scheduler hands the sending of a wave."""

    def send_wave(self, wave_id: int) -> None: ...


class InlineDispatcher:
    """Sends right here, batch after batch, until nothing due is left (embedded default)."""

    def __init__(self, sender: WaveSender) -> None:
        self.sender = sender

    def send_wave(self, wave_id: int) -> None:
        outcome = self.sender.send_batch(wave_id)
        while outcome.more:
            outcome = self.sender.send_batch(wave_id, after=outcome.after)


class CeleryDispatcher:
    """Starts ``send_parallelism`` chains of send tasks on the workers."""

    def __init__(self, settings: Settings, client: Celery | None = None) -> None:
        self.settings = settings
        self.client = client or celery_client(settings.broker_url or "")

    def send_wave(self, wave_id: int) -> None:
        for _ in range(self.settings.send_parallelism):
            self.send_batch(wave_id)

    def send_batch(
        self, wave_id: int, countdown: float | None = None, *, after: int | None = None
    ) -> None:
        """One send task; ``after`` is the chain's cursor (see ``WaveSender.send_batch``)."""
        self.client.send_task(
            SEND_TASK,
            args=[wave_id],
            kwargs={"after": after} if after is not None else {},
            queue=self.settings.queue,
            countdown=countdown,
        )

    def tick(self) -> None:
        self.client.send_task(TICK_TASK, queue=self.settings.queue)


@lru_cache(maxsize=4)
def celery_client(broker_url: str) -> Celery:
    """A Celery app used only to send tasks by name."""
    client = Celery("campaigns-client", broker=broker_url)
    client.conf.broker_connection_retry_on_startup = True
    return client


def notify_scheduler(settings: Settings) -> None:
    """Ask for a scheduler tick now (after a launch or resume) instead of at the next period.

    In-process mode has no background scheduler to notify: ``campaigns run`` ticks itself.
    """
    if settings.broker_url:
        CeleryDispatcher(settings).tick()
