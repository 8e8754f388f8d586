"""Jobs survive a killed engine, and stop cleanly when cancelled."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from fractions import Fraction
from pathlib import Path

import pytest

from retakes.engine.client import EngineClient
from retakes.engine.media.synthetic import write_index_clip
from retakes.engine.timecode import FrameRate
from retakes.v1 import engine_pb2

CHUNK = 8


@pytest.fixture(scope="module")
def long_clip(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("media") / "long.mov"
    write_index_clip(path, frames=120, rate=FrameRate(Fraction(30000, 1001)), size=(320, 180),
                     codec="prores_422hq", start_timecode="00:59:59;00", audio=True)
    return path


def start_engine_process(state: Path) -> tuple[subprocess.Popen, str]:
    sock = state / "e.sock"
    proc = subprocess.Popen(
        [sys.executable, "-m", "retakes.cli", "engine", "serve", "--socket", str(sock), "--state-dir", str(state),
         "--chunk-frames", str(CHUNK), "--lease-seconds", "1"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    target = f"unix://{sock}"
    deadline = time.monotonic() + 60
    with EngineClient(target) as probe:
        while not (sock.exists() and probe.healthy(0.5)):
            assert proc.poll() is None, "engine exited at start"
            assert time.monotonic() < deadline, "engine did not start"
            time.sleep(0.05)
    return proc, target


def relight(source: Path, out: Path) -> engine_pb2.EditRequest:
    request = engine_pb2.EditRequest(source=engine_pb2.MediaRef(path=str(source)), output_path=str(out), op="relight")
    request.params["look"].text_value = "golden-hour"
    return request


class DestinationWatcher(threading.Thread):
    """Records every size the destination is seen with, while the job runs."""

    def __init__(self, dest: Path) -> None:
        super().__init__(daemon=True)
        self.dest, self.sizes, self.stop = dest, set(), threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            with contextlib.suppress(FileNotFoundError):
                self.sizes.add(self.dest.stat().st_size)
            time.sleep(0.002)


def test_sigkill_mid_job_then_restart_finishes_byte_identical(long_clip, short_tmp):
    # The reference: an uninterrupted run.
    ref_state, ref_out = short_tmp / "ref", short_tmp / "ref.mov"
    ref_state.mkdir()
    proc, target = start_engine_process(ref_state)
    try:
        with EngineClient(target) as client:
            ref_job = client.run_edit(relight(long_clip, ref_out))
    finally:
        proc.terminate()
        proc.wait(15)
    assert ref_job.state == engine_pb2.JOB_STATE_SUCCEEDED

    state, out = short_tmp / "state", short_tmp / "out.mov"
    state.mkdir()
    watcher = DestinationWatcher(out)
    watcher.start()
    proc, target = start_engine_process(state)
    with EngineClient(target) as client:
        job = client.submit(relight(long_clip, out))
        for snapshot in client.watch(job.id):
            if snapshot.progress.frames_done >= 3 * CHUNK:
                break
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(15)
    killed_at = snapshot.progress.frames_done
    assert killed_at < 120, "the job finished before it could be killed"
    assert not out.exists()

    proc, target = start_engine_process(state)
    try:
        with EngineClient(target) as client:
            done = client.wait(job.id)
    finally:
        proc.terminate()
        proc.wait(15)
        watcher.stop.set()
        watcher.join()
    assert done.state == engine_pb2.JOB_STATE_SUCCEEDED, done.error
    assert done.attempts == 2
    assert out.read_bytes() == ref_out.read_bytes()
    assert done.result.outputs[0].sha256 == ref_job.result.outputs[0].sha256
    assert watcher.sizes <= {out.stat().st_size}, "the destination was seen holding a partial file"
    assert not any((state / "work").glob("*/segments/*")), "segments left behind"


def test_cancel_mid_job_stops_within_one_chunk_and_leaves_nothing(long_clip, short_tmp):
    from tests.support.engines import running_engine

    out = short_tmp / "cancelled.mov"
    with running_engine(short_tmp / "state", chunk_frames=CHUNK) as engine, engine.client() as client:
        job = client.submit(relight(long_clip, out))
        for snapshot in client.watch(job.id):
            if snapshot.progress.frames_done >= CHUNK:
                break
        cancelled = client.cancel(job.id)
        final = client.wait(job.id)
        work = engine.config.work_dir
    assert final.state == engine_pb2.JOB_STATE_CANCELLED
    assert final.progress.frames_done <= max(snapshot.progress.frames_done, cancelled.progress.frames_done) + CHUNK
    assert not out.exists()
    assert not work.exists() or not any(work.rglob("*")), sorted(work.rglob("*"))
    assert not list(short_tmp.glob("*.partial*")) and not list(short_tmp.glob(".*cancelled*"))
