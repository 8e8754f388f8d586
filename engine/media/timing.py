"""Which frame is which, in a video whose timestamps stray from a constant-rate grid.

Phones, screen recorders and some muxers write video whose frames are not all one
frame-duration apart: the timestamps jitter by a tick, a frame is dropped now and then, or
the container's average rate disagrees with its base rate only because the last frame's
duration was written oddly. Editors still get such clips into the NLE, and DaVinci Resolve
numbers their frames in order, at the clip's frame rate: frame n is the n-th picture. For a
version to land back on the frames it was made from, retakes must number them the same way.

So a stream whose rates disagree is looked at packet by packet (demuxing only, no decoding):
- every timestamp on its base rate's grid, one after the other: a constant-rate clip after
  all, decoded on the grid like any other;
- a typical step (the mean of the steps near the median: dropped frames do not move it,
  and a tick of jitter either way evens out) within 3% of a standard rate's frame, an
  average rate within 3% of that rate, and every step between half and two and a half of
  its frames: frames are numbered in presentation order at that rate, and `frame_pts`
  lists their timestamps. (FFmpeg's base rate is only the coarsest clock the timestamps
  fit: 29.97 for a 30 fps clip with a tick of jitter, or 90000.)
- anything looser (a rate that switches mid-clip, a screen recording that idles) is
  refused: it must be conformed to a constant rate first.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from itertools import pairwise
from statistics import median

from ..errors import InvalidArgument
from ..timecode import FrameRate

log = logging.getLogger(__name__)

#: The rates cameras and phones record at. A clip is conformed to one of them, so its
#: version has a rate every NLE and every timecode counter knows.
STANDARD_RATES = tuple(
    Fraction(r)
    for r in (
        Fraction(24000, 1001), 24, 25, Fraction(30000, 1001), 30, Fraction(48000, 1001), 48, 50,
        Fraction(60000, 1001), 60, 100, Fraction(120000, 1001), 120, 240,
    )
)  # fmt: skip
#: How far the typical step's rate, and the average rate, may be from the standard rate the
#: frames are numbered at (the average falls 1/n for each frame in n dropped).
TOLERANCE = Fraction(3, 100)
#: The shortest and longest step between two frames, in frames of the conformed rate.
STEP_LIMITS = (Fraction(1, 2), Fraction(5, 2))


@dataclass(frozen=True)
class FrameTiming:
    """How a video's frames are numbered: its rate, and for a clip numbered in order, the
    timestamps of its frames (None: frame n is at n frame-durations from the first)."""

    rate: FrameRate
    frame_pts: tuple[int, ...] | None = None


def frame_timing(
    pts: Sequence[int],
    time_base: Fraction,
    base_rate: Fraction,
    *,
    name: str,
    field: str = "source",
) -> FrameTiming:
    """The timing of a stream whose packets carry `pts` (any order), in `time_base` units.

    `base_rate` is FFmpeg's guess of the stream's rate (the lowest that represents its
    timestamps). Raises InvalidArgument for a clip too far from any constant rate.
    """
    stamps = sorted(set(pts))
    if len(stamps) < 2:
        return FrameTiming(FrameRate(base_rate))
    if _on_grid(stamps, time_base, base_rate):
        return FrameTiming(FrameRate(base_rate))
    seconds = [(p - stamps[0]) * time_base for p in stamps]
    average = (len(stamps) - 1) / seconds[-1]
    steps = [b - a for a, b in pairwise(seconds)]
    middle = median(steps)
    regular = [d for d in steps if middle / 2 < d < middle * 3 / 2]  # not across a dropped frame
    typical = len(regular) / sum(regular)
    rate = min(STANDARD_RATES, key=lambda r: abs(typical / r - 1))
    if (
        abs(typical / rate - 1) > TOLERANCE
        or abs(average / rate - 1) > TOLERANCE
        or min(steps) * rate < STEP_LIMITS[0]
        or max(steps) * rate > STEP_LIMITS[1]
    ):
        raise _variable(name, average, base_rate, field)
    timing = FrameTiming(FrameRate(rate), tuple(stamps))
    log.info("%s: %d frames numbered in order at %s fps; its sound drifts up to %.3f s from them",
             name, len(stamps), rate, drift(timing, time_base, 0, len(stamps)))  # fmt: skip
    return timing


def drift(timing: FrameTiming, time_base: Fraction, start: int, end: int) -> float:
    """How far (seconds) frames [start, end) of a clip numbered in order stray from where the
    constant rate shows them, relative to frame `start`: how far a picture and its sound part."""
    if timing.frame_pts is None or end <= start:
        return 0.0
    first = timing.frame_pts[start]
    rate = timing.rate.value
    return float(max(abs((p - first) * time_base - n / rate) for n, p in enumerate(timing.frame_pts[start:end])))


def _on_grid(stamps: Sequence[int], time_base: Fraction, rate: Fraction) -> bool:
    """Whether the n-th timestamp is frame n of `rate`'s grid, within one tick of the clock
    (Matroska counts milliseconds) and a quarter frame."""
    tolerance = grid_tolerance(time_base, rate)
    return all(abs((p - stamps[0]) * time_base * rate - n) <= tolerance for n, p in enumerate(stamps))


def grid_tolerance(time_base: Fraction, rate: Fraction) -> Fraction:
    """How far (in frames) a pts may be from its grid point and still be on the grid: one tick
    of the container's clock (Matroska rounds each pts to a millisecond), at most a quarter frame."""
    return min(time_base * rate, Fraction(1, 4))


def _variable(name: str, average: Fraction, base_rate: Fraction, field: str) -> InvalidArgument:
    return InvalidArgument(
        f"{name} has a variable frame rate (average {float(average):.3f} fps, nominal {float(base_rate):.3f} fps, "
        "too far from a constant rate to number its frames in order); conform it to a constant rate before editing",
        field=field,
    )
