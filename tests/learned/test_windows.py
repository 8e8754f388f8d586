"""Windows, joins, colour match and crop geometry of `engine.learned.video`, with a stand-in model
whose output is known exactly (tests/learned/standin.py)."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from retakes.engine.errors import InvalidArgument
from retakes.engine.learned.video import (
    FrameInput,
    WindowSettings,
    join_weights,
    match_colour,
    model_frames,
    plan_video_crop,
    plan_windows,
    run_windows,
    window_folder,
)

from .standin import StandIn


@pytest.mark.parametrize(("count", "frames"), [(1, 1), (2, 5), (5, 5), (6, 9), (81, 81), (82, 85)])
def test_model_frames_is_the_next_4k_plus_1(count, frames):
    assert model_frames(count) == frames


def test_windows_cover_the_range_overlap_and_end_at_its_end():
    windows = plan_windows(200, 81, 16)
    assert windows[0].start == 0 and windows[0].keep == 0
    assert windows[-1].end == 200
    for a, b in zip(windows, windows[1:], strict=False):
        assert b.start < a.end and b.keep == a.end - b.start >= 16  # each join overlaps by at least 16
        assert len(b) == 81
    covered = np.zeros(200, int)
    for w in windows:
        covered[w.start:w.end] += 1
    assert covered.min() >= 1


def test_short_range_is_one_window_and_bad_lengths_name_the_field():
    assert [(w.start, w.end, w.keep) for w in plan_windows(7, 81, 8)] == [(0, 7, 0)]
    with pytest.raises(InvalidArgument) as e:
        plan_windows(100, 80, 8)
    assert e.value.field == "params.window"
    with pytest.raises(InvalidArgument) as e:
        plan_windows(100, 9, 9)
    assert e.value.field == "params.overlap"


def test_join_weights_ramp_strictly_between_the_windows():
    w = join_weights(3)
    assert np.allclose(w, [0.25, 0.5, 0.75])


def test_colour_match_undoes_a_gain_and_offset_inside_the_region():
    rng = np.random.default_rng(0)
    ref = rng.uniform(0.2, 0.7, (2, 8, 8, 3)).astype(np.float32)
    shifted = ref * 0.8 + 0.1
    match = match_colour(shifted, ref, np.ones((2, 8, 8), bool))
    back = match.apply(shifted)
    assert np.allclose(back.mean(axis=(0, 1, 2)), ref.mean(axis=(0, 1, 2)), atol=1e-5)  # means exactly
    assert np.abs(back - ref).max() < 0.01  # spreads nearly (the flat-channel floor biases the gain a little)
    assert np.abs(shifted - ref).max() > 0.05


@pytest.mark.parametrize(("shape", "box"), [((37, 53, 3), (0, 5, 0, 7)), ((37, 53, 3), (30, 37, 45, 53)),
                                            ((1080, 1920, 3), (500, 580, 900, 960)),
                                            ((2161, 3841, 3), (0, 2161, 10, 20))])
def test_crop_holds_the_mask_fits_the_frame_and_has_the_model_multiple(shape, box):
    mask = np.zeros(shape[:2], np.uint8)
    mask[box[0]:box[1], box[2]:box[3]] = 255
    crop = plan_video_crop(shape, mask, multiple=16, working_area=480 * 832, aspect=832 / 480, feather=4)
    r = crop.region
    assert 0 <= r.y0 <= box[0] and box[1] <= r.y1 <= shape[0]
    assert 0 <= r.x0 <= box[2] and box[3] <= r.x1 <= shape[1]
    assert crop.work_width % 16 == 0 and crop.work_height % 16 == 0
    # the box was grown toward the model's aspect as far as the frame allowed
    aspect = (r.x1 - r.x0) / (r.y1 - r.y0)
    target = 832 / 480 if aspect >= 1 else 480 / 832
    assert abs(aspect - target) < 0.02 or (r.x1 - r.x0) == shape[1] or (r.y1 - r.y0) == shape[0]
    assert abs(crop.work_width * crop.work_height - 480 * 832) / (480 * 832) < 0.1


def test_crop_without_working_area_keeps_native_size_rounded():
    mask = np.zeros((33, 47), np.uint8)
    mask[10:20, 10:20] = 255
    crop = plan_video_crop((33, 47, 3), mask, multiple=16, working_area=None, aspect=None, feather=0)
    assert (crop.region.y1 - crop.region.y0, crop.region.x1 - crop.region.x0) == (33, 37)  # 16 px of context
    assert (crop.work_height, crop.work_width) == (32, 32)


def _clip(count: int, h: int = 24, w: int = 40):
    """Frames whose value encodes the frame index; a square mask that moves right one px a frame."""
    def frame(i: int) -> np.ndarray:
        f = np.zeros((h, w, 3), np.uint8)
        f[..., 0] = i % 251
        f[..., 1] = np.arange(w)[None, :] * 5
        f[..., 2] = 200
        return f

    def mask(i: int) -> np.ndarray:
        m = np.zeros((h, w), np.uint8)
        x = 4 + (i % 20)
        m[8:16, x:x + 8] = 255
        return m

    return frame, mask


def test_windows_run_end_to_end_outside_the_mask_is_the_source(tmp_path):
    frame, mask = _clip(30)
    model = StandIn(window=9, level=0.25)
    stored = run_windows(model, 100, 30, lambda i: FrameInput(frame(i), mask(i)), tmp_path / "gen",
                         WindowSettings(overlap=3, feather=1))
    assert len(model.calls) == len(stored.windows) > 3
    for i in range(100, 130):
        out = stored.final(i, frame(i))
        far = np.ones(mask(i).shape, bool)
        far[6:18, max(0, 2 + i % 20):14 + i % 20] = False  # beyond the feather (1 px) and one more
        assert np.array_equal(out[far], frame(i)[far])
        assert np.abs(out[10:14, 7 + i % 20:9 + i % 20].astype(int) - 64).max() <= 2  # the generated grey
    # the keep frames of window 2 are window 1's output (mask 0 there), not the source
    second = model.calls[1]
    assert (second.mask[:stored.windows[1].keep] == 0).all()
    assert (second.mask[stored.windows[1].keep:] == 255).any()


def test_join_colour_match_removes_a_window_to_window_shift_exactly(tmp_path):
    """A model that shifts everything it outputs by +0.03 (8 codes) per window: the colour match measured on the
    keep frames takes the shift back out, so every window's generated grey is the first one's."""
    frame, mask = _clip(40)
    model = StandIn(window=9, level=0.25, drift=0.03)
    stored = run_windows(model, 0, 40, lambda i: FrameInput(frame(i), mask(i)), tmp_path / "gen",
                         WindowSettings(overlap=3, feather=0))
    values = [int(stored.final(i, frame(i))[12, 8 + i % 20, 0]) for i in range(40)]
    assert max(values) - min(values) <= 1, values


def test_resume_skips_finished_windows_and_is_byte_identical(tmp_path):
    frame, mask = _clip(30)
    inputs = lambda i: FrameInput(frame(i), mask(i))  # noqa: E731
    whole = run_windows(StandIn(window=9, drift=0.03), 0, 30, inputs, tmp_path / "a", WindowSettings(overlap=3))
    # a run killed after two windows: its later windows are gone (as if never written)
    killed = run_windows(StandIn(window=9, drift=0.03), 0, 30, inputs, tmp_path / "b", WindowSettings(overlap=3))
    for w in killed.windows[2:]:
        import shutil

        shutil.rmtree(window_folder(tmp_path / "b", w.index))
    again = StandIn(window=9, drift=0.03)
    again.count = 2  # the stand-in's drift counts calls: it continues as the killed one would
    resumed = run_windows(again, 0, 30, inputs, tmp_path / "b", WindowSettings(overlap=3))
    assert len(again.calls) == len(whole.windows) - 2  # only the unfinished windows ran again
    for i in range(30):
        assert np.array_equal(whole.final(i, frame(i)), resumed.final(i, frame(i)))


def _peak(count: int, folder) -> int:
    frame, mask = _clip(count, 64, 96)
    tracemalloc.start()
    run_windows(StandIn(window=9, record=False), 0, count, lambda i: FrameInput(frame(i), mask(i)), folder,
                WindowSettings(overlap=2))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def test_200_frames_go_through_in_windows_with_flat_memory(tmp_path):
    short, long = _peak(50, tmp_path / "short"), _peak(200, tmp_path / "long")
    assert len(list((tmp_path / "long").glob("window-*"))) == len(plan_windows(200, 9, 2)) >= 20
    # four times the frames, the same peak (one window in memory); allow 25 % for allocator noise
    assert long < short * 1.25, (short, long)


def test_a_window_whose_masks_are_empty_keeps_the_base_and_calls_no_model(tmp_path):
    frame, _ = _clip(12)
    empty = np.zeros((24, 40), np.uint8)
    model = StandIn(window=5)
    stored = run_windows(model, 0, 12, lambda i: FrameInput(frame(i), empty), tmp_path / "gen", WindowSettings())
    assert not model.calls
    assert all(np.array_equal(stored.final(i, frame(i)), frame(i)) for i in range(12))
