"""The production Celery app plus a no-op task: the ceiling sending is measured against."""

from worker import app


@app.task(name="bench.noop")
def noop() -> None:
    """Does nothing: its rate is Celery's own cost of one task."""
