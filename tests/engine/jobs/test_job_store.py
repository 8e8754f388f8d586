"""JobStore: states, idempotency, leases, checkpoints, atomic claims, watching."""

from __future__ import annotations

import multiprocessing
import sqlite3
import threading
import time

import pytest

from retakes.engine.errors import FailedPrecondition, InvalidArgument, JobNotFound
from retakes.engine.jobs import SCHEMA_VERSION, JobState, JobStore
from retakes.engine.jobs import store as store_module
from retakes.v1 import engine_pb2
from tests.support.jobs_fakes import claim_until_empty


@pytest.fixture
def db_path(tmp_path):
    return str(tmp_path / "jobs.db")


@pytest.fixture
def store(db_path):
    s = JobStore(db_path)
    yield s
    s.close()


def test_create_get_and_list_newest_first(store):
    a = store.create(b"a")
    b = store.create(b"b")
    c = store.create(b"c")
    assert (a.state, a.stage, a.attempts, a.eta_seconds) == (JobState.QUEUED, "queued", 0, -1)
    assert store.get(b.id).request == b"b"
    assert [r.id for r in store.list()] == [c.id, b.id, a.id]
    assert [r.id for r in store.list(limit=2)] == [c.id, b.id]
    store.claim("w", 60)  # takes a, the oldest
    assert [r.id for r in store.list(states=[JobState.RUNNING])] == [a.id]
    assert [r.id for r in store.list(states=[JobState.QUEUED])] == [c.id, b.id]
    # The servicer may pass the proto's numbers or names.
    assert [r.id for r in store.list(states=["RUNNING"])] == [a.id]
    mixed = [engine_pb2.JOB_STATE_QUEUED, "job_state_running"]
    assert [r.id for r in store.list(states=mixed)] == [c.id, b.id, a.id]
    with pytest.raises(InvalidArgument):
        store.list(states=["DONE"])


def test_unknown_job_raises_job_not_found_naming_the_field(store):
    with pytest.raises(JobNotFound) as err:
        store.get("nope")
    assert err.value.field == "job_id"
    for call in (lambda: store.request_cancel("nope"), lambda: store.finish("nope", "w", b"")):
        with pytest.raises(JobNotFound):
            call()


def test_same_idempotency_key_gives_the_same_job(store):
    first = store.create(b"req", idempotency_key="k1")
    again = store.create(b"req", idempotency_key="k1")
    other = store.create(b"req", idempotency_key="k2")
    assert again.id == first.id and again.version == first.version
    assert other.id != first.id
    assert len(store.list()) == 2


def test_happy_path_bumps_version_on_every_change(store):
    job = store.create(b"r")
    claimed = store.claim("w", 60)
    assert claimed.id == job.id
    assert (claimed.state, claimed.attempts, claimed.lease_owner) == (JobState.RUNNING, 1, "w")
    assert claimed.lease_expires_at > time.time() + 50
    assert store.update_progress(job.id, "w", "render", 5, 10, 2.5, 4.0)
    p = store.get(job.id)
    assert (p.stage, p.frames_done, p.frames_total, p.eta_seconds, p.fps) == ("render", 5, 10, 2.5, 4.0)
    assert store.record_chunk(job.id, 0, "/tmp/c0", "ab", 5)
    assert store.finish(job.id, "w", b"result")
    done = store.get(job.id)
    assert done.state == JobState.SUCCEEDED and done.result == b"result"
    assert done.lease_owner is None and done.frames_done == 10
    assert job.version < claimed.version < p.version < done.version


def test_terminal_states_never_change(store):
    ok, bad, gone = store.create(b"1"), store.create(b"2"), store.create(b"3")
    for _ in range(2):
        store.claim("w", 60)
    store.finish(ok.id, "w", b"r")
    store.fail(bad.id, "w", "INVALID_ARGUMENT", "bad mask", "mask")
    store.request_cancel(gone.id)
    before = {j: store.get(j) for j in (ok.id, bad.id, gone.id)}
    for j in before:
        assert not store.finish(j, "w", b"x")
        assert not store.fail(j, "w", "INTERNAL", "x")
        assert not store.mark_cancelled(j, "w")
        assert not store.update_progress(j, "w", "render", 1, 1)
        assert not store.record_chunk(j, 9, "p", "s", 1)
        assert not store.heartbeat(j, "w", 60)
        assert store.request_cancel(j) == before[j]
    assert store.claim("w2", 60) is None
    assert {j: store.get(j) for j in before} == before
    assert before[bad.id].error_code == "INVALID_ARGUMENT" and before[bad.id].error_field == "mask"


def test_only_the_lease_owner_may_write(store):
    job = store.create(b"r")
    store.claim("w1", 60)
    assert not store.update_progress(job.id, "w2", "render", 1, 2)
    assert not store.record_chunk(job.id, 0, "p", "s", 1, owner="w2")
    assert not store.finish(job.id, "w2", b"x")
    assert not store.heartbeat(job.id, "w2", 60)
    assert store.chunks(job.id) == []
    assert store.get(job.id).state == JobState.RUNNING


def test_expired_lease_is_reclaimed_with_checkpoints_kept(store):
    job = store.create(b"r")
    store.claim("dead", lease_seconds=0.2)
    store.record_chunk(job.id, 0, "/c0", "h0", 5, owner="dead")
    store.record_chunk(job.id, 1, "/c1", "h1", 5, owner="dead")
    assert store.claim("other", 60) is None  # lease still valid
    time.sleep(0.3)
    again = store.claim("other", 60)
    assert again.id == job.id and again.attempts == 2 and again.lease_owner == "other"
    assert [(c.index, c.path, c.sha256, c.frames) for c in store.chunks(job.id)] == [
        (0, "/c0", "h0", 5),
        (1, "/c1", "h1", 5),
    ]
    # The old owner woke up: it may not write anything any more.
    assert not store.heartbeat(job.id, "dead", 60)
    assert not store.record_chunk(job.id, 2, "/c2", "h2", 5, owner="dead")
    assert not store.finish(job.id, "dead", b"x")
    assert store.finish(job.id, "other", b"ok")


def test_heartbeat_keeps_the_lease(store):
    job = store.create(b"r")
    store.claim("w", lease_seconds=0.3)
    for _ in range(4):
        time.sleep(0.1)
        assert store.heartbeat(job.id, "w", 0.3)
        assert store.claim("thief", 60) is None
    assert store.get(job.id).attempts == 1


def test_a_job_that_keeps_killing_its_engine_fails(store):
    job = store.create(b"r")
    for attempt in (1, 2):
        assert store.claim(f"e{attempt}", lease_seconds=0.01, max_attempts=2).attempts == attempt
        time.sleep(0.02)
    assert store.claim("e3", 60, max_attempts=2) is None
    rec = store.get(job.id)
    assert rec.state == JobState.FAILED and rec.error_code == "INTERNAL"
    assert "2 times" in rec.error_message


def test_release_puts_a_running_job_back_with_its_chunks(store):
    job = store.create(b"r")
    store.claim("w", 60)
    store.record_chunk(job.id, 0, "/c0", "h", 1, owner="w")
    assert store.release(job.id, "w")
    assert store.get(job.id).state == JobState.QUEUED
    again = store.claim("w2", 60)
    assert again.attempts == 2 and len(store.chunks(job.id)) == 1


def test_clear_chunks(store):
    job = store.create(b"r")
    store.claim("w", 60)
    store.record_chunk(job.id, 0, "/c0", "h", 1)
    store.record_chunk(job.id, 0, "/c0b", "h2", 1)  # same index replaces
    assert [c.path for c in store.chunks(job.id)] == ["/c0b"]
    assert store.clear_chunks(job.id) == 1
    assert store.chunks(job.id) == []


def test_request_cancel_of_queued_and_running_jobs(store):
    running, queued = store.create(b"1"), store.create(b"2")
    store.claim("w", 60)
    q = store.request_cancel(queued.id)
    assert q.state == JobState.CANCELLED and q.cancel_requested
    r = store.request_cancel(running.id)
    assert r.state == JobState.RUNNING and r.cancel_requested
    assert store.claim("w2", 60) is None  # the cancelled queued job is not handed out
    assert store.mark_cancelled(running.id, "w")
    assert store.get(running.id).state == JobState.CANCELLED


def test_claim_is_atomic_across_threads(store):
    ids = {store.create(str(i).encode()).id for i in range(120)}
    claimed: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(6)

    def worker(n: int) -> None:
        own = JobStore(store.path)  # its own connections, like another component would
        start.wait()
        while (rec := own.claim(f"t{n}", 60)) is not None:
            with lock:
                claimed.append(rec.id)
        own.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(claimed) == sorted(ids)  # each exactly once
    assert all(store.get(j).attempts == 1 for j in ids)


def test_claim_is_atomic_across_processes(store):
    ids = {store.create(str(i).encode()).id for i in range(150)}
    mp = multiprocessing.get_context("spawn")
    barrier, results = mp.Barrier(3), mp.Queue()
    procs = [
        mp.Process(target=claim_until_empty, args=(store.path, f"p{n}", barrier, results)) for n in range(3)
    ]
    for p in procs:
        p.start()
    got = [results.get(timeout=30) for _ in procs]
    for p in procs:
        p.join(timeout=10)
        assert p.exitcode == 0
    claimed = [j for _, jobs in got for j in jobs]
    assert sorted(claimed) == sorted(ids)
    owners = {store.get(j).lease_owner for j in ids}
    assert owners <= {"p0", "p1", "p2"}


def test_wait_for_change_wakes_on_progress_in_process(store, monkeypatch):
    monkeypatch.setattr(store_module, "POLL_INTERVAL_S", 5.0)  # so only a notify can wake it
    job = store.create(b"r")
    store.claim("w", 60)
    seen = store.get(job.id)
    woke: list[float] = []

    def waiter() -> None:
        rec = store.wait_for_change(job.id, seen.version, timeout=5)
        woke.append(time.monotonic())
        assert rec.frames_done == 3

    t = threading.Thread(target=waiter)
    t.start()
    time.sleep(0.1)
    sent = time.monotonic()
    store.update_progress(job.id, "w", "render", 3, 10)
    t.join(5)
    assert woke and woke[0] - sent < 1.0


def test_wait_for_change_times_out_and_sees_other_processes(store):
    job = store.create(b"r")
    start = time.monotonic()
    same = store.wait_for_change(job.id, job.version, timeout=0.3)
    assert same.version == job.version and time.monotonic() - start >= 0.3
    # Another JobStore has its own condition: only the poll can see its writes.
    other = JobStore(store.path)
    threading.Timer(0.1, lambda: other.request_cancel(job.id)).start()
    changed = store.wait_for_change(job.id, job.version, timeout=3)
    assert changed.state == JobState.CANCELLED
    other.close()


def test_schema_is_versioned_and_in_wal_mode(store, db_path):
    db = sqlite3.connect(db_path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    job = store.create(b"r")
    JobStore(db_path).close()  # reopening migrates nothing and keeps the data
    assert store.get(job.id).request == b"r"
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(FailedPrecondition, match="newer"):
        JobStore(db_path)


def test_state_changes_are_durable_and_progress_is_cheap(store):
    conns = store._conns()
    assert conns.durable.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert conns.fast.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL


def test_job_state_mirrors_the_proto():
    for state in JobState:
        assert engine_pb2.JobState.Value(f"JOB_STATE_{state.name}") == state.value
    assert len(engine_pb2.JobState.keys()) == len(JobState) + 1  # + UNSPECIFIED
