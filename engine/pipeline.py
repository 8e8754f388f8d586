"""Overlapping the stages of a render: decode, edit and encode run at the same time.

FFmpeg (through PyAV), OpenCV and numpy release the GIL in their heavy loops, so plain
threads with small bounded queues let the decoder fill frames ahead while the op works
and the encoder drains behind it. Queues are bounded so memory stays flat whatever the
clip's length; an exception in any stage stops the others and is re-raised in the caller.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Generic, TypeVar

T = TypeVar("T")
_DONE = object()


class _Failure:
    def __init__(self, error: BaseException) -> None:
        self.error = error


def prefetch(items: Iterable[T], depth: int = 4, *, name: str = "retakes-prefetch") -> Iterator[T]:
    """Yields `items`, produced up to `depth` ahead by a background thread."""
    box: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        box.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            box.put(_DONE)
        except BaseException as error:  # handed to the consumer, which re-raises it
            box.put(_Failure(error))

    thread = threading.Thread(target=produce, name=name, daemon=True)
    thread.start()
    try:
        while True:
            item = box.get()
            if item is _DONE:
                return
            if isinstance(item, _Failure):
                raise item.error
            yield item
    finally:
        stop.set()
        while thread.is_alive():  # unblock a producer waiting on a full queue
            try:
                box.get_nowait()
            except queue.Empty:
                thread.join(0.05)


class BackgroundConsumer(Generic[T]):
    """Feeds items to `consume` on a background thread; `close()` waits and re-raises its error."""

    def __init__(self, consume: Callable[[T], None], depth: int = 4, *, name: str = "retakes-encode") -> None:
        self._consume = consume
        self._box: queue.Queue = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            item = self._box.get()
            if item is _DONE:
                return
            if self._error is None:
                try:
                    self._consume(item)
                except BaseException as error:
                    self._error = error

    def put(self, item: T) -> None:
        if self._error is not None:
            raise self._error
        self._box.put(item)

    def close(self) -> None:
        self._box.put(_DONE)
        self._thread.join()
        if self._error is not None:
            raise self._error
