"""The engine's health as a supervisor sees it: SERVING only while the engine can take work.

Every RPC that touches media, SQLite or the disk runs on the servicer's worker threads. If
they are all stuck (a read that never returns), every later call times out while a plain
health service would go on answering SERVING. `PoolWatch` hands the pool a no-op every
`interval` seconds; once one has waited `stall_after` seconds without a thread to run it, the
engine is reported NOT_SERVING (and logged), and SERVING again as soon as one runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor

from grpc_health.v1 import health_pb2
from grpc_health.v1._async import HealthServicer

log = logging.getLogger(__name__)

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


class PoolWatch:
    def __init__(self, pool: ThreadPoolExecutor, health: HealthServicer, services: Iterable[str], *,
                 stall_after: float, interval: float | None = None) -> None:
        self.pool = pool
        self.health = health
        self.services = tuple(services)
        self.stall_after = stall_after
        self.interval = interval if interval is not None else min(1.0, stall_after / 4)
        self.serving = True
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="retakes-pool-watch")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _set(self, serving: bool) -> None:
        self.serving = serving
        for service in self.services:
            await self.health.set(service, SERVING if serving else NOT_SERVING)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            queued = time.monotonic()
            probe = loop.run_in_executor(self.pool, time.monotonic)
            done, _ = await asyncio.wait({probe}, timeout=self.stall_after)  # leaves the probe queued
            if not done:
                log.error("every engine worker thread has been busy for %.0f s (a read that does not return?); "
                          "health reports NOT_SERVING until one is free", self.stall_after)
                await self._set(False)
                ran = await probe
                log.warning("an engine worker thread is free again after %.0f s; SERVING", ran - queued)
                await self._set(True)
            await asyncio.sleep(self.interval)
