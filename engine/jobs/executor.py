"""Running jobs: the `Executor` interface and the in-process `LocalExecutor`.

The gRPC servicer owns neither threads nor leases. It writes the job with
`JobStore.create`, tells the executor with `submit(job_id)`, and reads state back from
the store. The executor decides where and when the job runs, keeps its lease alive,
and writes how it ended. The runner (`run_job`) does the work, chunk by chunk, and
talks back only through its `JobRunContext`.

`RayExecutor` (engine.jobs.ray_executor) is this executor with each job's chunks sent to Ray
as tasks; the job itself (claim, lease, analysis, assembly) stays in the engine, which keeps
SQLite on one host. The notes for an executor that moves whole jobs off the engine:

- `submit` keeps its meaning "this job is in the store; make sure something runs it".
  The driver claims the job with its own owner id and heartbeats for the remote task
  (or the task heartbeats itself, if it can reach the DB; SQLite cannot be shared
  across hosts, so at that point the store moves to PostgreSQL with the same rows and
  the same claim statement, and `JobStore` becomes an interface too).
- The remote task gets the serialized request and a context whose `report`,
  `record_chunk` and `check_cancelled` are forwarded to the driver (an actor handle or
  a queue); chunk files go to storage every worker can read, since any worker may
  resume them.
- `cancel` sets cancel_requested in the store (the source of truth) and additionally
  `ray.cancel`s the task only if it ignores the flag for longer than a chunk.
- Leases stay the recovery mechanism: Ray's own retries restart a task, but not one
  whose driver (this engine) died, and only the store knows which chunks are done.
"""

from __future__ import annotations

import collections
import concurrent.futures
import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable
from typing import Protocol

from ..errors import Cancelled, RetakesError
from ..logs import see_the_log
from .store import ChunkRecord, JobRecord, JobState, JobStore

log = logging.getLogger(__name__)

#: Seconds of recent progress that the fps (and so the ETA) is measured over.
RATE_WINDOW_S = 5.0


class LeaseLost(RetakesError):
    """This engine no longer holds the job (its lease expired and another engine took
    it, or the job ended). The worker must stop without writing anything more."""

    code = "ABORTED"


class Interrupted(RetakesError):
    """The engine is shutting down; the job goes back to the queue with its chunks."""

    code = "UNAVAILABLE"


class Executor(Protocol):
    """Runs the jobs of a `JobStore`. Every method returns quickly and never runs job
    work on the caller's thread, so an asyncio server may call them from the event
    loop (they do at most one short SQLite write)."""

    def start(self) -> None:
        """Begins taking jobs, including RUNNING ones left by a dead engine."""

    def submit(self, job_id: str) -> None:
        """The job was created in the store; run it when there is room."""

    def wake(self) -> None:
        """Something may have changed in the store (a job was created elsewhere)."""

    def cancel(self, job_id: str) -> JobRecord:
        """Requests cancellation; returns the job as it is after the request."""

    def shutdown(self, wait: bool = True) -> None:
        """Stops taking jobs and stops running ones at their next check (they return to
        the queue with their checkpoints); with `wait`, returns once they stopped."""


RunJob = Callable[[JobRecord, "JobRunContext"], bytes]
Cleanup = Callable[[JobRecord], None]


def new_owner_id() -> str:
    """Unique per process start: host, pid (for dead-owner detection), random."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


def owner_is_dead(owner: str) -> bool:
    """True only when `owner` certainly ran on this host in a process that is gone.

    POSIX only: on Windows `os.kill(pid, 0)` would terminate the process. A reused pid
    makes this say "alive", which only means waiting for the lease to expire.
    """
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if os.name != "posix" or host != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # EPERM: it exists, as another user
        return False
    return False


class JobRunContext:
    """What a runner gets besides the job: progress, cancellation, checkpoints."""

    def __init__(
        self,
        store: JobStore,
        record: JobRecord,
        owner: str,
        *,
        progress_interval: float = 0.25,
        cancel_check_interval: float = 0.25,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.job_id = record.id
        self.owner = owner
        #: 1 on the first run; > 1 when resuming after a crash or a shutdown.
        self.attempt = record.attempts
        self.cancel_event = threading.Event()
        self.lost_event = threading.Event()
        self.stop_event = threading.Event()
        self._progress_interval = progress_interval
        self._cancel_check_interval = cancel_check_interval
        self._clock = clock
        self._samples: collections.deque[tuple[float, int]] = collections.deque()
        self._last_write = -float("inf")
        self._last_stage: str | None = None
        self._last_done = 0
        self._last_db_check = clock()
        if record.cancel_requested:
            self.cancel_event.set()

    def report(self, stage: str, done: int, total: int) -> None:
        """Progress: `done` of `total` frames in `stage`. Cheap to call per frame; the
        store is written at most every `progress_interval` s, and at once on a new stage
        or the last frame. fps and ETA come from the last RATE_WINDOW_S seconds, so a
        resumed job does not count the frames it skipped as rendered."""
        now = self._clock()
        if stage != self._last_stage:
            self._samples.clear()
        self._samples.append((now, done))
        while len(self._samples) > 2 and now - self._samples[0][0] > RATE_WINDOW_S:
            self._samples.popleft()
        first_t, first_done = self._samples[0]
        fps = (done - first_done) / (now - first_t) if now - first_t > 1e-3 and done > first_done else 0.0
        eta = (total - done) / fps if fps > 0 and total > 0 else -1.0
        # The first frame done is written at once: it is what a watching editor waits for.
        first_frame = done > 0 and self._last_done == 0
        if (stage == self._last_stage and done < total and not first_frame
                and now - self._last_write < self._progress_interval):
            return
        self._last_stage, self._last_write, self._last_done = stage, now, done
        if not self.store.update_progress(self.job_id, self.owner, stage, done, total, eta, fps):
            self.lost_event.set()

    def check_cancelled(self) -> None:
        """Raises Cancelled when the user cancelled (LeaseLost / Interrupted when the
        engine must stop). Call it between frames or at least between chunks."""
        now = self._clock()
        if now - self._last_db_check >= self._cancel_check_interval:
            # The in-memory events cover this process's cancel(); the DB covers a
            # cancel written by another process sharing the store.
            self._last_db_check = now
            rec = self.store.get(self.job_id)
            if rec.state != JobState.RUNNING or rec.lease_owner != self.owner:
                self.lost_event.set()
            elif rec.cancel_requested:
                self.cancel_event.set()
        if self.lost_event.is_set():
            raise LeaseLost(f"job {self.job_id} is no longer held by this engine")
        if self.cancel_event.is_set():
            raise Cancelled("the job was cancelled")
        if self.stop_event.is_set():
            raise Interrupted("the engine is shutting down")

    def record_chunk(self, index: int, path: str, sha256: str, frames: int) -> None:
        """Checkpoints a finished chunk whose file is already durable at `path`."""
        if not self.store.record_chunk(self.job_id, index, path, sha256, frames, owner=self.owner):
            self.lost_event.set()
            raise LeaseLost(f"job {self.job_id} is no longer held by this engine")

    def chunks(self) -> list[ChunkRecord]:
        """Chunks finished by this or an earlier attempt: skip them when resuming."""
        return self.store.chunks(self.job_id)


class LocalExecutor:
    """Runs jobs in worker threads of this process, at most `max_concurrent` at once.

    A dispatcher thread claims jobs; one heartbeat thread renews the leases of all
    running jobs every `heartbeat_interval` s (default a third of the lease, so two
    missed beats still keep it).
    """

    def __init__(
        self,
        store: JobStore,
        run_job: RunJob,
        *,
        max_concurrent: int = 1,
        owner: str | None = None,
        lease_seconds: float = 10.0,
        heartbeat_interval: float | None = None,
        cleanup: Cleanup | None = None,
        poll_interval: float = 0.5,
        progress_interval: float = 0.25,
        max_attempts: int = 3,
        on_end: Callable[[str], None] | None = None,
    ) -> None:
        if max_concurrent < 1:
            raise ValueError("max_concurrent must be at least 1")
        self.store = store
        self.owner = owner or new_owner_id()
        self.max_concurrent = max_concurrent
        self.lease_seconds = lease_seconds
        self.heartbeat_interval = heartbeat_interval or lease_seconds / 3
        self._run_job = run_job
        self._cleanup = cleanup
        self._poll_interval = poll_interval
        self._progress_interval = progress_interval
        self._max_attempts = max_attempts
        #: told the id of each job this executor ended (succeeded, failed, cancelled): webhooks
        self._on_end = on_end
        self._lock = threading.Lock()
        self._running: dict[str, JobRunContext] = {}
        self._wake = threading.Event()
        #: Set when a worker ends or shutdown begins, so the heartbeat thread can exit.
        self._beat_wake = threading.Event()
        self._stopping = threading.Event()
        self._pool = concurrent.futures.ThreadPoolExecutor(max_concurrent, thread_name_prefix="retakes-job")
        self._threads: list[threading.Thread] = []

    # -- Executor

    def start(self) -> None:
        if self._threads:
            return
        self._expire_dead_owners()
        for target, name in ((self._dispatch, "retakes-dispatch"), (self._heartbeat, "retakes-heartbeat")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def submit(self, job_id: str) -> None:
        self.wake()

    def wake(self) -> None:
        self._wake.set()

    def cancel(self, job_id: str) -> JobRecord:
        record = self.store.request_cancel(job_id)
        with self._lock:
            ctx = self._running.get(job_id)
        if ctx is not None:
            ctx.cancel_event.set()
        return record

    def shutdown(self, wait: bool = True) -> None:
        self._stopping.set()
        self._wake.set()
        self._beat_wake.set()
        with self._lock:
            for ctx in self._running.values():
                ctx.stop_event.set()
        if self._threads:
            self._threads[0].join()  # the dispatcher: no new claims after this
        self._pool.shutdown(wait=wait)
        if wait:
            for thread in self._threads[1:]:
                thread.join()

    # -- introspection

    def running(self) -> list[str]:
        with self._lock:
            return list(self._running)

    # -- threads

    def _expire_dead_owners(self) -> None:
        """Jobs left RUNNING by a dead engine on this host are taken now rather than
        after their lease expires (other hosts' jobs wait for the lease)."""
        for rec in self.store.list(states=[JobState.RUNNING], limit=10_000):
            owner = rec.lease_owner
            if not owner or owner == self.owner or not owner_is_dead(owner):
                continue
            if self.store.expire_lease(rec.id, owner):
                log.info("job %s: its engine %s is gone; resuming it", rec.id, owner)

    def _dispatch(self) -> None:
        while not self._stopping.is_set():
            # Cleared before looking, so a wake that arrives meanwhile is not lost.
            self._wake.clear()
            record = None
            with self._lock:
                room = len(self._running) < self.max_concurrent
            if room:
                try:
                    record = self.store.claim(self.owner, self.lease_seconds, max_attempts=self._max_attempts)
                except Exception:
                    log.exception("claiming a job failed; retrying")
            if record is not None:
                self._start_job(record)
                continue
            self._wake.wait(self._poll_interval)

    def _start_job(self, record: JobRecord) -> None:
        ctx = JobRunContext(self.store, record, self.owner, progress_interval=self._progress_interval)
        with self._lock:
            self._running[record.id] = ctx
            if self._stopping.is_set():
                ctx.stop_event.set()
        log.info("job %s: running (attempt %d)", record.id, record.attempts)
        self._pool.submit(self._work, record, ctx)

    def _heartbeat(self) -> None:
        # Runs until shutdown and until the last worker ended: a worker still
        # finishing its chunk after shutdown() must keep its lease meanwhile.
        next_beat = 0.0
        while True:
            self._beat_wake.clear()
            with self._lock:
                running = list(self._running.items())
            if self._stopping.is_set() and not running:
                return
            if time.monotonic() >= next_beat:
                next_beat = time.monotonic() + self.heartbeat_interval
                for job_id, ctx in running:
                    try:
                        if not self.store.heartbeat(job_id, self.owner, self.lease_seconds):
                            ctx.lost_event.set()
                    except Exception:
                        log.exception("job %s: heartbeat failed", job_id)
            self._beat_wake.wait(max(0.0, next_beat - time.monotonic()))

    def _work(self, record: JobRecord, ctx: JobRunContext) -> None:
        try:
            self._run_and_end(record, ctx)
        except Exception:  # the store itself failed: the lease expires and the job is retried
            log.exception("job %s: could not record how it ended", record.id)
        finally:
            with self._lock:
                self._running.pop(record.id, None)
            self._wake.set()
            self._beat_wake.set()

    def _run_and_end(self, record: JobRecord, ctx: JobRunContext) -> None:
        store, owner, job = self.store, self.owner, record.id
        try:
            ctx.check_cancelled()
            result = self._run_job(record, ctx)
        except LeaseLost:
            # Another engine owns the job now: touch neither its row nor its files.
            log.warning("job %s: lease lost; leaving it to its new owner", job)
        except Cancelled:
            self._clean(record)
            if store.mark_cancelled(job, owner):
                self._ended(job)
            log.info("job %s: cancelled", job)
        except Interrupted:
            store.release(job, owner)
            log.info("job %s: interrupted by shutdown; back in the queue", job)
        except RetakesError as exc:
            self._clean(record)
            if store.fail(job, owner, exc.code, exc.message, exc.field):
                self._ended(job)
            log.info("job %s: failed: %s", job, exc)
        except Exception:
            log.exception("job %s: internal error", job)
            self._clean(record)
            if store.fail(job, owner, "INTERNAL", f"internal error while running the job; {see_the_log()}"):
                self._ended(job)
        else:
            if not store.finish(job, owner, result):
                log.warning("job %s: finished, but its lease was lost; result not recorded", job)
            else:
                log.info("job %s: succeeded", job)
                self._ended(job)

    def _ended(self, job_id: str) -> None:
        if self._on_end is None:
            return
        try:
            self._on_end(job_id)
        except Exception:  # telling others must never change how the job ended
            log.exception("job %s: the end-of-job hook failed", job_id)

    def _clean(self, record: JobRecord) -> None:
        """The job will not be resumed: let the runner remove its temp files."""
        if self._cleanup is None:
            return
        try:
            self._cleanup(record)
        except Exception:
            log.exception("job %s: cleanup failed", record.id)
