"""Clips off their rate's grid (phones, screen recorders): numbered in order, as Resolve does."""

from __future__ import annotations

import math
import random
from fractions import Fraction
from itertools import accumulate

import numpy as np
import pytest
from test_media_output import audio_samples, encode_range

from retakes.engine.errors import InvalidArgument
from retakes.engine.media import FrameReader, probe
from retakes.engine.media.synthetic import SAMPLE_RATE, index_frame, read_burnt_index, tone, write_clip
from retakes.engine.media.timing import frame_timing
from retakes.engine.timecode import FrameRange


def stamps(steps: list[int]) -> list[int]:
    return [0, *accumulate(steps)]


def test_timestamps_on_the_grid_keep_the_constant_rate_whatever_the_average_says():
    """The average disagrees only because the last frame's duration was written oddly."""
    timing = frame_timing(stamps([20] * 59), Fraction(1, 600), Fraction(30), name="a.mov")
    assert timing.rate.value == 30 and timing.frame_pts is None


def test_a_phones_jitter_and_a_dropped_frame_are_numbered_in_order_at_its_typical_rate():
    rng = random.Random(3)
    steps = [step for _ in range(20) for step in rng.sample((19, 21, 20, 20), 4)]  # a tick early or late
    steps[40] = 40  # a dropped frame: the next picture comes two durations later
    pts = stamps(steps)
    shuffled = pts[:]
    rng.shuffle(shuffled)  # packets come in decode order (B-frames)
    # FFmpeg's base rate for such a clip can be 29.97: the coarsest clock its ticks fit
    timing = frame_timing(shuffled, Fraction(1, 600), Fraction(30000, 1001), name="a.mov")
    assert timing.rate.value == 30  # its frames are 20 ticks of 1/600 s apart
    assert timing.frame_pts == tuple(pts)  # frame n is the n-th picture


def test_a_base_rate_that_is_only_a_clock_gives_way_to_the_standard_rate_of_the_typical_step():
    """Android stamps 90 kHz ticks around 3003 apart; FFmpeg's base rate can be the clock's."""
    steps = [3003 + jitter for jitter in (35, -35, 10, -10) * 30]
    timing = frame_timing(stamps(steps), Fraction(1, 90000), Fraction(90000), name="a.mp4")
    assert timing.rate.value == Fraction(30000, 1001)
    assert timing.frame_pts is not None and len(timing.frame_pts) == 121


@pytest.mark.parametrize(
    "steps",
    [
        [20] * 30 + [40] * 30,  # 30 fps that falls to 15 in low light: the sound would drift by a second
        [20, 20, 6, 20] * 15,  # a burst of frames closer than half a frame
        [20] * 40 + [100] + [20] * 40,  # a five-frame hole
    ],
)
def test_a_clip_too_far_from_a_constant_rate_is_refused_naming_the_field(steps):
    with pytest.raises(InvalidArgument) as err:
        frame_timing(stamps(steps), Fraction(1, 600), Fraction(30), name="v.mov", field="edit.source")
    assert err.value.field == "edit.source"
    assert "v.mov has a variable frame rate" in err.value.message and "conform it" in err.value.message


FRAMES = 48


def phone_times() -> list[Fraction]:
    """A 30 fps phone clip's presentation times: a tick of jitter and one dropped frame."""
    steps = [Fraction(3000 + 10 * (-1) ** i, 90000) for i in range(FRAMES - 1)]  # 90 kHz ticks
    steps[20] = Fraction(6000, 90000)
    return [Fraction(0), *accumulate(steps)]


@pytest.fixture(scope="module")
def phone_clips(tmp_path_factory) -> dict[str, object]:
    root = tmp_path_factory.mktemp("phone")
    return {
        name: write_clip(
            root / name,
            lambda i: index_frame(i, (192, 108)),
            frames=FRAMES,
            rate=30,
            frame_times=phone_times(),
            audio=name.endswith(".mov"),
            gop=12,
        )  # fmt: skip
        for name in ("phone.mov", "phone.mp4")  # ProRes with sound; H.264 with B-frames
    }


@pytest.mark.parametrize("name", ["phone.mov", "phone.mp4"])
def test_a_phone_clip_decodes_every_picture_as_its_own_frame_in_and_out_of_order(phone_clips, name):
    info = probe(phone_clips[name])
    assert (info.frame_count, info.rate.value) == (FRAMES, 30)
    assert info.frame_pts is not None
    with FrameReader(info) as reader:
        assert [read_burnt_index(f) for _, f in reader.frames(FrameRange(0, FRAMES))] == list(range(FRAMES))
        order = list(range(FRAMES))
        random.Random(2).shuffle(order)
        for index in order[:12]:  # seeks, as a preview or a chunk worker does
            assert read_burnt_index(reader.frame(index)) == index


def test_a_phone_clips_range_keeps_its_pictures_and_the_sound_under_them(phone_clips, tmp_path):
    """The output is constant-rate; its sound is the source's from frame A's time to frame B's."""
    frames = FrameRange(10, 40)
    out = encode_range(phone_clips["phone.mov"], frames, tmp_path / "out.mov")
    info = probe(out)
    assert (info.frame_count, info.rate.value, info.frame_pts) == (len(frames), 30, None)
    with FrameReader(info) as reader:
        assert [read_burnt_index(f) for _, f in reader.frames(FrameRange(0, len(frames)))] == list(frames)
    times = phone_times()
    first, end = (math.floor(times[i] * SAMPLE_RATE) for i in (frames.start, frames.end))
    samples = audio_samples(out)
    assert samples.shape == (2, end - first)
    assert np.array_equal(samples, tone(first, end - first))
