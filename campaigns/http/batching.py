"""Group commit for hot endpoints: concurrent requests share one database transaction.

Each request hands its item to a ``Batcher`` and waits; a background loop collects what has
arrived (up to ``max_batch``), runs one function over the whole batch on a worker thread in
one transaction, and wakes every waiting request with its own result, or with the error if
the transaction failed. A request is answered only after its item is committed, yet the
cost of a transaction is shared by everything that arrived meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

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
        try:
            items = [item for item, _ in batch]
            results = await asyncio.get_running_loop().run_in_executor(None, self.work, items)
        except Exception as exc:
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
        else:
            for (_, future), result in zip(batch, results, strict=True):
                if not future.done():
                    future.set_result(result)
        finally:
            self._slots.release()
