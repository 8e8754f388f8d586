"""Generative video edits with a tiny Wan VACE pipeline: replace, remove, restyle, propagate.

The model is tests/learned/tiny.py's `build_vace` (diffusers' own test sizes, random weights), added
to the store through `retakes models add`. These tests hold invariant 1, the windows, resume,
cancel, progress and the errors, through the real `retakes` CLI and gRPC; they say nothing about
how good a generated picture is.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
import pytest

from retakes.engine.client import EngineClient
from retakes.engine.config import EngineConfig
from retakes.engine.media import FrameReader, probe
from retakes.engine.media.synthetic import write_index_clip
from retakes.engine.service.server import engine_in_thread
from retakes.engine.timecode import FrameRate
from retakes.v1 import engine_pb2 as pb
from tests.support.learned import retakes

FRAMES = 12
SIZES = ((48, 32), (37, 29))  # (w, h): one of the model's multiple, one odd
FAST = ("--steps", "2", "--window", "5", "--overlap", "2")


def _masks(folder: Path, w: int, h: int, frames: int = FRAMES) -> list[np.ndarray]:
    """A box that moves right a pixel a frame, one PNG per frame."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for i in range(frames):
        m = np.zeros((h, w), np.uint8)
        m[h // 4:h // 4 + h // 3, 6 + i:6 + i + w // 4] = 255
        cv2.imwrite(str(folder / f"{i:06d}.png"), m)
        out.append(m)
    return out


@pytest.fixture(scope="module")
def studio(tmp_path_factory, one_thread):
    from .tiny import build_sam2, build_vace

    root = tmp_path_factory.mktemp("gen")
    home = root / "home"
    for name, folder in (("tiny-vace", build_vace(root / "vace")), ("tiny-sam", build_sam2(root / "sam2"))):
        run = retakes("models", "add", name, str(folder), home=home)
        assert run.returncode == 0, run.stderr
    clips = {}
    for w, h in SIZES:
        clip = root / f"shot{w}x{h}.mkv"
        write_index_clip(clip, frames=FRAMES, rate=FrameRate(Fraction(24)), size=(w, h), codec="ffv1", audio=False)
        clips[(w, h)] = (clip, _masks(root / f"masks{w}x{h}", w, h), root / f"masks{w}x{h}")
    config = EngineConfig(state_dir=home, socket_path=home / "e.sock")
    with engine_in_thread(config) as running:
        yield {"root": root, "home": home, "clips": clips, "target": f"unix://{running.socket_path}"}


def _frames(path: Path) -> list[np.ndarray]:
    info = probe(path)
    with FrameReader(info) as reader:
        return [reader.frame(i) for i in range(info.frame_count)]


def _outside(mask: np.ndarray, reach: int) -> np.ndarray:
    """Pixels farther than `reach` (Chebyshev) from the mask."""
    grown = cv2.dilate((mask >= 128).astype(np.uint8), np.ones((2 * reach + 1, 2 * reach + 1), np.uint8))
    return grown == 0


def _edit(studio, size, op: str, out: Path, *extra: str, mask: bool = True) -> subprocess.CompletedProcess:
    clip, _, masks = studio["clips"][size]
    args = ["edit", str(clip), "-o", str(out), "--op", op, *FAST, "--engine", studio["target"], *extra]
    if mask:
        args += ["--mask", str(masks)]
    return retakes(*args, home=studio["home"])


def _edited_key(studio, size, tmp_path: Path, frame: int = 2) -> Path:
    """The editor's edited keyframe: the source frame with the masked box painted red."""
    clip, masks, _ = studio["clips"][size]
    image = _frames(clip)[frame].copy()
    image[masks[frame] >= 128] = (220, 30, 30)
    path = tmp_path / "key.png"
    cv2.imwrite(str(path), image[..., ::-1])
    return path


CASES = {
    "replace": ("--prompt", "a red vintage car"),
    "remove": ("--backend", "generative"),
    "restyle": ("--prompt", "16 mm film"),
    "propagate": ("--backend", "generative"),
}


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("op", list(CASES))
def test_each_op_through_the_cli_is_bit_exact_outside_the_mask(studio, tmp_path, op, size):
    extra = CASES[op]
    if op == "propagate":
        extra = (*extra, "--keyframe", "2", "--edited", str(_edited_key(studio, size, tmp_path)))
    out = tmp_path / "out"
    run = _edit(studio, size, op, out, *extra)
    assert run.returncode == 0, run.stderr
    clip, masks, _ = studio["clips"][size]
    source, edited = _frames(clip), _frames(out)
    assert len(edited) == FRAMES
    changed = 0
    for i, (s, e) in enumerate(zip(source, edited, strict=True)):
        assert e.shape == s.shape and e.dtype == s.dtype
        # the generated region's feather is 4 px; remove's own dilation (2) bounds it tighter
        outside = _outside(masks[i], 3 if op == "remove" else 5)
        np.testing.assert_array_equal(e[outside], s[outside], err_msg=f"{op} frame {i}")  # invariant 1
        changed += int((e[~outside] != s[~outside]).any())
    assert changed >= FRAMES // 2, "the model changed (almost) nothing inside the mask"


def test_restyle_without_a_mask_regenerates_the_whole_frame(studio, tmp_path):
    out = tmp_path / "out"
    run = _edit(studio, (48, 32), "restyle", out, "--prompt", "ink drawing", "--strength", "0.5", mask=False)
    assert run.returncode == 0, run.stderr
    source, edited = _frames(studio["clips"][(48, 32)][0]), _frames(out)
    assert all((e != s).mean() > 0.5 for s, e in zip(source, edited, strict=True))


def test_same_seed_same_bytes_other_seed_other_picture(studio, tmp_path):
    outs = []
    for n, seed in enumerate(("3", "3", "4")):
        out = tmp_path / f"out{n}"
        run = _edit(studio, (48, 32), "replace", out, "--prompt", "a tree", "--seed", seed)
        assert run.returncode == 0, run.stderr
        outs.append(_frames(out))
    assert all(np.array_equal(a, b) for a, b in zip(outs[0], outs[1], strict=True))
    assert any(not np.array_equal(a, c) for a, c in zip(outs[0], outs[2], strict=True))


def _request(studio, size, op: str, out: Path, **params) -> pb.EditRequest:
    clip, _, masks = studio["clips"][size]
    request = pb.EditRequest(source=pb.MediaRef(path=str(clip)), output_path=str(out), op=op)
    request.mask.path = str(masks)
    for key, value in {"steps": 2, "window": 5, "overlap": 2, **params}.items():
        if isinstance(value, str):
            request.params[key].text_value = value
        elif isinstance(value, float):
            request.params[key].number_value = value
        else:
            request.params[key].int_value = value
    return request


def test_grpc_runs_replace_with_progress_per_window_and_step(studio, tmp_path):
    with EngineClient(studio["target"]) as client:
        caps = client.capabilities()
        states = {(b.op, b.backend): b for b in caps.learned}
        for op in ("remove", "replace", "restyle", "propagate"):
            assert states[(op, "generative")].ready and states[(op, "generative")].model == "tiny-vace"
        assert "replace" in {o.name for o in caps.ops}
        job = client.submit(_request(studio, (48, 32), "replace", tmp_path / "out", prompt="a boat", steps=3))
        stages = set()
        for snapshot in client.watch(job.id):
            stages.add((snapshot.progress.stage, snapshot.progress.frames_total))
        done = client.get(job.id)
    assert done.state == pb.JOB_STATE_SUCCEEDED, done.error
    windows = [s for s in stages if s[0].startswith("generate: window")]
    # 12 frames in windows of 5 overlapping by 2: 4 windows of 3 steps
    assert {s[1] for s in windows} == {12}, stages


def test_preview_of_one_frame_runs_a_one_frame_window(studio):
    with EngineClient(studio["target"]) as client:
        image = client.preview(_request(studio, (48, 32), "replace", Path("unused"), prompt="a boat"), 5)
    assert (image.width, image.height) == (48, 32)


@pytest.mark.parametrize(("op", "params", "field", "words"), [
    ("replace", {"prompt": "   "}, "params.prompt", "empty"),
    ("replace", {"prompt": "x", "model": "tiny-sam"}, "params.model", "not video-edit"),
    ("replace", {"prompt": "x", "window": 6}, "params.window", "4k+1"),
    ("restyle", {"prompt": "x", "style": "ink"}, "params.style", "exactly one of"),
    ("restyle", {"style": "ink", "model": "tiny-vace"}, "params.model", "goes with --prompt"),
    ("remove", {"prompt": "x"}, "params.prompt", "--backend generative"),
])
def test_bad_requests_are_refused_naming_the_field(studio, tmp_path, op, params, field, words):
    with EngineClient(studio["target"]) as client, pytest.raises(Exception) as error:
        client.submit(_request(studio, (48, 32), op, tmp_path / "out", **params))
    assert getattr(error.value, "field", "").removeprefix("edit.") == field, error.value
    assert words in str(error.value)
    assert not (tmp_path / "out").exists()


def test_replace_without_a_mask_and_remove_of_the_whole_frame_are_refused(studio, tmp_path):
    run = _edit(studio, (48, 32), "replace", tmp_path / "a", "--prompt", "a boat", mask=False)
    assert run.returncode != 0 and "mask" in run.stderr
    full = tmp_path / "full.png"
    cv2.imwrite(str(full), np.full((32, 48), 255, np.uint8))
    clip = studio["clips"][(48, 32)][0]
    run = retakes("edit", str(clip), "-o", str(tmp_path / "b"), "--op", "remove", "--backend", "generative",
                  "--mask", str(full), *FAST, "--engine", studio["target"], home=studio["home"])
    assert run.returncode != 0 and "whole of frame" in run.stderr, run.stderr
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


def test_cancel_mid_window_stops_between_steps(studio, tmp_path):
    out = tmp_path / "out.mkv"
    with EngineClient(studio["target"]) as client:
        job = client.submit(_request(studio, (48, 32), "replace", out, prompt="a boat", steps=200, window=9,
                                     overlap=0))
        for snapshot in client.watch(job.id):
            if snapshot.progress.stage.startswith("generate") and snapshot.progress.frames_done >= 2:
                break
        client.cancel(job.id)
        final = client.wait(job.id)
    assert final.state == pb.JOB_STATE_CANCELLED
    assert final.progress.frames_done < 200  # stopped inside the first window's 200 steps
    assert not out.exists()


# ---------------------------------------------------------------------------------- kill and resume


def _engine(state: Path) -> tuple[subprocess.Popen, str]:
    sock = state / "e.sock"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "RETAKES_HOME": str(state)}
    proc = subprocess.Popen([sys.executable, "-m", "retakes.cli", "engine", "serve", "--socket", str(sock),
                             "--state-dir", str(state), "--lease-seconds", "1"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    target = f"unix://{sock}"
    deadline = time.monotonic() + 120
    with EngineClient(target) as probe_client:
        while not (sock.exists() and probe_client.healthy(0.5)):
            assert proc.poll() is None, "engine exited at start"
            assert time.monotonic() < deadline, "engine did not start"
            time.sleep(0.05)
    return proc, target


def test_sigkill_at_a_window_boundary_then_resume_is_byte_identical(studio, short_tmp):
    from .tiny import build_vace

    folder = build_vace(short_tmp / "vace")
    outputs = {}
    for name in ("ref", "killed"):
        state = short_tmp / name
        run = retakes("models", "add", "tiny-vace", str(folder), home=state)
        assert run.returncode == 0, run.stderr
        out = short_tmp / f"{name}.mkv"
        request = _request(studio, (48, 32), "replace", out, prompt="a boat", steps=40)
        proc, target = _engine(state)
        try:
            with EngineClient(target) as client:
                job = client.submit(request)
                if name == "ref":
                    assert client.wait(job.id).state == pb.JOB_STATE_SUCCEEDED
                    outputs[name] = out.read_bytes()
                    continue
                deadline = time.monotonic() + 120
                while not list((state / "work").rglob("window-00000/done")):
                    assert time.monotonic() < deadline and client.get(job.id).state != pb.JOB_STATE_SUCCEEDED
                    time.sleep(0.01)
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait(15)
                assert not out.exists()
                assert not list((state / "work").rglob("window-00003/done")), "killed too late"
        finally:
            if proc.poll() is None:
                proc.terminate()
                proc.wait(15)
        proc, target = _engine(state)
        try:
            with EngineClient(target) as client:
                stages = [s.progress.stage for s in client.watch(job.id)]
                done = client.get(job.id)
        finally:
            proc.terminate()
            proc.wait(15)
        assert done.state == pb.JOB_STATE_SUCCEEDED, done.error
        assert done.attempts == 2
        assert not any(s.startswith("generate: window 1 of") for s in stages), stages  # window 1 was not redone
        outputs[name] = out.read_bytes()
    assert outputs["killed"] == outputs["ref"]


# ------------------------------------------------------------------- remove: classical first, the model after


@pytest.fixture(scope="module")
def vace_runtime(tmp_path_factory, one_thread):
    """This process's model store with the tiny Wan VACE in it (for ops run in-process); the store the
    process had before (the module's engine's) is put back afterwards."""
    from retakes.engine.models import configure, runtime

    from .tiny import build_vace

    before = runtime().store.root
    root = tmp_path_factory.mktemp("rt")
    run = retakes("models", "add", "tiny-vace", str(build_vace(root / "vace")), home=root / "home")
    assert run.returncode == 0, run.stderr
    yield configure(root / "home" / "models")
    configure(before)


@pytest.mark.parametrize("pan", [(2.0, 0.5), (0.0, 0.0)], ids=["panning", "still"])
def test_generative_remove_keeps_what_frames_reveal_and_generates_only_the_rest(vace_runtime, pan):
    from retakes.engine.models import configure
    from retakes.engine.ops import get_op
    from retakes.engine.ops.base import EditContext
    from retakes.engine.ops.remove import hole_of
    from retakes.engine.vision.scenes import ArrayMasks, ArraySource, make_scene

    configure(vace_runtime.store.root)  # another module's engine may have pointed the process elsewhere
    scene = make_scene(96, 64, 10, seed=5, pan=pan)
    src, masks = ArraySource(scene.frames), ArrayMasks(dict(enumerate(scene.masks)))
    params = {"grow": 2, "backend": "generative", "steps": 1, "window": 5, "overlap": 1, "gen_feather": 2.0}
    get_op("remove").check_params(params)
    classical, generative = get_op("remove")(), get_op("remove")()
    ctx = EditContext(src, src.frame_range, {**params, "backend": "classical"}, masks=masks)
    gctx = EditContext(src, src.frame_range, params, masks=masks)
    classical.prepare(ctx)
    generative.prepare(gctx)
    generated = never_total = kept = 0
    for i, f in src.frames(src.frame_range):
        hole = hole_of(scene.masks[i], 2)
        a, b = classical.render(i, f, ctx), generative.render(i, f, gctx)
        never = generative._classical(i, f, gctx)[1]
        assert np.array_equal(b[~hole], f[~hole])  # invariant 1: outside the dilated mask, the source
        # what some frame reveals stays the classical fill, beyond the model's feather around what none does
        reach = cv2.dilate(never.astype(np.uint8), np.ones((2 * 4 + 1, 2 * 4 + 1), np.uint8)).astype(bool)
        assert np.array_equal(b[~reach], a[~reach]), f"frame {i}"
        generated += int((b != a).any(axis=2).sum())
        never_total += int(never.sum())
        kept += int((hole & ~reach).sum())  # hole pixels the classical fill gave, the model left alone
    if pan == (0.0, 0.0):  # a still camera reveals nothing behind the object: the model fills the hole
        assert never_total > 0 and generated > 0
    else:  # a panning camera reveals most of the hole: most of it is the real background, not generated
        assert kept > never_total > 0


def test_restyle_with_a_reference_image_and_a_bad_reference(studio, tmp_path):
    size = (48, 32)
    reference = _edited_key(studio, size, tmp_path)
    run = _edit(studio, size, "restyle", tmp_path / "out", "--prompt", "16 mm film", "--style-image", str(reference))
    assert run.returncode == 0, run.stderr
    clip, masks, _ = studio["clips"][size]
    for i, (s, e) in enumerate(zip(_frames(clip), _frames(tmp_path / "out"), strict=True)):
        outside = _outside(masks[i], 5)
        np.testing.assert_array_equal(e[outside], s[outside])
    (tmp_path / "not-an-image.png").write_text("no")
    run = _edit(studio, size, "restyle", tmp_path / "bad", "--prompt", "film", "--style-image",
                str(tmp_path / "not-an-image.png"))
    assert run.returncode != 0 and "style-image" in run.stderr, run.stderr
    assert not (tmp_path / "bad").exists()
