"""`track`: a keyframe mask followed through a synthetic clip with exact masks."""

import numpy as np
import pytest

from retakes.engine.errors import Cancelled
from retakes.engine.ops import get_op
from retakes.engine.ops.base import EditContext
from retakes.engine.ops.track import track_masks
from retakes.engine.vision import walk
from retakes.engine.vision.flow import FlowEstimator
from retakes.engine.vision.scenes import ArrayMasks, ArraySource, make_scene

from .torch_device import TORCH_DEVICE


def iou(a, b):
    a, b = a > 127, b > 127
    return (a & b).sum() / max((a | b).sum(), 1)


@pytest.fixture(scope="module")
def scene():
    return make_scene(192, 144, 16, seed=0)


@pytest.mark.parametrize("device", ["cpu", TORCH_DEVICE])
def test_track_follows_the_object_forward_and_backward(scene, device):
    """The same thresholds for the CPU path (DIS) and the GPU path (torch flow, vision.flow_torch)."""
    if device != "cpu":
        pytest.importorskip("torch")
    src = ArraySource(scene.frames)
    key = 8
    est = FlowEstimator.from_params({}, 960, device)
    got = dict(track_masks(src, src.frame_range, key, scene.masks[key], None, estimator=est))
    assert sorted(got) == list(range(16))
    js = [iou(got[i], scene.masks[i]) for i in range(16) if i != key]
    assert np.mean(js) > 0.8, js
    assert min(js) > 0.6, js


def test_track_op_renders_white_masks_and_caches(scene, tmp_path):
    src = ArraySource(scene.frames)
    op = get_op("track")()
    ctx = EditContext(
        src, src.frame_range, {"mask_frame": 0}, masks=ArrayMasks({0: scene.masks[0]}), workdir=tmp_path
    )
    op.prepare(ctx)
    out = op.render(5, scene.frames[5], ctx)
    assert out.shape == scene.frames[5].shape and out.dtype == np.uint8
    assert set(np.unique(out)) <= {0, 255}
    assert iou(out[..., 0], scene.masks[5]) > 0.7
    reads = len(src.reads)
    op2 = get_op("track")()
    op2.prepare(ctx)  # a resumed job reads the masks back instead of tracking again
    assert len(src.reads) == reads
    assert np.array_equal(op2.render(5, scene.frames[5], ctx), out)


def test_a_mask_that_cannot_be_written_fails_the_tracking_and_leaves_it_unfinished(scene, tmp_path, monkeypatch):
    """The masks are written on a thread beside the tracking: a failed write still ends it with the
    write's error, and the folder is never marked done (a resumed job tracks again)."""
    from retakes.engine.ops import track

    written = []

    def write(path, mask):
        if len(written) == 3:
            raise OSError(f"no space left on the device for {path.name}")
        written.append(path)

    monkeypatch.setattr(track, "write_png_atomically", write)
    src = ArraySource(scene.frames)
    with pytest.raises(OSError, match="no space left"):
        list(track.track_masks(src, src.frame_range, 0, scene.masks[0], tmp_path))
    assert len(written) == 3
    assert not list(tmp_path.rglob(track.DONE))


def test_track_checks_cancellation_between_frames(scene):
    src = ArraySource(scene.frames)
    calls = []

    def cancel():
        calls.append(1)
        if len(calls) > 3:
            raise Cancelled("stop")

    with pytest.raises(Cancelled):
        list(track_masks(src, src.frame_range, 0, scene.masks[0], None, check_cancelled=cancel))
    # stopped early, did not read the whole clip: the 4 frames walked, and those decoded ahead
    assert len(src.reads) <= 4 + walk.DECODE_AHEAD + 1


# --- an occluder crossing the object (issue 13): confidence, lost frames, masks on several frames ---

from retakes.engine.ops.track import track_anchors  # noqa: E402
from retakes.engine.timecode import FrameRange  # noqa: E402
from retakes.engine.vision.scenes import with_pole  # noqa: E402
from retakes.engine.vision.tracker import LOST, TrackingReport  # noqa: E402


@pytest.fixture(scope="module")
def occluded():
    """A pole sweeps right to left across the object over frames ~9-18; the classical tracker,
    given frame 0's mask, loses the object behind it and never finds it again."""
    return with_pole(make_scene(192, 144, 24, seed=0, speed=(2.5, 0.5)), x0=200, speed=-9, width=30)


def _tracked(scene, anchors):
    src = ArraySource(scene.frames)
    got = {t.index: t for t in track_anchors(src, src.frame_range, anchors, None)}
    assert sorted(got) == list(range(len(scene.frames)))
    return got, TrackingReport.of(src.frame_range, {i: t.confidence for i, t in got.items()})


def test_confidence_drops_on_the_frames_where_the_object_is_lost(occluded):
    got, report = _tracked(occluded, {0: occluded.masks[0]})
    js = {i: iou(got[i].mask, occluded.masks[i]) for i in got}
    lost = [i for i in js if js[i] < 0.1]
    assert lost and min(lost) > 10 and all(js[i] < 0.1 for i in range(min(lost), 24)), js  # the loss is real
    for i in got:  # the confidence says so: low where the object is lost, not where it is tracked
        if js[i] < 0.1:
            assert got[i].confidence < LOST, (i, js[i], got[i].confidence)
        if js[i] > 0.6:
            assert got[i].confidence >= LOST, (i, js[i], got[i].confidence)
    (where,) = report.lost()
    assert where.end == 24 and where.start <= min(lost)
    assert f"{where.start}:24" in report.note()


def test_a_second_mask_after_the_occlusion_recovers_the_object(occluded):
    anchors = {0: occluded.masks[0], 20: occluded.masks[20]}
    got, report = _tracked(occluded, anchors)
    np.testing.assert_array_equal(got[20].mask, anchors[20])  # a frame given a mask uses it exactly
    assert got[20].confidence == 1.0
    js = {i: iou(got[i].mask, occluded.masks[i]) for i in got}
    assert min(js[i] for i in range(15, 24)) > 0.8, js  # IoU 0 there with frame 0's mask alone
    assert min(js[i] for i in range(0, 12)) > 0.6, js  # and the first mask still rules before the occlusion
    assert not [r for r in report.lost() if r.end > 15], report.lost()


def test_one_mask_tracks_exactly_as_before(occluded):
    """One mask is tracked as every op tracked it before masks could be given on several frames:
    a MaskTracker walked from the key to the end, then from the key to the start (the earlier
    code, written out here), bit for bit."""
    import cv2

    from retakes.engine.vision.flow import FlowEstimator
    from retakes.engine.vision.segment import MaskTracker

    src, key = ArraySource(occluded.frames), 8
    want = {key: occluded.masks[key]}
    for direction in (1, -1):
        tracker = None
        for step in walk.walk(src, src.frame_range, key, direction, FlowEstimator()):
            if tracker is None:
                small = cv2.resize((occluded.masks[key] > 127).astype(np.float32), step.small.shape[1::-1],
                                   interpolation=cv2.INTER_AREA)
                tracker = MaskTracker(step.small, small)
                continue
            want[step.index] = tracker.step(step.small, step.flow_to_prev, step.occluded).astype(np.uint8) * 255
    got = {t.index: t.mask for t in track_anchors(src, src.frame_range, {key: occluded.masks[key]}, None)}
    for i in range(24):
        np.testing.assert_array_equal(got[i], want[i])


def test_a_report_gives_lost_frames_as_ranges():
    report = TrackingReport(10, (1.0, 0.1, 0.2, 0.9, 0.0, 1.0, 0.05))
    assert report.lost() == [FrameRange(11, 13), FrameRange(14, 15), FrameRange(16, 17)]
    assert "11:13, 14, 16" in report.note()
    assert TrackingReport(0, (1.0, 0.5)).note() is None
