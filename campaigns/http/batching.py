"""Group commit for hot endpoints: concurrent requests share one database transaction.

Each request hands its item to a ``Batcher`` and waits; a background loop collects what has
arrived (up to ``max_batch``), runs one function over the whole batch on a worker thread in
one transaction, and wakes every waiting request with its own result. A request is answered
only after its item is committed, yet the cost of a transaction is shared by everything that
arrived meanwhile.

One bad item must not fail the requests that happened to share its transaction: when a
batch fails, each of its items is run again on its own, so the good ones commit and only
the bad one gets the error.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

In = TypeVar("In")
Out = TypeVar("Out")


class Batcher(Generic[In, Out]):
    """Runs ``work`` over batches of submitted items; ``work`` returns one result per item."""

    def __init__(
        self,
        work: Callable[[Sequence[In]], Sequence[Out]],
        *,
        max_batch: int = 500,
        in_flight: int = 1,
    ) -> None:
        self.work = work
        self.max_batch = max_batch
        self._queue: asyncio.Queue[tuple[In, asyncio.Future[Out]]] | None = None
        self._slots = asyncio.Semaphore(in_flight)
        self._loop_task: asyncio.Task[None] | None = None
        self._running: set[asyncio.Task[None]] = set()

    async def submit(self, item: In) -> Out:
        """Wait until ``item`` has been processed and committed; its result."""
        if self._queue is None:
            self._queue = asyncio.Queue()
            self._loop_task = asyncio.create_task(self._collect())
        future: asyncio.Future[Out] = asyncio.get_running_loop().create_future()
        await self._queue.put((item, future))
        return await future

    async def close(self) -> None:
        if self._loop_task is not None:
            self._loop_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop_task
        if self._running:
            await asyncio.gather(*self._running, return_exceptions=True)

    async def _collect(self) -> None:
        assert self._queue is not None
        while True:
            batch = [await self._queue.get()]
            await self._slots.acquire()
            # Whatever arrived while a slot was busy joins this batch.
            while len(batch) < self.max_batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            task = asyncio.create_task(self._run(batch))
            self._running.add(task)
            task.add_done_callback(self._running.discard)

    async def _run(self, batch: list[tuple[In, asyncio.Future[Out]]]) -> None:
        loop = asyncio.get_running_loop()
        try:
            items = [item for item, _ in batch]
            try:
                results = await loop.run_in_executor(None, self.work, items)
            except Exception as exc:
                if len(batch) == 1:
                    _settle(batch[0][1], exc)
                    return
                # Nothing of the batch was committed: each item on its own, in turn.
                # The error's text may quote the data: only its kind is logged.
                log.warning(
                    "a batch of %d failed (%s): retried item by item",
                    len(batch),
                    type(exc).__name__,
                )
                for item, future in batch:
                    try:
                        [result] = await loop.run_in_executor(None, self.work, [item])
                    except Exception as item_exc:
                        _settle(future, item_exc)
                    else:
                        _settle(future, result)
                return
            for (_, future), result in zip(batch, results, strict=True):
                _settle(future, result)
        finally:
            self._slots.release()


def _settle(future: asyncio.Future[Out], outcome: Out | Exception) -> None:
    """Wake a waiting request (unless it went away) with its result or its error."""
    if future.done():
        return
    if isinstance(outcome, Exception):
        future.set_exception(outcome)
    else:
        future.set_result(outcome)
