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
- close to a constant rate (every step between half and two and a half frames, and the
  average within 5% of the rate): frames are numbered in presentation order at that rate,
  and `frame_pts` lists their timestamps;
- anything looser (rates switching mid-clip, a screen recording that idles) is refused: its
  sound would drift from its pictures by more than any editor would accept, and it must be
  conformed to a constant rate first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from itertools import pairwise
from statistics import median

from ..errors import InvalidArgument
from ..timecode import FrameRate

#: The rates cameras and phones record at. A clip is conformed to one of them, so its
#: version has a rate every NLE and every timecode counter knows.
STANDARD_RATES = tuple(
    Fraction(r)
    for r in (
        Fraction(24000, 1001), 24, 25, Fraction(30000, 1001), 30, Fraction(48000, 1001), 48, 50,
        Fraction(60000, 1001), 60, 100, Fraction(120000, 1001), 120, 240,
    )
)  # fmt: skip
#: How far the average rate may stray from the conformed rate (dropped or doubled frames).
AVERAGE_TOLERANCE = Fraction(1, 20)
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
    steps = [b - a for a, b in pairwise(seconds)]
    average = (len(stamps) - 1) / seconds[-1]
    rate = _conformed_rate(1 / median(steps), average, base_rate)
    if rate is None or abs(average / rate - 1) > AVERAGE_TOLERANCE:
        raise _variable(name, average, base_rate, field)
    shortest, longest = min(steps) * rate, max(steps) * rate
    if shortest < STEP_LIMITS[0] or longest > STEP_LIMITS[1]:
        raise _variable(name, average, base_rate, field)
    return FrameTiming(FrameRate(rate), tuple(stamps))


def _on_grid(stamps: Sequence[int], time_base: Fraction, rate: Fraction) -> bool:
    """Whether the n-th timestamp is frame n of `rate`'s grid, within one tick of the clock
    (Matroska counts milliseconds) and a quarter frame."""
    tolerance = min(time_base * rate, Fraction(1, 4))
    return all(abs((p - stamps[0]) * time_base * rate - n) <= tolerance for n, p in enumerate(stamps))


def _conformed_rate(step_rate: Fraction, average: Fraction, base_rate: Fraction) -> Fraction | None:
    """The rate a near-constant clip is numbered at: its base rate where the typical step
    agrees with it, else the standard rate nearest its average among those the step allows."""
    near = [r for r in (base_rate, *STANDARD_RATES) if abs(step_rate / r - 1) <= Fraction(3, 100)]
    if not near:
        return None
    if near[0] == base_rate:
        return base_rate
    return min(near, key=lambda r: abs(average - r))


def _variable(name: str, average: Fraction, base_rate: Fraction, field: str) -> InvalidArgument:
    return InvalidArgument(
        f"{name} has a variable frame rate (average {float(average):.3f} fps, nominal {float(base_rate):.3f} fps, "
        "too far from a constant rate to number its frames in order); conform it to a constant rate before editing",
        field=field,
    )
