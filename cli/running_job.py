"""A job submitted and watched from a thread of its own, so that Ctrl-C never lands inside gRPC.

Ctrl-C raises KeyboardInterrupt in the main thread, at whatever Python line it is running.
Raised inside gRPC's own code, it can leave the channel without the thread that delivers
streamed answers: seen when it landed as the job's watch was being set up, after which the
watch that waits for the cancelled job to stop waited for ever (the job itself was cancelled).
Here every gRPC call runs on a worker thread; the main thread only waits on events, so an
interrupt finds it in code of ours, where it cancels the job cleanly. Events, not
`Thread.join`: a join that Ctrl-C interrupts marks the thread as ended while it still runs
(CPython before 3.13), and the next join returns at once; the channel was then closed under
the still-running watch, which crashed the command.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable

from ..engine.client import EngineClient, EngineError
from ..v1 import engine_pb2


class RunningJob:
    """`request` submitted to `engine` and watched to its end, on a thread started at once."""

    def __init__(self, engine: EngineClient, request: engine_pb2.EditRequest) -> None:
        self._engine, self._request = engine, request
        self.job_id: str | None = None
        #: called with each snapshot of the job (from the worker thread); set it once there is a bar
        self.on_progress: Callable[[engine_pb2.Job], None] = lambda job: None
        self._submitted = threading.Event()  # set once the submit answered or failed
        self._ended = threading.Event()  # set once the worker has made its last call
        self._job: engine_pb2.Job | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="retakes-job", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self.job_id = self._engine.submit(self._request).id
            self._submitted.set()
            self._job = self._engine.wait(self.job_id, lambda job: self.on_progress(job))
        except BaseException as error:  # handed to the main thread, which raises it
            self._error = error
        finally:
            self._submitted.set()
            self._ended.set()

    def submitted(self) -> str:
        """The job's id, once the engine has answered the submit; raises what the submit raised."""
        self._submitted.wait()
        if self.job_id is None:
            assert self._error is not None
            raise self._error
        return self.job_id

    def result(self) -> engine_pb2.Job:
        """The job in its final state; raises what submitting or watching it raised."""
        self._ended.wait()
        if self._error is not None:
            raise self._error
        assert self._job is not None
        return self._job

    def cancel(self) -> None:
        """Asks the engine to cancel the job (once the submit has answered, if it did) and waits
        until the job has stopped: the watch ends on its final state."""
        self._submitted.wait()
        if self.job_id is None:
            return  # nothing was queued

        sent = threading.Event()

        def send() -> None:
            try:
                with contextlib.suppress(EngineError):  # gone, or finished meanwhile: nothing to cancel
                    self._engine.cancel(self.job_id)
            finally:
                sent.set()

        threading.Thread(target=send, name="retakes-cancel", daemon=True).start()
        sent.wait()
        self._ended.wait()
