"""The panel's one connection to the engine; every call runs on a worker thread.

The link notices the engine going away (a refused call or a broken watch stream), says so
once through `lost`, and stays down until `reconnect`. Job watches are plain blocking gRPC
streams on the long pool; closing the client on shutdown ends them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

from retakes.engine.client import EngineClient
from retakes.v1 import engine_pb2 as pb

from .errors import is_engine_down, plain
from .tasks import Tasks

RETRY_SECONDS = 6.0


def normalize(address: str) -> str:
    """A socket path, `unix://...`, or `host:port` -> a gRPC target."""
    address = address.strip()
    if address.startswith("/"):
        return f"unix://{address}"
    return address


class EngineLink(QObject):
    connected = Signal(object)  # Capabilities
    lost = Signal(str)  # plain words
    job = Signal(object)  # a Job snapshot (any job this link watches)
    watch_failed = Signal(str, str)  # job id, plain words

    def __init__(self, tasks: Tasks, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.tasks = tasks
        self.client: EngineClient | None = None
        self.address = ""
        self.token = ""
        self.capabilities: pb.Capabilities | None = None
        self.online = False
        self._closing = False
        self._watching: set[str] = set()

    def connect_to(self, address: str, token: str = "") -> None:
        self.address, self.token = address, token
        target = normalize(address)

        def attempt() -> tuple[EngineClient, pb.Capabilities]:
            # An engine that just came back can still be refused for a moment: gRPC shares
            # one subchannel per target, and it may be in reconnect backoff from the outage.
            deadline = time.monotonic() + RETRY_SECONDS
            client = EngineClient(target, token=token or None)
            while True:
                try:
                    return client, client.capabilities()
                except BaseException as exc:
                    if not is_engine_down(exc) or time.monotonic() > deadline or self._closing:
                        client.close()
                        raise
                    time.sleep(0.25)

        self.tasks.run(attempt, self._on_connected, self._on_connect_failed)

    def reconnect(self) -> None:
        self.connect_to(self.address, self.token)

    def _on_connected(self, result: tuple[EngineClient, pb.Capabilities]) -> None:
        old, (self.client, self.capabilities) = self.client, result
        if old is not None:
            old.close()
        self.online = True
        self._watching.clear()  # streams on the old channel are gone; callers re-watch
        self.connected.emit(self.capabilities)

    def _on_connect_failed(self, exc: BaseException) -> None:
        self.online = False
        where = f" at {self.address}" if self.address else ""
        self.lost.emit(f"No engine{where}. " + plain(exc))

    def _went_down(self, exc: BaseException) -> None:
        if self._closing:
            return
        if self.online:
            self.online = False
            self.lost.emit("The engine stopped (it is not answering"
                           f"{' at ' + self.address if self.address else ''}). "
                           "Your masks and queue are kept; press Reconnect when it is back.")

    def call(self, fn: Callable[[EngineClient], Any], on_done: Callable[[Any], None],
             on_error: Callable[[str], None], doing: str) -> None:
        """Runs `fn(client)` off the GUI thread; failures arrive as plain words."""
        client = self.client
        if client is None or not self.online:
            on_error(f"Could not {doing}: no engine is connected. Press Reconnect or set the engine address.")
            return

        def failed(exc: BaseException) -> None:
            # Only the current connection's failures say the engine is down: a call still
            # running on the channel that Reconnect replaced fails when that channel closes.
            if is_engine_down(exc) and client is self.client:
                self._went_down(exc)
            on_error(plain(exc, doing=doing))

        self.tasks.run(lambda: fn(client), on_done, failed)

    def watch(self, job_id: str) -> None:
        client = self.client
        if client is None or job_id in self._watching:
            return
        self._watching.add(job_id)

        def stream(progress: Callable[[Any], None]) -> None:
            for snapshot in client.watch(job_id):
                progress(snapshot)

        def failed(exc: BaseException) -> None:
            if client is not self.client:
                return  # a stream of the replaced connection; the job is watched again on the new one
            self._watching.discard(job_id)
            if is_engine_down(exc):
                self._went_down(exc)
            elif not self._closing:
                self.watch_failed.emit(job_id, plain(exc, doing="follow the job"))

        self.tasks.run(stream, lambda _: self._watching.discard(job_id), failed,
                       on_progress=self.job.emit, long=True)

    def close(self) -> None:
        self._closing = True
        if self.client is not None:
            self.client.close()
