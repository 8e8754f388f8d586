"""Every op that tracks the editor's mask images reports the frames it lost, and takes masks on several
frames: propagate (its own tracking, and the shared tracker's when masks come on several frames) and
remove (which tracks them itself), on an object a pole sweeps across (issue 13)."""

import numpy as np
import pytest

from retakes.engine.masks_tracked import keyframe_mask_provider
from retakes.engine.media import KeyframeMask, KeyframeMasks
from retakes.engine.ops import get_op
from retakes.engine.ops.base import EditContext
from retakes.engine.vision.metrics import psnr
from retakes.engine.vision.scenes import ArraySource, hue_rotate, make_scene, with_pole


@pytest.fixture(scope="module")
def occluded():
    scene = with_pole(make_scene(192, 144, 24, seed=0, speed=(2.5, 0.5)), x0=200, speed=-9, width=30)
    truth = [hue_rotate(f, 120, m) for f, m in zip(scene.frames, scene.masks, strict=True)]
    return scene, truth


def context(scene, op, frames, tmp_path, **fields):
    """An EditContext whose masks are the editor's images on `frames`, given as the engine gives them."""
    src = ArraySource(scene.frames)
    params = {}
    masks = None
    if frames:
        keys = KeyframeMasks(tuple(KeyframeMask(k, scene.masks[k]) for k in frames))
        masks = keyframe_mask_provider(get_op(op).spec, params, keys, src, src.frame_range, tmp_path, lambda *a: None,
                                       lambda: None)
    return EditContext(src, src.frame_range, params, masks=masks, workdir=tmp_path, **fields)


def lost(report) -> set[int]:
    return {i for r in report.tracking.lost() for i in r}


def test_propagate_reports_where_its_region_was_lost_and_a_second_mask_recovers_it(occluded, tmp_path):
    scene, truth = occluded
    results = {}
    for frames in ((), (0, 20)):
        ctx = context(scene, "propagate", frames, tmp_path / str(len(frames)), keyframes={0: truth[0]})
        op = get_op("propagate")()
        op.prepare(ctx)
        after = [psnr(op.render(i, scene.frames[i], ctx), truth[i], scene.masks[i] > 127) for i in range(16, 24)]
        results[frames] = (np.mean(after), op.report(ctx))
    (alone, report), (both, report2) = results[()], results[(0, 20)]
    assert set(range(15, 24)) <= lost(report) and min(lost(report)) >= 12, report.tracking.lost()
    assert any("lost" in n for n in report.notes)
    assert both > alone + 8, (alone, both)  # the edit follows the object again after the pole
    assert not {i for i in lost(report2) if i >= 15}, report2.tracking.lost()


def test_remove_tracks_masks_on_several_frames_and_reports_the_lost_ones(occluded, tmp_path):
    scene, _ = occluded
    for frames in ((0,), (0, 20)):
        ctx = context(scene, "remove", frames, tmp_path / str(len(frames)))
        op = get_op("remove")()
        op.prepare(ctx)
        assert ctx.params["mask_frame"] == 0
        hole = op._hole(ctx, 22)
        covered = hole[scene.masks[22] > 127].mean()
        report = op.report(ctx)
        if frames == (0,):
            assert covered < 0.2 and set(range(15, 24)) <= lost(report), (covered, report.notes)
        else:
            assert covered > 0.9 and not {i for i in lost(report) if i >= 15}, (covered, report.notes)
