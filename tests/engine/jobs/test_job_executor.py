"""LocalExecutor: running, failing, cancelling, concurrency, progress, shutdown."""

from __future__ import annotations

import asyncio
import logging
import threading
import time

import pytest

from retakes.engine.jobs import JobRecord, JobState, JobStore, LocalExecutor, watch_job
from tests.support.jobs_fakes import ChunkedJob, spec


@pytest.fixture
def store(tmp_path):
    s = JobStore(tmp_path / "jobs.db")
    yield s
    s.close()


@pytest.fixture
def runner(tmp_path):
    return ChunkedJob(tmp_path / "work")


@pytest.fixture
def make_executor(store, runner):
    made: list[LocalExecutor] = []

    def make(**kw) -> LocalExecutor:
        kw.setdefault("lease_seconds", 2.0)
        kw.setdefault("poll_interval", 0.05)
        ex = LocalExecutor(store, kw.pop("run_job", runner), cleanup=runner.cleanup, **kw)
        ex.start()
        made.append(ex)
        return ex

    yield make
    for ex in made:
        ex.shutdown(wait=True)


def wait_until(predicate, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.01)


def wait_terminal(store: JobStore, job_id: str, timeout: float = 5.0) -> JobRecord:
    rec = store.get(job_id)
    deadline = time.monotonic() + timeout
    while not rec.terminal:
        left = deadline - time.monotonic()
        assert left > 0, f"job still {rec.state.name} at stage {rec.stage}"
        rec = store.wait_for_change(job_id, rec.version, timeout=left)
    return rec


def test_runs_a_job_to_success_with_progress(store, runner, make_executor):
    ex = make_executor()
    job = store.create(spec(chunks=4, frames=5, sleep=0.05))
    ex.submit(job.id)
    rec = wait_terminal(store, job.id)
    assert rec.state == JobState.SUCCEEDED
    assert rec.result and len(rec.result) == 64  # the fake's sha256 hex
    assert (rec.frames_done, rec.frames_total, rec.attempts, rec.lease_owner) == (20, 20, 1, None)
    assert [i for _, i in runner.rendered] == [0, 1, 2, 3]
    assert runner.cleaned == []  # a success keeps its files for the runner to use


def test_progress_reports_fps_and_eta_and_wakes_watchers(store, make_executor):
    job = store.create(spec(chunks=8, frames=10, sleep=0.05))
    seen: list[JobRecord] = []

    def watch() -> None:
        rec = store.get(job.id)
        while not rec.terminal:
            rec = store.wait_for_change(job.id, rec.version, timeout=5)
            seen.append(rec)

    watcher = threading.Thread(target=watch)
    watcher.start()
    make_executor(progress_interval=0.0)
    watcher.join(10)
    rendering = [r for r in seen if r.stage == "render"]
    assert len(rendering) >= 3  # the watcher saw progress ticks, not only the end
    mid = [r for r in rendering if 0 < r.frames_done < r.frames_total and r.fps > 0]
    assert mid, "no tick carried a rate"
    # ~10 frames per ~0.05 s chunk: about 200 fps; ETA = frames left / fps.
    assert all(20 < r.fps < 400 for r in mid)
    for r in mid:
        assert r.eta_seconds == pytest.approx((r.frames_total - r.frames_done) / r.fps, rel=1e-6)
    assert seen[-1].state == JobState.SUCCEEDED


def test_a_retakes_error_fails_the_job_with_its_code_and_field(store, runner, make_executor):
    make_executor()
    job = store.create(spec(chunks=3, fail_at=1, fail="invalid"))
    rec = wait_terminal(store, job.id)
    assert rec.state == JobState.FAILED
    assert (rec.error_code, rec.error_field) == ("INVALID_ARGUMENT", "mask")
    assert "854x480" in rec.error_message
    assert runner.cleaned == [job.id]  # a failed job is never resumed: its temp files go


def test_an_unexpected_exception_is_internal_and_hides_its_text(store, make_executor, caplog):
    make_executor()
    job = store.create(spec(chunks=3, fail_at=0, fail="crash"))
    with caplog.at_level(logging.ERROR, logger="retakes.engine.jobs.executor"):
        rec = wait_terminal(store, job.id)
    assert rec.state == JobState.FAILED and rec.error_code == "INTERNAL" and rec.error_field == ""
    assert "secret" not in rec.error_message
    assert "ZeroDivisionError" in caplog.text  # the traceback is in the log instead


def test_cancel_of_a_queued_job_is_immediate(store, runner, make_executor):
    ex = make_executor(max_concurrent=1)
    busy = store.create(spec(chunks=20, sleep=0.05))
    wait_until(lambda: store.get(busy.id).state == JobState.RUNNING)
    queued = store.create(spec(chunks=2))
    rec = ex.cancel(queued.id)
    assert rec.state == JobState.CANCELLED
    ex.cancel(busy.id)
    wait_terminal(store, busy.id)
    time.sleep(0.1)
    assert queued.id not in {j for j, _ in runner.rendered}
    assert store.get(queued.id).state == JobState.CANCELLED


def test_cancel_of_a_running_job_stops_within_one_chunk(store, runner, make_executor):
    ex = make_executor()
    job = store.create(spec(chunks=50, sleep=0.05))
    wait_until(lambda: len(store.chunks(job.id)) >= 2)
    at_cancel = len(runner.rendered)
    ex.cancel(job.id)
    rec = wait_terminal(store, job.id)
    assert rec.state == JobState.CANCELLED and rec.stage == "cancelled"
    assert len(runner.rendered) <= at_cancel + 1
    assert runner.cleaned == [job.id]
    assert not (runner.workdir / job.id).exists()


def test_cancel_written_by_another_process_is_seen(store, runner, make_executor, tmp_path):
    make_executor()
    job = store.create(spec(chunks=50, sleep=0.05))
    wait_until(lambda: len(store.chunks(job.id)) >= 1)
    other = JobStore(tmp_path / "jobs.db")  # no in-memory event reaches the executor
    other.request_cancel(job.id)
    at_cancel = len(runner.rendered)
    rec = wait_terminal(store, job.id)
    assert rec.state == JobState.CANCELLED
    # The DB flag is polled every 0.25 s: at most ~0.3 s of 0.05 s chunks.
    assert len(runner.rendered) <= at_cancel + 7
    other.close()


def test_max_concurrent_is_respected(store, runner, make_executor):
    jobs = [store.create(spec(chunks=3, sleep=0.05)).id for _ in range(6)]
    make_executor(max_concurrent=2)
    for j in jobs:
        assert wait_terminal(store, j).state == JobState.SUCCEEDED
    assert runner.max_active == 2


def test_jobs_run_in_claim_order_off_the_callers_thread(store, make_executor):
    threads: list[str] = []

    def run_job(record: JobRecord, ctx) -> bytes:
        threads.append(threading.current_thread().name)
        return record.request

    jobs = [store.create(f"{i}".encode()).id for i in range(3)]
    make_executor(run_job=run_job)
    results = [wait_terminal(store, j).result for j in jobs]
    assert results == [b"0", b"1", b"2"]
    assert all(name.startswith("retakes-job") for name in threads)


def test_shutdown_returns_running_jobs_to_the_queue_for_the_next_engine(store, runner, make_executor):
    first = make_executor()
    job = store.create(spec(chunks=30, sleep=0.05))
    wait_until(lambda: len(store.chunks(job.id)) >= 3)
    first.shutdown(wait=True)
    rec = store.get(job.id)
    assert rec.state == JobState.QUEUED and rec.lease_owner is None
    done_before = {c.index for c in store.chunks(job.id)}
    rendered_before = len(runner.rendered)
    second = make_executor()
    assert second.owner != first.owner
    rec = wait_terminal(store, job.id)
    assert rec.state == JobState.SUCCEEDED and rec.attempts == 2
    redone = {i for _, i in runner.rendered[rendered_before:]} & done_before
    assert redone == set()


def test_a_worker_that_lost_its_lease_stops_and_writes_nothing(store, runner, make_executor):
    ex = make_executor(lease_seconds=0.3, heartbeat_interval=0.05)
    job = store.create(spec(chunks=40, sleep=0.05))
    wait_until(lambda: len(store.chunks(job.id)) >= 1)
    # Another engine takes the job over (as if this one had stalled past its lease).
    assert store.expire_lease(job.id, ex.owner)
    thief = store.claim("thief", 60)
    assert thief.id == job.id and thief.attempts == 2
    wait_until(lambda: ex.running() == [])
    rec = store.get(job.id)
    assert rec.state == JobState.RUNNING and rec.lease_owner == "thief"
    assert runner.cleaned == []  # the new owner's files are not touched


def test_watch_job_streams_from_asyncio_until_terminal(store, make_executor):
    job = store.create(spec(chunks=6, frames=4, sleep=0.05))

    async def collect() -> list[JobRecord]:
        return [rec async for rec in watch_job(store, job.id, poll_interval=5.0)]

    make_executor(progress_interval=0.0)
    start = time.monotonic()
    events = asyncio.run(collect())
    assert time.monotonic() - start < 3  # woken by the listener, not the 5 s poll
    assert events[-1].state == JobState.SUCCEEDED
    versions = [e.version for e in events]
    assert versions == sorted(set(versions))
    assert any(e.stage == "render" and 0 < e.frames_done < 24 for e in events)


def test_a_cancel_requested_while_its_engine_was_dead_ends_cancelled_on_pickup(store, runner, make_executor):
    job = store.create(spec(chunks=3))
    store.claim("elsewhere:1:dead", lease_seconds=0.2)
    assert store.request_cancel(job.id).state == JobState.RUNNING
    make_executor()
    rec = wait_terminal(store, job.id)
    assert rec.state == JobState.CANCELLED and rec.attempts == 2
    assert runner.rendered == [] and runner.cleaned == [job.id]


def test_an_internal_error_names_the_engines_log_file(store, make_executor, tmp_path, monkeypatch):
    from retakes.engine import logs

    monkeypatch.setattr(logs, "_log_file", tmp_path / "engine.log")
    make_executor()
    job = store.create(spec(chunks=3, fail_at=0, fail="crash"))
    rec = wait_terminal(store, job.id)
    assert rec.error_code == "INTERNAL" and str(tmp_path / "engine.log") in rec.error_message
