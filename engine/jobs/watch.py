"""Watching a job from asyncio without a thread per watcher.

`JobStore.wait_for_change` blocks a thread, and the gRPC server's default thread pool is
small: a few dozen open WatchJob streams would exhaust it. `watch_job` instead waits on
an asyncio.Event that the store's change listener sets (for writes by this process,
which is where the executor runs) and falls back to polling every `poll_interval` s
(for writes by other processes sharing the database). Each read of the row runs in a
thread because even a short SQLite read may wait on the disk.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from .store import POLL_INTERVAL_S, JobRecord, JobStore


async def watch_job(
    store: JobStore, job_id: str, *, poll_interval: float = POLL_INTERVAL_S
) -> AsyncIterator[JobRecord]:
    """Yields the job now, then each time it changed, ending after a terminal state.

    Changes that land between two reads are coalesced: a watcher sees the latest
    state, not every progress tick. Raises JobNotFound for an unknown id. Closing the
    iterator (a cancelled WatchJob) does nothing to the job.
    """
    loop = asyncio.get_running_loop()
    changed = asyncio.Event()

    def on_change(changed_id: str, _version: int) -> None:
        if changed_id == job_id:
            with contextlib.suppress(RuntimeError):  # the loop closed under us
                loop.call_soon_threadsafe(changed.set)

    unsubscribe = store.subscribe(on_change)
    try:
        record = await asyncio.to_thread(store.get, job_id)
        yield record
        while not record.terminal:
            # Cleared before reading, so a change made after the read still wakes us.
            changed.clear()
            latest = await asyncio.to_thread(store.get, job_id)
            if latest.version > record.version:
                record = latest
                yield record
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), poll_interval)
    finally:
        unsubscribe()
