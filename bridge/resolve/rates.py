"""Resolve's conversion between a clip's source frames and the timeline's record frames.

`AppendToTimeline` and `AddTake` take source frames, counted at the media's own rate; the clip's
length on the timeline is then floor(source frames x timeline rate / media rate) (api-limitations.md
"MediaPool.AppendToTimeline with mixed-fps sources (duration floor)", quoted in research/nle.md 5).
A 25 fps clip of 25 frames is 24 frames long on a 24 fps timeline; asking for 24 source frames
gives 23. Exact fractions throughout: never floats, so 23.976 and 29.97 do not drift.
"""

from __future__ import annotations

import math
from fractions import Fraction

from retakes.engine.timecode import FrameRate


def _per_source_frame(media_rate: FrameRate, timeline_rate: FrameRate) -> Fraction:
    return timeline_rate.value / media_rate.value


def record_frames(source: int | Fraction, media_rate: FrameRate, timeline_rate: FrameRate) -> int:
    """The record length Resolve gives `source` source frames: floored."""
    return math.floor(Fraction(source) * _per_source_frame(media_rate, timeline_rate))


def source_extent(record: int, media_rate: FrameRate, timeline_rate: FrameRate) -> Fraction:
    """`endFrame - startFrame` that makes Resolve lay exactly `record` frames.

    Any extent in [record / r, (record + 1) / r) does (r: record frames per source frame). The
    smallest whole number in it when there is one; otherwise (a 24 fps clip 24 frames long on a
    25 fps timeline: 23 source frames give 23, 24 give 25) the middle of that interval, which
    Resolve takes as a float from 19.0.2 on and which no rounding of the float can push out of it.
    """
    if record < 1:
        raise ValueError(f"a clip is at least one frame long, not {record}")
    r = _per_source_frame(media_rate, timeline_rate)
    low, high = Fraction(record) / r, Fraction(record + 1) / r
    whole = math.ceil(low)
    return Fraction(whole) if whole < high else (low + high) / 2


def source_frames(record: int, media_rate: FrameRate, timeline_rate: FrameRate) -> int:
    """Media frames a clip `record` frames long plays from its first frame: what the engine must render."""
    return math.ceil(source_extent(record, media_rate, timeline_rate))


def as_clip_info_number(extent: Fraction) -> int | float:
    """A whole extent as an int (every Resolve takes those), a fractional one as a float (19.0.2+)."""
    return int(extent) if extent.denominator == 1 else float(extent)
