"""An op's analysis on its own thread while the frames it has finished are already rendered.

A temporal op's analysis (tracking, flow chains) walks the clip frame by frame and is
serial; rendering is parallel. Run one after the other, a job takes their sum; run
together, about the longer of the two. Ops opt in through `Op.start_analysis` and
`Op.analysed` (engine.ops.base); the others are simply `prepare`d first.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable

from .errors import Cancelled
from .ops.base import EditContext, Op

#: how often a waiting render looks again (the analysis of one frame takes tens of ms)
POLL_SECONDS = 0.005


class BackgroundAnalysis:
    """The long part of an op's analysis, running on a thread; `wait` holds a render back until its frame is ready."""

    def __init__(self, run: Callable[[], None], stopped: threading.Event) -> None:
        self._stopped = stopped
        self._error: BaseException | None = None
        self._finished = threading.Event()
        #: the analysis thread's wall seconds, and the CPU seconds it ran of them (set when it ends): a
        #: wide gap is time it waited, on its helpers, the disk or the interpreter lock the render shares
        self.wall_seconds = 0.0
        self.cpu_seconds = 0.0
        self._thread = threading.Thread(target=self._main, args=(run,), name="retakes-analysis", daemon=True)
        self._thread.start()

    @classmethod
    def start(cls, op: Op, ctx: EditContext) -> BackgroundAnalysis | None:
        """Starts `op`'s streaming analysis, None if it has none. `ctx.source` becomes the
        analysis thread's own: give it a reader nothing else uses."""
        stopped = threading.Event()

        def check_cancelled() -> None:
            if stopped.is_set():
                raise Cancelled("the render this analysis was for has ended")
            ctx.check_cancelled()

        run = op.start_analysis(dataclasses.replace(ctx, check_cancelled=check_cancelled))
        return None if run is None else cls(run, stopped)

    def _main(self, run: Callable[[], None]) -> None:
        started, cpu = time.perf_counter(), time.thread_time()
        try:
            run()
        except BaseException as exc:  # handed to whichever render waits next, or to `join`
            self._error = exc
        finally:
            self.wall_seconds = time.perf_counter() - started
            self.cpu_seconds = time.thread_time() - cpu
            self._finished.set()

    def wait(self, op: Op, index: int, check_cancelled: Callable[[], None]) -> None:
        """Returns once `op` can render frame `index`; raises the analysis's failure, or Cancelled."""
        while not op.analysed(index):
            if self._error is not None:
                raise self._error
            if self._finished.is_set() and not op.analysed(index):
                raise RuntimeError(f"the analysis ended without analysing frame {index}")
            check_cancelled()
            time.sleep(POLL_SECONDS)

    def join(self) -> None:
        """Waits for the end of the analysis and raises its failure, if any."""
        self._thread.join()
        if self._error is not None:
            raise self._error

    def close(self) -> None:
        """Stops a still running analysis at its next cancellation check and waits for it
        (it reads the source: the reader must outlive it)."""
        self._stopped.set()
        self._thread.join()
