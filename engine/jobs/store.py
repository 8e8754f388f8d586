"""The durable job table: SQLite in WAL mode, with leases and chunk checkpoints.

A job is a row. An engine takes it with `claim`, which is atomic across threads and
processes (one `BEGIN IMMEDIATE` transaction), and holds it by renewing a lease with
`heartbeat`. An engine that dies stops renewing; once the lease expires the next
`claim` takes the job again (attempts + 1) and the runner resumes after the last chunk
it recorded with `record_chunk`. Delivery is therefore at-least-once per chunk: a chunk
finished but not yet recorded when the engine died is rendered again.

Every change bumps the row's `version`, which is what `wait_for_change` (and WatchJob on
top of it) watches. Terminal states (SUCCEEDED, FAILED, CANCELLED) never change again:
every write is guarded by the state it expects.

Durability: state changes commit with `synchronous=FULL`, so a job that was reported
finished or cancelled survives a power cut. Progress ticks, which are many and
worthless a second later, commit on a second connection with `synchronous=NORMAL`.
That is safe to mix because a WAL is one append-only file that is replayed up to its
last valid commit: a power cut can drop only the newest NORMAL commits, never one that
an fsynced FULL commit came after (that fsync covers the whole file up to it), so the
worst case is a progress figure a few ticks old. Application crashes (SIGKILL) lose
nothing at either level; the data is already in the OS.

Keep the database on a local disk: WAL does not work over network filesystems.
"""

from __future__ import annotations

import contextlib
import enum
import logging
import sqlite3
import threading
import time
import uuid
import weakref
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ..errors import FailedPrecondition, InvalidArgument, JobNotFound, shown

log = logging.getLogger(__name__)

#: How long a writer waits for another process's write lock before giving up.
BUSY_TIMEOUT_MS = 10_000
#: How often `wait_for_change` re-reads the row to see writes made by other processes.
POLL_INTERVAL_S = 0.25


class JobState(enum.IntEnum):
    """Mirrors `retakes.v1.JobState` value for value (a test holds them equal), so
    `int(state)` is the proto's number; the database stores the name."""

    QUEUED = 1
    RUNNING = 2
    SUCCEEDED = 3
    FAILED = 4
    CANCELLED = 5

    @property
    def terminal(self) -> bool:
        return self in TERMINAL_STATES


TERMINAL_STATES = frozenset({JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED})


@dataclass(frozen=True)
class JobRecord:
    id: str
    #: A serialized retakes.v1.EditRequest; the store never looks inside.
    request: bytes
    state: JobState
    stage: str
    frames_done: int
    frames_total: int
    #: < 0 when unknown, as in retakes.v1.Progress.
    eta_seconds: float
    fps: float
    #: A serialized retakes.v1.JobResult once SUCCEEDED.
    result: bytes | None
    #: A google.rpc.Code name ("INVALID_ARGUMENT"), as RetakesError.code; "" unless FAILED.
    error_code: str
    error_message: str
    error_field: str
    #: Seconds since the epoch (wall clock: leases are compared across processes).
    created_at: float
    updated_at: float
    #: How many times an engine took the job; > 1 means it was resumed.
    attempts: int
    lease_owner: str | None
    lease_expires_at: float | None
    cancel_requested: bool
    idempotency_key: str | None
    #: Bumped by every change to the row (and by each recorded chunk).
    version: int

    @property
    def terminal(self) -> bool:
        return self.state.terminal


@dataclass(frozen=True)
class ChunkRecord:
    """One finished, durable piece of a job's output: the resume point."""

    job_id: str
    index: int
    path: str
    sha256: str
    frames: int
    created_at: float


# ---------------------------------------------------------------- schema


def _migrate_1(db: sqlite3.Connection) -> None:
    db.execute(
        """
        CREATE TABLE jobs (
            -- seq orders jobs (FIFO claim, newest-first list); AUTOINCREMENT never reuses one.
            seq              INTEGER PRIMARY KEY AUTOINCREMENT,
            id               TEXT NOT NULL UNIQUE,
            request          BLOB NOT NULL,
            state            TEXT NOT NULL
                             CHECK (state IN ('QUEUED','RUNNING','SUCCEEDED','FAILED','CANCELLED')),
            stage            TEXT NOT NULL DEFAULT 'queued',
            frames_done      INTEGER NOT NULL DEFAULT 0,
            frames_total     INTEGER NOT NULL DEFAULT 0,
            eta_seconds      REAL NOT NULL DEFAULT -1,
            fps              REAL NOT NULL DEFAULT 0,
            result           BLOB,
            error_code       TEXT NOT NULL DEFAULT '',
            error_message    TEXT NOT NULL DEFAULT '',
            error_field      TEXT NOT NULL DEFAULT '',
            created_at       REAL NOT NULL,
            updated_at       REAL NOT NULL,
            attempts         INTEGER NOT NULL DEFAULT 0,
            lease_owner      TEXT,
            lease_expires_at REAL,
            cancel_requested INTEGER NOT NULL DEFAULT 0,
            idempotency_key  TEXT UNIQUE,
            version          INTEGER NOT NULL DEFAULT 1
        )
        """
    )
    db.execute("CREATE INDEX jobs_by_state ON jobs (state, seq)")
    db.execute(
        """
        CREATE TABLE chunks (
            job_id     TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
            idx        INTEGER NOT NULL,
            path       TEXT NOT NULL,
            sha256     TEXT NOT NULL,
            frames     INTEGER NOT NULL,
            created_at REAL NOT NULL,
            PRIMARY KEY (job_id, idx)
        )
        """
    )


def _migrate_2(db: sqlite3.Connection) -> None:
    """A job's chunk rows are its resume point, needed only until it is final: a trigger drops
    them on every way a job ends (finished, failed, cancelled, given up on after crashes), in
    the transaction that ends it. Rows that finished jobs left behind before are dropped now."""
    db.execute(
        """
        CREATE TRIGGER chunks_end_with_their_job AFTER UPDATE OF state ON jobs
        WHEN NEW.state IN ('SUCCEEDED', 'FAILED', 'CANCELLED')
        BEGIN
            DELETE FROM chunks WHERE job_id = NEW.id;
        END
        """
    )
    db.execute(
        "DELETE FROM chunks WHERE job_id IN (SELECT id FROM jobs WHERE state IN ('SUCCEEDED', 'FAILED', 'CANCELLED'))"
    )


#: MIGRATIONS[n] takes a database at user_version n to n + 1. Append; never edit one.
MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_migrate_1, _migrate_2]
SCHEMA_VERSION = len(MIGRATIONS)


def migrate(db: sqlite3.Connection) -> int:
    """Brings the schema to SCHEMA_VERSION in one transaction; returns the version.

    Safe to call from several processes at once: the write lock serialises them and
    each re-reads user_version inside it.
    """
    db.execute("BEGIN IMMEDIATE")
    try:
        current = db.execute("PRAGMA user_version").fetchone()[0]
        if current > SCHEMA_VERSION:
            raise FailedPrecondition(
                f"the job database has schema version {current}, newer than this engine's "
                f"{SCHEMA_VERSION}; upgrade retakes or point it at another database"
            )
        for step in MIGRATIONS[current:]:
            step(db)
        # PRAGMA takes no parameters; SCHEMA_VERSION is our own int.
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    return SCHEMA_VERSION


# ---------------------------------------------------------------- connections


class _ThreadConnections:
    """One thread's pair of connections. sqlite3 connections must not be shared between
    threads mid-transaction; giving each thread its own keeps reads lock-free (WAL
    readers never wait for writers) without a process-wide Python lock. When the thread
    ends, the thread-local drops this object and the connections close."""

    def __init__(self, path: str) -> None:
        self.durable = _connect(path, "FULL")
        self._path = path
        self._fast: sqlite3.Connection | None = None

    @property
    def fast(self) -> sqlite3.Connection:
        if self._fast is None:
            self._fast = _connect(self._path, "NORMAL")
        return self._fast

    def close(self) -> None:
        for db in (self.durable, self._fast):
            if db is not None:
                with contextlib.suppress(sqlite3.Error):
                    db.close()

    def __del__(self) -> None:
        self.close()


def _connect(path: str, synchronous: str) -> sqlite3.Connection:
    # isolation_level=None: we issue BEGIN IMMEDIATE ourselves, so a claim takes the
    # write lock before it reads (no read-then-upgrade deadlock between processes).
    # check_same_thread=False only so that close() may run from the closing thread.
    db = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False)
    db.row_factory = sqlite3.Row
    db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    db.execute("PRAGMA journal_mode = WAL")
    db.execute(f"PRAGMA synchronous = {synchronous}")
    db.execute("PRAGMA foreign_keys = ON")
    return db


# ---------------------------------------------------------------- the store

_ACTIVE = ("QUEUED", "RUNNING")


class JobStore:
    """Jobs in one SQLite file. Thread-safe; several processes may share the file."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._local = threading.local()
        self._all: weakref.WeakSet[_ThreadConnections] = weakref.WeakSet()
        self._all_lock = threading.Lock()
        self._changed = threading.Condition()
        self._listeners: list[Callable[[str, int], None]] = []
        self._closed = False
        migrate(self._conns().durable)

    # -- plumbing

    def _conns(self) -> _ThreadConnections:
        if self._closed:
            raise FailedPrecondition("the job store is closed")
        conns = getattr(self._local, "conns", None)
        if conns is None:
            conns = _ThreadConnections(self.path)
            self._local.conns = conns
            with self._all_lock:
                self._all.add(conns)
        return conns

    @contextlib.contextmanager
    def _write(self, *, durable: bool = True) -> Iterator[sqlite3.Connection]:
        """A write transaction that holds the database's write lock from its start."""
        conns = self._conns()
        db = conns.durable if durable else conns.fast
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def _changed_rows(self, rows: Iterable[sqlite3.Row]) -> list[JobRecord]:
        """Called after a commit with the changed rows: wakes in-process watchers."""
        records = [_record(r) for r in rows]
        if records:
            with self._changed:
                self._changed.notify_all()
            for rec in records:
                for listener in list(self._listeners):
                    try:
                        listener(rec.id, rec.version)
                    except Exception:  # a broken watcher must not fail a state change
                        log.exception("job change listener failed")
        return records

    def subscribe(self, listener: Callable[[str, int], None]) -> Callable[[], None]:
        """Calls `listener(job_id, version)` after every change this process commits
        (from the writing thread: keep it short, e.g. `loop.call_soon_threadsafe`).
        Returns a function that unsubscribes. Changes by other processes are not
        reported; poll for those."""
        self._listeners.append(listener)

        def unsubscribe() -> None:
            with contextlib.suppress(ValueError):
                self._listeners.remove(listener)

        return unsubscribe

    def close(self) -> None:
        self._closed = True
        with self._all_lock:
            for conns in list(self._all):
                conns.close()

    # -- creating and reading

    def create(self, request: bytes, idempotency_key: str | None = None) -> JobRecord:
        """Queues a job. With a key already used, returns that job instead (whatever
        its state, and without comparing the requests)."""
        now = time.time()
        with self._write() as db:
            if idempotency_key:
                sql = "SELECT * FROM jobs WHERE idempotency_key = ?"
                row = db.execute(sql, (idempotency_key,)).fetchone()
                if row is not None:
                    return _record(row)
            row = db.execute(
                """INSERT INTO jobs (id, request, state, created_at, updated_at, idempotency_key)
                   VALUES (?, ?, 'QUEUED', ?, ?, ?) RETURNING *""",
                (uuid.uuid4().hex, bytes(request), now, now, idempotency_key or None),
            ).fetchone()
        return self._changed_rows([row])[0]

    def find_by_idempotency_key(self, idempotency_key: str) -> JobRecord | None:
        """The job an earlier submit with this key made, if any."""
        sql = "SELECT * FROM jobs WHERE idempotency_key = ?"
        row = self._conns().durable.execute(sql, (idempotency_key,)).fetchone()
        return None if row is None else _record(row)

    def get(self, job_id: str) -> JobRecord:
        row = self._conns().durable.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if row is None:
            raise JobNotFound(f"no job {shown(job_id)}", field="job_id")
        return _record(row)

    def list(self, states: Iterable[JobState | int | str] | None = None, limit: int = 100) -> list[JobRecord]:
        """Jobs newest first, optionally only those in `states` (JobState, the proto's
        numbers, or names: "RUNNING" or "JOB_STATE_RUNNING")."""
        sql, args = "SELECT * FROM jobs", []
        names = [_state(s).name for s in states] if states else []
        if names:
            sql += f" WHERE state IN ({','.join('?' * len(names))})"
            args += names
        sql += " ORDER BY seq DESC LIMIT ?"
        args.append(limit if limit > 0 else 100)
        return [_record(r) for r in self._conns().durable.execute(sql, args)]

    # -- running

    def claim(self, owner: str, lease_seconds: float, *, max_attempts: int = 3) -> JobRecord | None:
        """Takes the oldest job that is QUEUED, or RUNNING with an expired lease (its
        engine died), for `owner`; attempts + 1. None when there is nothing to do.

        A job whose engine died `max_attempts` times is not taken again but FAILED:
        a job that kills its engine (out of memory, a driver crash) must not kill
        every engine that restarts after it.
        """
        now = time.time()
        with self._write() as db:
            poisoned = db.execute(
                """UPDATE jobs SET state = 'FAILED', error_code = 'INTERNAL',
                       error_message = 'the engine stopped ' || attempts || ' times while running this job',
                       lease_owner = NULL, lease_expires_at = NULL, stage = 'failed',
                       updated_at = ?, version = version + 1
                   WHERE state = 'RUNNING' AND lease_expires_at < ? AND attempts >= ?
                   RETURNING *""",
                (now, now, max_attempts),
            ).fetchall()
            row = db.execute(
                """UPDATE jobs SET state = 'RUNNING', attempts = attempts + 1,
                       lease_owner = ?, lease_expires_at = ?, updated_at = ?, version = version + 1
                   WHERE seq = (
                       SELECT seq FROM jobs
                       WHERE state = 'QUEUED' OR (state = 'RUNNING' AND lease_expires_at < ?)
                       ORDER BY seq LIMIT 1)
                   RETURNING *""",
                (owner, now + lease_seconds, now, now),
            ).fetchone()
        for rec in self._changed_rows(poisoned):
            log.error("job %s failed: %s", rec.id, rec.error_message)
        return self._changed_rows([row])[0] if row is not None else None

    def heartbeat(self, job_id: str, owner: str, lease_seconds: float) -> bool:
        """Extends the lease; False when `owner` no longer holds the job (lease expired
        and taken by another engine, or the job ended)."""
        now = time.time()
        # Durable: a lease that was renewed must not roll back to "expired" after a
        # power cut while its engine keeps writing. Heartbeats are seconds apart.
        with self._write() as db:
            row = db.execute(
                """UPDATE jobs SET lease_expires_at = ?
                   WHERE id = ? AND state = 'RUNNING' AND lease_owner = ? RETURNING id""",
                (now + lease_seconds, job_id, owner),
            ).fetchone()
        # No version bump: a lease renewal is not a change a watcher cares about.
        return row is not None

    def expire_lease(self, job_id: str, owner: str) -> bool:
        """Marks `owner`'s lease on the job as already expired, so that `claim` takes it
        now. For an executor that knows the owner is dead (same host, process gone)."""
        with self._write() as db:
            row = db.execute(
                """UPDATE jobs SET lease_expires_at = 0
                   WHERE id = ? AND state = 'RUNNING' AND lease_owner = ? RETURNING id""",
                (job_id, owner),
            ).fetchone()
        return row is not None

    def release(self, job_id: str, owner: str) -> bool:
        """Gives a RUNNING job back to the queue (a graceful shutdown); its chunks stay,
        so the next claim resumes it at once instead of after the lease expires."""
        return self._owned_update(
            job_id,
            owner,
            "state = 'QUEUED', lease_owner = NULL, lease_expires_at = NULL, stage = 'queued'",
            (),
        )

    def update_progress(
        self,
        job_id: str,
        owner: str,
        stage: str,
        done: int,
        total: int,
        eta_seconds: float = -1.0,
        fps: float = 0.0,
    ) -> bool:
        """Records progress; False when `owner` lost the job (the worker should stop)."""
        return self._owned_update(
            job_id,
            owner,
            "stage = ?, frames_done = ?, frames_total = ?, eta_seconds = ?, fps = ?",
            (stage, int(done), int(total), float(eta_seconds), float(fps)),
            durable=False,
        )

    def record_chunk(
        self,
        job_id: str,
        index: int,
        path: str,
        sha256: str,
        frames: int,
        *,
        owner: str | None = None,
    ) -> bool:
        """Checkpoints a finished chunk (its file must already be durable at `path`).
        Recording an index again replaces it. With `owner`, only while that owner holds
        the RUNNING job: a worker that lost its lease must not overwrite the new owner's
        checkpoints. Returns False when nothing was recorded."""
        now = time.time()
        with self._write() as db:
            guard, args = "state = 'RUNNING'", [job_id]
            if owner is not None:
                guard += " AND lease_owner = ?"
                args.append(owner)
            row = db.execute(
                f"UPDATE jobs SET updated_at = ?, version = version + 1 WHERE id = ? AND {guard} RETURNING *",
                [now, *args],
            ).fetchone()
            if row is None:
                self._require(db, job_id)
                return False
            db.execute(
                """INSERT OR REPLACE INTO chunks (job_id, idx, path, sha256, frames, created_at)
                   VALUES (?, ?, ?, ?, ?, ?)""",
                (job_id, int(index), path, sha256, int(frames), now),
            )
        self._changed_rows([row])
        return True

    def chunks(self, job_id: str) -> list[ChunkRecord]:
        """The job's recorded chunks in index order."""
        rows = self._conns().durable.execute(
            "SELECT * FROM chunks WHERE job_id = ? ORDER BY idx", (job_id,)
        ).fetchall()
        return [
            ChunkRecord(r["job_id"], r["idx"], r["path"], r["sha256"], r["frames"], r["created_at"])
            for r in rows
        ]

    def clear_chunks(self, job_id: str) -> int:
        """Forgets the job's checkpoints (after the runner removed their files)."""
        with self._write() as db:
            return db.execute("DELETE FROM chunks WHERE job_id = ?", (job_id,)).rowcount

    # -- ending

    def finish(self, job_id: str, owner: str, result: bytes) -> bool:
        return self._owned_update(
            job_id,
            owner,
            "state = 'SUCCEEDED', result = ?, stage = 'done', eta_seconds = 0, "
            "frames_done = MAX(frames_done, frames_total), lease_owner = NULL, lease_expires_at = NULL",
            (bytes(result),),
        )

    def fail(self, job_id: str, owner: str, code: str, message: str, field: str = "") -> bool:
        return self._owned_update(
            job_id,
            owner,
            "state = 'FAILED', error_code = ?, error_message = ?, error_field = ?, stage = 'failed', "
            "eta_seconds = -1, lease_owner = NULL, lease_expires_at = NULL",
            (code, message, field),
        )

    def mark_cancelled(self, job_id: str, owner: str) -> bool:
        """Ends a RUNNING job as CANCELLED (its worker stopped and cleaned up)."""
        return self._owned_update(
            job_id,
            owner,
            "state = 'CANCELLED', stage = 'cancelled', eta_seconds = -1, "
            "lease_owner = NULL, lease_expires_at = NULL",
            (),
        )

    def request_cancel(self, job_id: str) -> JobRecord:
        """Cancels a job: a QUEUED one becomes CANCELLED at once; a RUNNING one gets
        cancel_requested and its worker stops at its next check (within a chunk). A
        job that already ended is returned unchanged."""
        now = time.time()
        with self._write() as db:
            row = db.execute(
                """UPDATE jobs SET
                       state = CASE state WHEN 'QUEUED' THEN 'CANCELLED' ELSE state END,
                       stage = CASE state WHEN 'QUEUED' THEN 'cancelled' ELSE stage END,
                       cancel_requested = 1, updated_at = ?, version = version + 1
                   WHERE id = ? AND state IN ('QUEUED', 'RUNNING') AND cancel_requested = 0
                   RETURNING *""",
                (now, job_id),
            ).fetchone()
            if row is None:
                return _record(self._require(db, job_id))
        return self._changed_rows([row])[0]

    # -- watching

    def wait_for_change(self, job_id: str, after_version: int, timeout: float | None = None) -> JobRecord:
        """Blocks until the job's version is greater than `after_version`, or `timeout`
        seconds passed; returns the job as it is then (check `.version` to tell which).

        Writes by this process wake it at once; writes by other processes are seen
        within POLL_INTERVAL_S. Blocks a thread: from asyncio use `watch.watch_job`.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            rec = self.get(job_id)
            if rec.version > after_version:
                return rec
            wait = POLL_INTERVAL_S
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    return rec
                wait = min(wait, left)
            with self._changed:
                self._changed.wait(wait)

    # -- helpers

    def _owned_update(
        self, job_id: str, owner: str, assignments: str, args: tuple, *, durable: bool = True
    ) -> bool:
        """Applies `assignments` to a RUNNING job held by `owner`; False otherwise."""
        with self._write(durable=durable) as db:
            row = db.execute(
                f"""UPDATE jobs SET {assignments}, updated_at = ?, version = version + 1
                    WHERE id = ? AND state = 'RUNNING' AND lease_owner = ? RETURNING *""",
                (*args, time.time(), job_id, owner),
            ).fetchone()
            if row is None:
                self._require(db, job_id)
                return False
        self._changed_rows([row])
        return True

    @staticmethod
    def _require(db: sqlite3.Connection, job_id: str) -> sqlite3.Row:
        row = db.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if row is None:
            raise JobNotFound(f"no job {shown(job_id)}", field="job_id")
        return row


def _state(value: JobState | int | str) -> JobState:
    if isinstance(value, str):
        try:
            return JobState[value.upper().removeprefix("JOB_STATE_")]
        except KeyError:
            raise InvalidArgument(f"unknown job state {shown(value)}", field="states") from None
    try:
        return JobState(value)
    except ValueError:
        raise InvalidArgument(f"unknown job state {shown(value)}", field="states") from None


def _record(row: sqlite3.Row) -> JobRecord:
    return JobRecord(
        id=row["id"],
        request=bytes(row["request"]),
        state=JobState[row["state"]],
        stage=row["stage"],
        frames_done=row["frames_done"],
        frames_total=row["frames_total"],
        eta_seconds=row["eta_seconds"],
        fps=row["fps"],
        result=bytes(row["result"]) if row["result"] is not None else None,
        error_code=row["error_code"],
        error_message=row["error_message"],
        error_field=row["error_field"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        attempts=row["attempts"],
        lease_owner=row["lease_owner"],
        lease_expires_at=row["lease_expires_at"],
        cancel_requested=bool(row["cancel_requested"]),
        idempotency_key=row["idempotency_key"],
        version=row["version"],
    )
