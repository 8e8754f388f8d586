"""Jobs through a real engine whose executor is Ray (a local Ray of 2 CPUs): the same bytes as
the local executor, retries, cancel, restart, and clear refusals (issue 19)."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import psutil
import pytest

from retakes.engine.client import EngineClient, EngineError
from retakes.engine.config import RaySettings
from retakes.engine.media.synthetic import write_index_clip
from retakes.v1 import engine_pb2
from tests.support.cli import RETAKES, one_line_error, retakes
from tests.support.engines import running_engine

ray = pytest.importorskip("ray", reason="the ray extra is not installed")

CHUNK = 8
#: the long clip's length in chunks: long enough that a loaded 2-core machine still shows it mid-run
LONG_CHUNKS = 24
FRAMES = 32


@pytest.fixture(scope="module")
def media(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("media")
    clip = write_index_clip(root / "clip.mov", frames=FRAMES, rate=24, size=(256, 120), codec="prores_422hq",
                            audio=True)
    mask = np.zeros((120, 256), np.uint8)
    cv2.circle(mask, (128, 60), 30, 255, -1)
    cv2.imwrite(str(root / "key.png"), mask)
    return {"clip": clip, "mask": root / "key.png"}


def relight(source: Path, out: Path, codec: str = "") -> engine_pb2.EditRequest:
    request = engine_pb2.EditRequest(source=engine_pb2.MediaRef(path=str(source)), output_path=str(out),
                                     op="relight", codec=codec)
    request.params["look"].text_value = "golden-hour"
    return request


def recolor_tracked(media: dict[str, Path], out: Path) -> engine_pb2.EditRequest:
    """A keyframe mask tracked through the clip: the analysis the chunks share."""
    request = engine_pb2.EditRequest(source=engine_pb2.MediaRef(path=str(media["clip"])), output_path=str(out),
                                     op="recolor", codec="ffv1")
    request.mask.path = str(media["mask"])
    request.params["hue"].number_value = 120.0
    return request


def run(state: Path, request: engine_pb2.EditRequest, **config) -> engine_pb2.Job:
    with running_engine(state, chunk_frames=CHUNK, **config) as engine, engine.client() as client:
        return client.run_edit(request)


def out_name(codec: str) -> str:
    return {"png": "frames", "ffv1": "out.mkv", "dnxhr_hqx": "out.mxf"}.get(codec, "out.mov")


def tree_bytes(path: Path) -> list[tuple[str, bytes]]:
    if path.is_dir():
        return [(p.name, p.read_bytes()) for p in sorted(path.iterdir())]
    return [(path.name, path.read_bytes())]


@pytest.fixture(scope="module")
def local_runs(tmp_path_factory) -> dict:
    return {"root": tmp_path_factory.mktemp("local")}


@pytest.mark.parametrize("media_mode", ["shared", "object-store"])
@pytest.mark.parametrize("codec", ["ffv1", "prores_422hq", "prores_4444", "dnxhr_hqx", "png"])
def test_intra_frame_codecs_are_byte_identical_to_the_local_executor(local_ray, media, short_tmp, codec,
                                                                       media_mode, local_runs):
    if codec not in local_runs:  # one local reference per codec, for both media modes
        state = local_runs["root"] / codec
        local_runs[codec] = run(state, relight(media["clip"], state / out_name(codec), codec))
    local = local_runs[codec]
    ray_job = run(short_tmp / "ray", relight(media["clip"], short_tmp / "ray" / out_name(codec), codec),
                  executor="ray", ray=RaySettings(media=media_mode))
    assert local.state == engine_pb2.JOB_STATE_SUCCEEDED, local.error
    assert ray_job.state == engine_pb2.JOB_STATE_SUCCEEDED, ray_job.error
    assert tree_bytes(Path(ray_job.result.outputs[0].path)) == tree_bytes(Path(local.result.outputs[0].path))
    assert ray_job.result.outputs[0].sha256 == local.result.outputs[0].sha256


def test_tracked_mask_analysis_runs_once_and_is_shared_through_the_object_store(local_ray, media, short_tmp):
    local = run(short_tmp / "local", recolor_tracked(media, short_tmp / "local" / "out.mkv"))
    ray_job = run(short_tmp / "ray", recolor_tracked(media, short_tmp / "ray" / "out.mkv"),
                  executor="ray", ray=RaySettings(media="object-store"))
    assert ray_job.state == engine_pb2.JOB_STATE_SUCCEEDED, ray_job.error
    assert (short_tmp / "ray" / "out.mkv").read_bytes() == (short_tmp / "local" / "out.mkv").read_bytes()
    assert set(local.result.notes) < set(ray_job.result.notes)  # the tracker's report came back too
    assert any("Ray's object store" in note for note in ray_job.result.notes)


@pytest.fixture(scope="module")
def long_clip(tmp_path_factory) -> Path:
    return write_index_clip(tmp_path_factory.mktemp("long") / "long.mov", frames=LONG_CHUNKS * CHUNK, rate=24,
                            size=(256, 120), codec="prores_422hq", audio=False)


@pytest.fixture(scope="module")
def long_reference(long_clip, tmp_path_factory) -> bytes:
    state = tmp_path_factory.mktemp("reference")
    job = run(state, relight(long_clip, state / "out.mkv"))
    assert job.state == engine_pb2.JOB_STATE_SUCCEEDED, job.error
    return (state / "out.mkv").read_bytes()


def test_a_task_killed_mid_run_is_retried_and_the_output_is_identical(local_ray, long_clip, long_reference,
                                                                     short_tmp):
    out = short_tmp / "out.mkv"
    with running_engine(short_tmp / "state", chunk_frames=CHUNK, executor="ray") as engine, \
            engine.client() as client:
        job = client.submit(relight(long_clip, out))
        executor = engine.running.engine.executor
        killed = None
        deadline = time.monotonic() + 60
        while killed is None and time.monotonic() < deadline:
            runner = executor.runner_of(job.id)
            workers = runner.worker_pids() if runner is not None else {}
            rendering = {i: pid for i, (_, pid, done) in workers.items() if 0 < done < CHUNK}
            if rendering:  # a chunk half done: its worker process dies, as when its node does
                killed = max(rendering)
                os.kill(rendering[killed], signal.SIGKILL)
            time.sleep(0.02)
        assert killed is not None, "no task reported before the deadline"
        done = client.wait(job.id)
    assert done.state == engine_pb2.JOB_STATE_SUCCEEDED, done.error
    assert done.attempts == 1, "the engine restarted the job; Ray should have retried the task"
    assert out.read_bytes() == long_reference


def test_cancel_stops_every_task_and_leaves_nothing(local_ray, long_clip, short_tmp):
    out = short_tmp / "out.mkv"
    with running_engine(short_tmp / "state", chunk_frames=CHUNK, executor="ray") as engine, \
            engine.client() as client:
        job = client.submit(relight(long_clip, out))
        for snapshot in client.watch(job.id):
            if snapshot.progress.frames_done >= 1:
                break
        client.cancel(job.id)
        final = client.wait(job.id)
        work = engine.config.work_dir
        # every task gave its CPU back: none is still rendering a chunk of the job
        deadline = time.monotonic() + 20
        while ray.available_resources().get("CPU", 0) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert ray.available_resources().get("CPU", 0) == 2, ray.available_resources()
        time.sleep(0.5)
    assert final.state == engine_pb2.JOB_STATE_CANCELLED
    assert final.progress.frames_done < LONG_CHUNKS * CHUNK
    assert not out.exists()
    assert not work.exists() or not any(work.rglob("*")), sorted(work.rglob("*"))


def test_a_gpu_op_on_a_cluster_without_gpus_is_refused_naming_the_device(local_ray, media, short_tmp):
    out = short_tmp / "out.mkv"
    request = relight(media["clip"], out)
    request.device = "cuda"
    with running_engine(short_tmp / "state", chunk_frames=CHUNK, executor="ray") as engine, \
            engine.client() as client, pytest.raises(EngineError) as refused:
        client.submit(request)
    assert refused.value.field == "edit.device"
    assert "GPU" in str(refused.value) and "Ray" in str(refused.value)
    assert not out.exists()


def start_engine_process(state: Path, address: str, *extra: str) -> tuple[subprocess.Popen, str]:
    sock = state / "e.sock"
    proc = subprocess.Popen([str(RETAKES), "engine", "serve", "--socket", str(sock), "--state-dir", str(state),
                             "--chunk-frames", str(CHUNK), "--lease-seconds", "1", "--executor", "ray",
                             "--ray-address", address, *extra], stdout=subprocess.DEVNULL,
                            stderr=open(state / "engine.log", "ab"))  # noqa: SIM115 - the child holds it
    target = f"unix://{sock}"
    deadline = time.monotonic() + 60
    with EngineClient(target) as probe:
        while not (sock.exists() and probe.healthy(0.5)):
            assert proc.poll() is None, (state / "engine.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "engine did not start"
            time.sleep(0.05)
    return proc, target


def test_the_engine_killed_and_restarted_resumes_on_the_cluster(local_ray, long_clip, long_reference, short_tmp):
    state, out = short_tmp / "state", short_tmp / "out.mkv"
    state.mkdir()
    proc, target = start_engine_process(state, local_ray)
    try:
        with EngineClient(target) as client:
            job = client.submit(relight(long_clip, out))
            for snapshot in client.watch(job.id):
                if snapshot.progress.frames_done >= CHUNK:  # one chunk in: a watcher sees coalesced progress
                    break
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(15)
    assert snapshot.progress.frames_done < LONG_CHUNKS * CHUNK, "the job finished before it could be killed"
    assert not out.exists()

    proc, target = start_engine_process(state, local_ray)
    try:
        with EngineClient(target) as client:
            done = client.wait(job.id)
    finally:
        proc.terminate()
        proc.wait(15)
    assert done.state == engine_pb2.JOB_STATE_SUCCEEDED, done.error
    assert done.attempts == 2
    assert out.read_bytes() == long_reference


def test_a_bad_cluster_address_is_a_clear_error_and_nothing_is_written(short_tmp):
    state = short_tmp / "state"
    result = retakes("engine", "serve", "--socket", str(short_tmp / "e.sock"), "--state-dir", str(state),
                     "--executor", "ray", "--ray-address", "127.0.0.1:9", home=short_tmp / "home", timeout=60)
    assert result.returncode != 0
    line = one_line_error(result)
    assert "ray_address" in line and "127.0.0.1:9" in line and "no Ray cluster answers" in line
    assert not state.exists()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _unshare_flags() -> str | None:
    """A mount namespace of its own lets a Ray node miss a folder: `-m` as root, `-rm` (inside a
    user namespace) for anyone where the kernel allows it; None where neither works."""
    if shutil.which("unshare") is None or os.name != "posix":
        return None
    for flags in ("-m", "-rm"):
        if subprocess.run(["unshare", flags, "true"], capture_output=True).returncode == 0:
            return flags
    return None


@pytest.fixture
def blind_cluster(short_tmp) -> Iterator[tuple[str, Path]]:
    """A real second Ray cluster whose node cannot see the folder `hidden`: it runs in its own
    mount namespace with an empty tmpfs over it, as a node without the studio's media mount."""
    flags = _unshare_flags()
    if flags is None:
        pytest.skip("needs `unshare -m` (a mount namespace) to give a Ray node a folder it cannot see")
    hidden = short_tmp / "media"
    hidden.mkdir()
    port = _free_port()
    ray_cli = Path(sys.executable).with_name("ray")
    command = (f"mount -t tmpfs none {hidden} && exec {ray_cli} start --head --block --port {port} "
               f"--node-ip-address 127.0.0.1 --num-cpus 1 --include-dashboard false --disable-usage-stats")
    head = subprocess.Popen(["unshare", flags, "sh", "-c", command], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert head.poll() is None, "the Ray head did not start"
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
            assert time.monotonic() < deadline, "the Ray head did not start"
            time.sleep(0.2)
        time.sleep(2)  # the raylet registers after the GCS answers
        yield f"127.0.0.1:{port}", hidden
    finally:
        # --block stops the head's processes on SIGTERM, slowly on a busy machine: the ones
        # it started are ended by pid after a while (never `ray stop`, which ends every Ray here).
        started = psutil.Process(head.pid).children(recursive=True)
        os.killpg(head.pid, signal.SIGTERM)
        try:
            head.wait(3)
        except subprocess.TimeoutExpired:
            os.killpg(head.pid, signal.SIGKILL)
            head.wait(10)
        for proc in started:
            with contextlib.suppress(psutil.NoSuchProcess):
                proc.kill()


def test_a_node_without_the_media_path_is_a_clear_error_and_nothing_is_written(blind_cluster, long_clip,
                                                                                 short_tmp):
    address, hidden = blind_cluster
    clip = hidden / "clip.mov"
    shutil.copyfile(long_clip, clip)  # visible to the engine, not to the cluster's node
    state, out = short_tmp / "state", short_tmp / "out.mkv"
    state.mkdir()
    proc, target = start_engine_process(state, address, "--ray-media", "shared")
    try:
        with EngineClient(target) as client:
            done = client.run_edit(relight(clip, out))
    finally:
        proc.terminate()
        proc.wait(15)
    assert done.state == engine_pb2.JOB_STATE_FAILED
    assert done.error.field == "source", done.error
    assert str(clip) in done.error.message and "cannot read" in done.error.message and "node" in done.error.message
    assert not out.exists()
    assert not any((state / "work").rglob("*"))


def test_h264_chunks_are_joined_where_a_gop_starts_and_the_job_says_so(local_ray, media, short_tmp):
    import av

    out = short_tmp / "out.mp4"
    job = run(short_tmp / "state", relight(media["clip"], out, "h264"), executor="ray")
    assert job.state == engine_pb2.JOB_STATE_SUCCEEDED, job.error
    assert any("h264 chunks joined at chunk boundaries, each chunk starting its own GOP" in n for n in job.result.notes)
    with av.open(str(out)) as container:
        keyframes = [i for i, packet in enumerate(container.demux(video=0)) if packet.is_keyframe]
    assert set(range(0, FRAMES, CHUNK)) <= set(keyframes), keyframes  # every chunk starts on a keyframe
