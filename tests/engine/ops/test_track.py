"""`track`: a keyframe mask followed through a synthetic clip with exact masks."""

import numpy as np
import pytest

from retakes.engine.errors import Cancelled
from retakes.engine.ops import get_op
from retakes.engine.ops.base import EditContext
from retakes.engine.ops.track import track_masks
from retakes.engine.vision import walk
from retakes.engine.vision.scenes import ArrayMasks, ArraySource, make_scene


def iou(a, b):
    a, b = a > 127, b > 127
    return (a & b).sum() / max((a | b).sum(), 1)


@pytest.fixture(scope="module")
def scene():
    return make_scene(192, 144, 16, seed=0)


def test_track_follows_the_object_forward_and_backward(scene):
    src = ArraySource(scene.frames)
    key = 8
    got = dict(track_masks(src, src.frame_range, key, scene.masks[key], None))
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
