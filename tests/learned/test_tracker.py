"""The learned tracker (SAM 2 video through transformers) with a tiny model: CLI, gRPC, memory, errors.

A tiny random SAM 2 cannot follow anything; these tests hold the contract: every frame once, at
the frame's size, 0/255 masks with a confidence in [0, 1], the same masks for the same input,
memory held flat in clip length, the edge refinement at 4K, and what happens without weights.
"""

from __future__ import annotations

import shutil
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
import pytest

from retakes.engine.client import EngineClient
from retakes.engine.config import EngineConfig
from retakes.engine.learned.sam2_tracker import Sam2Tracker, TrackStats
from retakes.engine.media import probe
from retakes.engine.media.synthetic import write_index_clip
from retakes.engine.service.server import engine_in_thread
from retakes.engine.timecode import FrameRange, FrameRate
from retakes.engine.vision.scenes import ArraySource, make_scene
from retakes.v1 import engine_pb2 as pb
from tests.support.learned import retakes


@pytest.fixture(scope="module")
def tracker(tiny, one_thread) -> Sam2Tracker:
    from transformers import Sam2VideoModel

    model = Sam2VideoModel.from_pretrained(str(tiny["sam2"]), local_files_only=True).eval()
    return Sam2Tracker(model, Path(tiny["sam2"]))


def test_every_frame_once_as_a_full_size_mask_with_a_confidence(tracker):
    scene = make_scene(160, 96, 10, seed=1)
    source = ArraySource(scene.frames)
    keys = {4: scene.masks[4]}
    got = list(tracker.track(source, source.frame_range, keys))
    assert [t.index for t in got] == [4, 5, 6, 7, 8, 9, 3, 2, 1, 0]  # outward from the key
    for t in got:
        assert t.mask.shape == (96, 160) and t.mask.dtype == np.uint8
        assert set(np.unique(t.mask)) <= {0, 255} and 0.0 <= t.confidence <= 1.0
    again = list(tracker.track(source, source.frame_range, keys))
    assert all(np.array_equal(a.mask, b.mask) and a.confidence == b.confidence for a, b in zip(got, again, strict=True))


def test_memory_is_flat_in_clip_length(tracker):
    """What the session holds after the window filled is the same at 14 frames and at 28."""
    held = []
    for n in (14, 28):
        scene = make_scene(96, 64, n, seed=2)
        stats = TrackStats()
        for _ in tracker.track(ArraySource(scene.frames), FrameRange(0, n), {0: scene.masks[0]}, stats=stats):
            pass
        assert stats.frames == n
        held.append(stats.peak_held_bytes)
    assert held[0] == held[1] and held[0] > 0


def test_the_upscaled_mask_is_refined_at_4k_toward_the_pictures_edges(tracker):
    """SAM 2's logits are 256 px across (15 px a cell at 4K): the mask's edge is pulled toward the frame's."""
    import torch

    logits = torch.full((1, 1, 256, 256), -8.0)
    logits[..., 128:] = 8.0  # the logits' own edge: x = 1920 at 4K
    edges = []
    for picture_edge in (None, 1910, 1930):
        frame = np.zeros((2160, 3840, 3), np.uint16)
        if picture_edge is not None:
            frame[:, picture_edge:] = 60000
        mask, _ = tracker._refine(logits, frame)
        assert mask.shape == (2160, 3840) and mask.dtype == np.uint8
        edges.append(int(np.argmax(mask[1000] > 0)))
    plain, left, right = edges
    assert plain == 1920
    assert 1910 <= left < plain < right <= 1930, edges


def test_bad_keys_are_refused(tracker):
    scene = make_scene(96, 64, 4, seed=3)
    source = ArraySource(scene.frames)
    with pytest.raises(ValueError, match="empty"):
        list(tracker.track(source, source.frame_range, {0: np.zeros((64, 96), np.uint8)}))
    with pytest.raises(ValueError, match="outside the range"):
        list(tracker.track(source, FrameRange(0, 2), {3: scene.masks[3]}))


@pytest.fixture(scope="module")
def shot(tmp_path_factory, tiny):
    root = tmp_path_factory.mktemp("trk")
    clip = root / "shot.mkv"
    write_index_clip(clip, frames=10, rate=FrameRate(Fraction(24)), size=(128, 96), codec="ffv1")
    mask = np.zeros((96, 128), np.uint8)
    mask[30:70, 40:90] = 255
    cv2.imwrite(str(root / "key.png"), mask)
    home = root / "home"
    assert retakes("models", "add", "tiny-sam", str(tiny["sam2"]), home=home).returncode == 0
    return root, clip, home


def test_track_backend_learned_through_the_cli(shot, tmp_path):
    root, clip, home = shot
    out = tmp_path / "masks"
    run = retakes("track", str(clip), "-o", str(out), "--mask", str(root / "key.png"), "--keyframe", "2",
                  "--backend", "learned", home=home)
    assert run.returncode == 0, run.stderr
    files = sorted(out.iterdir())
    assert [f.name for f in files] == [f"{i:05d}.png" for i in range(10)]
    first = cv2.imread(str(files[2]), cv2.IMREAD_UNCHANGED)
    assert first.shape == (96, 128) and set(np.unique(first)) <= {0, 255}


def test_track_backend_learned_through_grpc_and_capabilities(shot, tmp_path, one_thread):
    root, clip, home = shot
    config = EngineConfig(state_dir=home, socket_path=home / "e.sock")
    with engine_in_thread(config) as running, EngineClient(f"unix://{running.socket_path}") as client:
        learned = {(b.op, b.backend): b for b in client.capabilities().learned}
        assert learned[("track", "learned")].state == "ready (tiny-sam)"
        assert not learned[("keyframe", "inpaint")].ready
        assert learned[("keyframe", "inpaint")].state.startswith(
            "needs weights: retakes models pull sd-inpainting --accept-licence creativeml-openrail-m")
        request = pb.EditRequest(source=pb.MediaRef(path=str(clip)), output_path=str(tmp_path / "matte.mkv"),
                                 op="track", mask=pb.MediaRef(path=str(root / "key.png")), mask_frame=0)
        request.params["backend"].text_value = "learned"
        job = client.run_edit(request)
        assert job.state == pb.JOB_STATE_SUCCEEDED, job.error.message
        assert probe(tmp_path / "matte.mkv").frame_count == 10
        assert running.engine.learned.cache.loaded() == ["tiny-sam"]


def test_without_weights_learned_is_refused_at_submit_and_auto_stays_classical(shot, tmp_path):
    root, clip, _ = shot
    empty = tmp_path / "home"
    out = tmp_path / "masks"
    run = retakes("track", str(clip), "-o", str(out), "--mask", str(root / "key.png"), "--keyframe", "0",
                  "--backend", "learned", home=empty)
    assert run.returncode == 1
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, run.stderr
    assert lines[0].startswith("retakes: error: --backend: needs weights: retakes models pull sam2.1-hiera-tiny")
    assert not out.exists()
    run = retakes("track", str(clip), "-o", str(out), "--mask", str(root / "key.png"), "--keyframe", "0",
                  "--range", "0:4", home=empty)
    assert run.returncode == 0, run.stderr  # auto, with no weights: the classical tracker, as before
    assert len(list(out.iterdir())) == 4


# --- every op that tracks a keyframe mask: EditRequest.tracker (--tracker) --------------------------


def _edit(shot, out: Path, *extra: str, home: Path | None = None, op: str = "recolor"):
    root, clip, own_home = shot
    opts = ("--hue", "90") if op == "recolor" else ()
    return retakes("edit", str(clip), "-o", str(out), "--op", op, *opts, "--codec", "ffv1",
                   "--mask", str(root / "key.png"), "--mask-frame", "2", *extra, home=home or own_home)


@pytest.mark.parametrize("op", ["recolor", "remove"])
def test_an_op_carries_its_keyframe_mask_with_the_learned_tracker_through_the_cli(shot, tmp_path, op):
    learned = _edit(shot, tmp_path / "learned.mkv", "--tracker", "learned", op=op)
    assert learned.returncode == 0, learned.stderr
    said = learned.stdout + learned.stderr
    assert "carried through the clip by the learned tracker (tiny-sam)" in said
    assert probe(tmp_path / "learned.mkv").frame_count == 10
    classical = _edit(shot, tmp_path / "classical.mkv", "--tracker", "classical", op=op)
    assert classical.returncode == 0, classical.stderr
    assert "learned tracker" not in classical.stdout + classical.stderr
    # the op's masks came from the other tracker (a tiny random SAM 2 does not follow the box as flow does)
    assert (tmp_path / "learned.mkv").read_bytes() != (tmp_path / "classical.mkv").read_bytes()


def test_a_range_of_only_the_drawn_frame_does_not_say_a_tracker_carried_it(shot, tmp_path):
    only_key = _edit(shot, tmp_path / "key.mkv", "--tracker", "learned", "--range", "2:3")
    assert only_key.returncode == 0, only_key.stderr
    assert "learned tracker" not in only_key.stdout + only_key.stderr
    assert probe(tmp_path / "key.mkv").frame_count == 1


def test_auto_is_the_learned_tracker_with_weights_and_the_classical_one_without(shot, tmp_path):
    with_weights = _edit(shot, tmp_path / "auto.mkv")
    assert with_weights.returncode == 0, with_weights.stderr
    assert "by the learned tracker (tiny-sam)" in with_weights.stdout + with_weights.stderr
    empty = tmp_path / "home"
    without = _edit(shot, tmp_path / "plain.mkv", home=empty)
    classical = _edit(shot, tmp_path / "classical.mkv", "--tracker", "classical", home=empty)
    assert without.returncode == classical.returncode == 0, without.stderr + classical.stderr
    assert "learned tracker" not in without.stdout + without.stderr
    # with no weights, auto is exactly the classical tracker as before
    assert (tmp_path / "plain.mkv").read_bytes() == (tmp_path / "classical.mkv").read_bytes()


def test_the_learned_tracker_through_grpc_for_a_recolor(shot, tmp_path, one_thread):
    root, clip, home = shot
    config = EngineConfig(state_dir=home, socket_path=home / "e2.sock")
    with engine_in_thread(config) as running, EngineClient(f"unix://{running.socket_path}") as client:
        request = pb.EditRequest(source=pb.MediaRef(path=str(clip)), output_path=str(tmp_path / "out.mkv"),
                                 op="recolor", mask=pb.MediaRef(path=str(root / "key.png")), mask_frame=3,
                                 tracker="learned", tracker_model="tiny-sam")
        request.params["hue"].number_value = 45
        job = client.run_edit(request)
        assert job.state == pb.JOB_STATE_SUCCEEDED, job.error.message
        assert any("learned tracker (tiny-sam)" in note for note in job.result.notes), job.result.notes
        assert running.engine.learned.cache.loaded() == ["tiny-sam"]


@pytest.mark.parametrize(("extra", "home_kind", "expected"), [
    (("--tracker", "learned"), "empty",
     "--tracker: needs weights: retakes models pull sam2.1-hiera-tiny"),
    (("--tracker-model", "nope"), "shot", "--tracker-model: "),
    (("--tracker", "classical", "--tracker-model", "tiny-sam"), "shot",
     "--tracker-model: a model is for the learned tracker"),
])
def test_a_tracker_that_cannot_run_is_one_line_naming_the_option_and_nothing_is_written(
        shot, tmp_path, extra, home_kind, expected):
    out = tmp_path / "out.mkv"
    run = _edit(shot, out, *extra, home=tmp_path / "home" if home_kind == "empty" else None)
    assert run.returncode == 1
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith(f"retakes: error: {expected}"), run.stderr
    assert not out.exists()


def test_the_learned_tracker_where_nothing_is_tracked_is_refused(shot, tmp_path):
    root, clip, home = shot
    masks = tmp_path / "masks"
    masks.mkdir()
    for i in range(10):
        shutil.copyfile(root / "key.png", masks / f"{i:05d}.png")
    per_frame = retakes("edit", str(clip), "-o", str(tmp_path / "a.mkv"), "--op", "recolor", "--hue", "30",
                        "--mask", str(masks), "--tracker", "learned", home=home)
    assert per_frame.returncode == 1
    assert "--tracker: there is no keyframe mask to track" in per_frame.stderr
    track = retakes("edit", str(clip), "-o", str(tmp_path / "b.mkv"), "--op", "track", "--mask", str(root / "key.png"),
                    "--tracker", "learned", home=home)
    assert track.returncode == 1
    assert "--tracker: track picks its tracker with its own backend param" in track.stderr
    assert not (tmp_path / "a.mkv").exists() and not (tmp_path / "b.mkv").exists()
