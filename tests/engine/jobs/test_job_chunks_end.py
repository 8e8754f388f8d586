"""A job's chunk rows are its resume point: kept while it may resume, gone once it is final
(issue 13, item 26)."""

from __future__ import annotations

import sqlite3
import time

import pytest

from retakes.engine.jobs import JobState, JobStore
from retakes.engine.jobs import store as store_module


@pytest.fixture
def store(tmp_path):
    s = JobStore(tmp_path / "jobs.db")
    yield s
    s.close()


def _running_with_chunks(store: JobStore, owner: str = "w", lease: float = 60) -> str:
    job = store.create(b"r")
    store.claim(owner, lease)
    for i in range(3):
        assert store.record_chunk(job.id, i, f"/c{i}", f"h{i}", 8, owner=owner)
    return job.id


def _rows(store: JobStore) -> int:
    return sqlite3.connect(store.path).execute("SELECT COUNT(*) FROM chunks").fetchone()[0]


@pytest.mark.parametrize("end", ["finish", "fail", "cancel"])
def test_chunk_rows_go_when_the_job_ends(store, end):
    keep = _running_with_chunks(store, owner="other")  # another engine's job, still running
    job = _running_with_chunks(store)
    if end == "finish":
        assert store.finish(job, "w", b"result")
    elif end == "fail":
        assert store.fail(job, "w", "INTERNAL", "boom")
    else:
        store.request_cancel(job)
        assert store.mark_cancelled(job, "w")
    assert store.get(job).terminal
    assert store.chunks(job) == []
    assert len(store.chunks(keep)) == 3 and _rows(store) == 3


def test_chunk_rows_stay_while_the_job_may_resume_and_go_when_it_is_given_up(store):
    job = _running_with_chunks(store, owner="dead", lease=0.01)
    time.sleep(0.02)
    assert store.claim("e2", lease_seconds=0.01, max_attempts=3).id == job  # resumed: chunks kept
    assert len(store.chunks(job)) == 3
    assert store.release(job, "e2")  # a graceful shutdown: back in the queue, chunks kept
    assert len(store.chunks(job)) == 3
    assert store.claim("e3", lease_seconds=0.01, max_attempts=2).id == job
    time.sleep(0.02)
    assert store.claim("e4", 60, max_attempts=2) is None  # killed its engines too often: FAILED
    assert store.get(job).state == JobState.FAILED and store.chunks(job) == []


def test_a_queued_job_cancelled_after_a_shutdown_drops_its_chunks(store):
    job = _running_with_chunks(store)
    assert store.release(job, "w")
    assert store.request_cancel(job).state == JobState.CANCELLED
    assert store.chunks(job) == []


def test_rows_left_by_finished_jobs_before_the_fix_are_dropped_on_open(tmp_path, monkeypatch):
    path = tmp_path / "old.db"
    monkeypatch.setattr(store_module, "MIGRATIONS", store_module.MIGRATIONS[:1])
    monkeypatch.setattr(store_module, "SCHEMA_VERSION", 1)
    old = JobStore(path)
    done = _running_with_chunks(old)
    assert old.finish(done, "w", b"ok")
    running = _running_with_chunks(old, owner="w2")
    assert _rows(old) == 6  # what an engine before the fix left behind
    old.close()
    monkeypatch.undo()
    new = JobStore(path)
    assert new.chunks(done) == [] and len(new.chunks(running)) == 3
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == store_module.SCHEMA_VERSION
    new.close()
