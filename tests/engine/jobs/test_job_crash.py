"""A real crash: SIGKILL an engine process mid-job; the next engine resumes the job
from its last recorded chunk (issue 2, Done-when 4, at the job layer)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from retakes.engine.jobs import JobState, JobStore, LocalExecutor
from tests.support.jobs_fakes import ChunkedJob, spec

CHILD = Path(__file__).with_name("crash_child.py")


def start_engine(db: Path, work: Path, log: Path, lease: float) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(CHILD), str(db), str(work), str(log), str(lease)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def run_to_end(store: JobStore, runner: ChunkedJob, job_id: str, timeout: float = 10.0):
    executor = LocalExecutor(store, runner, lease_seconds=30.0, poll_interval=0.05)
    executor.start()
    try:
        rec = store.get(job_id)
        deadline = time.monotonic() + timeout
        while not rec.terminal and time.monotonic() < deadline:
            rec = store.wait_for_change(job_id, rec.version, timeout=0.5)
        return rec, executor.owner
    finally:
        executor.shutdown(wait=True)


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL and dead-owner detection are POSIX")
def test_sigkill_mid_job_then_restart_resumes_from_the_last_chunk(tmp_path):
    db, work, log = tmp_path / "jobs.db", tmp_path / "work", tmp_path / "rendered.log"
    store = JobStore(db)
    job = store.create(spec(chunks=12, frames=4, sleep=0.08))

    # A lease far longer than the test: the restart must not wait for it to expire,
    # because the dead engine was on this host and its process is gone.
    child = start_engine(db, work, log, lease=60.0)
    try:
        deadline = time.monotonic() + 10
        while len(store.chunks(job.id)) < 3:
            assert child.poll() is None, child.stdout.read()
            assert time.monotonic() < deadline, "the child engine made no progress"
            time.sleep(0.01)
        os.kill(child.pid, signal.SIGKILL)
        child.wait(5)  # reaped, so its pid is really gone
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    killed = store.get(job.id)
    assert killed.state == JobState.RUNNING and killed.attempts == 1
    checkpointed = {c.index for c in store.chunks(job.id)}
    assert 3 <= len(checkpointed) < 12

    started = time.monotonic()
    rec, owner = run_to_end(store, ChunkedJob(work, log), job.id)
    assert rec.state == JobState.SUCCEEDED, (rec.state, rec.error_message)
    assert rec.attempts == 2
    assert time.monotonic() - started < 10  # not the 60 s lease

    lines = [line.split() for line in log.read_text().splitlines()]
    dead_owner = {o for o, _ in lines if o != owner}
    assert len(dead_owner) == 1
    by_restart = [int(i) for o, i in lines if o == owner]
    assert not checkpointed & set(by_restart), "chunks recorded before the kill were rendered again"
    assert sorted(checkpointed | set(by_restart)) == list(range(12))
    # At most the one chunk in flight at the kill was rendered twice.
    assert len(lines) - 12 <= 1

    # The resumed result is byte-identical to an uninterrupted run's.
    clean = JobStore(tmp_path / "clean.db")
    fresh = clean.create(spec(chunks=12, frames=4, sleep=0.0))
    fresh_rec, _ = run_to_end(clean, ChunkedJob(tmp_path / "clean"), fresh.id)
    assert fresh_rec.result == rec.result
    clean.close()
    store.close()


def test_an_engine_on_another_host_waits_for_the_lease(tmp_path):
    """Dead-owner detection only trusts owners on this host; others expire by lease."""
    store = JobStore(tmp_path / "jobs.db")
    job = store.create(spec(chunks=2, sleep=0.0))
    store.claim("elsewhere:1:abcd", lease_seconds=0.5)
    rec, _ = run_to_end(store, ChunkedJob(tmp_path / "work"), job.id, timeout=5)
    assert rec.state == JobState.SUCCEEDED and rec.attempts == 2
    assert rec.updated_at - rec.created_at >= 0.5
    store.close()
