"""Work off the GUI thread: a callable runs on a QThreadPool, its result comes back as a signal.

The GUI thread never waits on the engine, the agent or the disk. Every such call goes through
`Tasks.run`, whose callbacks run on the GUI thread (queued signal delivery), and whose
exceptions arrive as the exception object, to be shown in plain words, never raised into Qt.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal


class _Relay(QObject):
    done = Signal(object)
    failed = Signal(object)
    progress = Signal(object)


class _Job(QRunnable):
    def __init__(self, fn: Callable[..., Any], relay: _Relay, with_progress: bool) -> None:
        super().__init__()
        self.fn, self.relay, self.with_progress = fn, relay, with_progress
        self.setAutoDelete(True)

    def run(self) -> None:
        try:
            result = self.fn(self.relay.progress.emit) if self.with_progress else self.fn()
        except BaseException as exc:  # noqa: BLE001 - every failure must reach the panel as a value
            self.relay.failed.emit(exc)
        else:
            self.relay.done.emit(result)


class Tasks(QObject):
    """Owns the pools and keeps each in-flight relay alive until its result is delivered."""

    def __init__(self, parent: QObject | None = None, *, threads: int = 4, long_threads: int = 8) -> None:
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(threads)
        # Job watches block for the whole job; they get their own pool so a few long renders
        # can never starve frame decoding or a preview.
        self.long_pool = QThreadPool(self)
        self.long_pool.setMaxThreadCount(long_threads)
        # Work on files whose order matters (a save, then the next session's read of what it wrote) goes
        # through one thread: it runs one at a time, in the order it was asked for.
        self.serial_pool = QThreadPool(self)
        self.serial_pool.setMaxThreadCount(1)
        self._live: set[_Relay] = set()

    def run(self, fn: Callable[..., Any], on_done: Callable[[Any], None] | None = None,
            on_error: Callable[[BaseException], None] | None = None, *,
            on_progress: Callable[[Any], None] | None = None, long: bool = False,
            serial: bool = False) -> None:
        """`long` for work that blocks a long while (a job watch); `serial` for work that must not overlap,
        nor overtake, the serial work asked for before it."""
        relay = _Relay()
        self._live.add(relay)

        def finish(handler: Callable[[Any], None] | None, value: Any) -> None:
            self._live.discard(relay)
            if handler is not None:
                handler(value)

        relay.done.connect(lambda value: finish(on_done, value))
        relay.failed.connect(lambda exc: finish(on_error, exc))
        if on_progress is not None:
            relay.progress.connect(on_progress)
        pool = self.serial_pool if serial else self.long_pool if long else self.pool
        pool.start(_Job(fn, relay, on_progress is not None))

    @property
    def busy(self) -> int:
        return len(self._live)

    def wait(self, msecs: int = 10000) -> bool:
        ok = self.serial_pool.waitForDone(msecs)  # first: a save there may be what the caller waits for
        ok = self.pool.waitForDone(msecs) and ok
        return self.long_pool.waitForDone(msecs) and ok
