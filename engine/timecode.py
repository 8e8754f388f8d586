"""The time model: rational rates, integer frames, end-exclusive ranges, timecode.

This module is the small exact core the rest of retakes trusts (DESIGN.md "Time model").
It imports no media, GPU or RPC library. Frames are never derived from floating seconds:
rates are `fractions.Fraction`, positions are integer frame counts, and timecode strings
are converted with OpenTimelineIO's `opentime` (drop-frame included), which is what the
bridge uses on the NLE side too, so both ends agree digit for digit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

import opentimelineio.opentime as opentime

from .errors import InvalidArgument

# Rates whose timecode is conventionally drop-frame (SMPTE 12M): 29.97 and 59.94.
_DROP_FRAME_RATES = (Fraction(30000, 1001), Fraction(60000, 1001))
_TIMECODE = re.compile(r"^(\d{2}):(\d{2}):(\d{2})([:;.,])(\d{2,3})$")


@dataclass(frozen=True, order=True)
class FrameRate:
    """A frame rate as an exact fraction, e.g. `FrameRate(Fraction(24000, 1001))`."""

    value: Fraction

    def __post_init__(self) -> None:
        if self.value <= 0:
            raise InvalidArgument(f"a frame rate must be positive, got {self.value}", field="rate")

    @classmethod
    def parse(cls, text: str | int | Fraction, *, field: str = "rate") -> FrameRate:
        """Parses "24000/1001", "25", "29.97" (snapped to 30000/1001) or a Fraction."""
        if isinstance(text, Fraction | int):
            return cls(Fraction(text))
        raw = str(text).strip()
        try:
            value = Fraction(raw)
        except (ValueError, ZeroDivisionError):
            raise InvalidArgument(f"expected a rate like 24000/1001 or 25, got {raw!r}", field=field) from None
        if value <= 0:
            raise InvalidArgument(f"a frame rate must be positive, got {raw!r}", field=field)
        if "/" not in raw and value.denominator != 1:
            # Decimal spellings of NTSC rates ("23.976", "29.97") mean the 1001 rates.
            ntsc = Fraction(round(value * 1001 / 1000) * 1000, 1001)
            if abs(ntsc - value) < Fraction(1, 100):
                value = ntsc
        return cls(value)

    @property
    def nominal(self) -> int:
        """The integer frames-per-second that timecode counts in (30 for 29.97)."""
        return round(self.value)

    @property
    def is_drop_frame_rate(self) -> bool:
        return self.value in _DROP_FRAME_RATES

    def __float__(self) -> float:
        return float(self.value)

    def __str__(self) -> str:
        v = self.value
        return str(v.numerator) if v.denominator == 1 else f"{v.numerator}/{v.denominator}"


@dataclass(frozen=True)
class FrameRange:
    """Frames `[start, end)`: `end` is exclusive, like every range in retakes."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise InvalidArgument(
                f"the range {self.start}:{self.end} is empty or reversed (end is exclusive)", field="range"
            )

    def __len__(self) -> int:
        return self.end - self.start

    def __iter__(self):
        return iter(range(self.start, self.end))

    def __contains__(self, frame: object) -> bool:
        return isinstance(frame, int) and self.start <= frame < self.end

    def within(self, total_frames: int, *, field: str = "range") -> FrameRange:
        """Returns self if it lies inside a media of `total_frames` frames, else raises."""
        if self.start < 0 or self.end > total_frames:
            raise InvalidArgument(
                f"the range {self.start}:{self.end} lies outside the media's {total_frames} frames "
                f"(valid: 0:{total_frames})",
                field=field,
            )
        return self

    def chunks(self, size: int) -> list[FrameRange]:
        """Splits into consecutive ranges of at most `size` frames."""
        return [FrameRange(s, min(s + size, self.end)) for s in range(self.start, self.end, size)]

    def __str__(self) -> str:
        return f"{self.start}:{self.end}"


def _otio_rate(rate: FrameRate) -> float:
    return float(rate.value)


def frames_to_timecode(frame: int, rate: FrameRate, *, drop_frame: bool = False) -> str:
    """Formats an absolute frame count as "HH:MM:SS:FF" (";" before FF when drop-frame)."""
    if drop_frame and not rate.is_drop_frame_rate:
        raise InvalidArgument(f"drop-frame timecode needs 29.97 or 59.94 fps, not {rate}", field="timecode")
    return opentime.to_timecode(opentime.RationalTime(frame, _otio_rate(rate)), _otio_rate(rate), drop_frame)


def timecode_to_frames(timecode: str, rate: FrameRate, *, field: str = "timecode", drop_frame: bool = False) -> int:
    """Parses "HH:MM:SS:FF" (or "HH:MM:SS;FF" drop-frame) at `rate` into an absolute frame count.

    A ';' (or ',') before the frames always means drop-frame. A ':' says nothing by itself
    (editors and tools write ':' for drop-frame timecode too): it is read as drop-frame when
    `drop_frame` is true, which is how a media's own flag is applied (`Timebase.frame_of`).

    Raises `InvalidArgument` naming `field` when the string is malformed, its frame number
    does not exist at this rate ("01:00:00:25" at 25 fps), it is drop-frame at a rate that
    has no drop-frame timecode, or it names a frame number that drop-frame skips.
    """
    match = _TIMECODE.match(timecode.strip())
    if not match:
        raise InvalidArgument(f"expected a timecode like 01:00:00:00, got {timecode!r}", field=field)
    hh, mm, ss, sep, ff = match.groups()
    hours, minutes, seconds, frames = int(hh), int(mm), int(ss), int(ff)
    drop = sep in ";," or (drop_frame and rate.is_drop_frame_rate)
    if minutes > 59 or seconds > 59:
        raise InvalidArgument(f"{timecode!r} is not a valid timecode", field=field)
    if frames >= rate.nominal:
        raise InvalidArgument(
            f"{timecode!r} has frame {frames}, but timecode at {rate} fps counts frames 00-{rate.nominal - 1:02d}",
            field=field,
        )
    if drop and not rate.is_drop_frame_rate:
        raise InvalidArgument(
            f"{timecode!r} is drop-frame (';'), but the media runs at {rate} fps, which has no drop-frame timecode",
            field=field,
        )
    if drop and seconds == 0 and minutes % 10 != 0 and frames < rate.nominal // 15:
        raise InvalidArgument(f"{timecode!r} names a frame number that drop-frame timecode skips", field=field)
    canonical = f"{hours:02d}:{minutes:02d}:{seconds:02d}{';' if drop else ':'}{frames:02d}"
    return round(opentime.from_timecode(canonical, _otio_rate(rate)).value)


@dataclass(frozen=True)
class Timebase:
    """How a media's frames map to timecode: its rate, its first frame's timecode, drop-frame."""

    rate: FrameRate
    start_frame: int = 0  # absolute timecode frame count of frame 0
    drop_frame: bool = False

    def timecode_of(self, frame: int) -> str:
        return frames_to_timecode(self.start_frame + frame, self.rate, drop_frame=self.drop_frame)

    def frame_of(self, timecode: str, *, field: str = "timecode") -> int:
        """The frame index of `timecode`, read with this media's drop-frame flag unless it
        says ';' itself: on 29.97 drop-frame media, "01:00:00:02" means 01:00:00;02."""
        return timecode_to_frames(timecode, self.rate, field=field, drop_frame=self.drop_frame) - self.start_frame

    @classmethod
    def from_start_timecode(cls, rate: FrameRate, start_timecode: str | None) -> Timebase:
        if not start_timecode:
            return cls(rate, 0, False)
        drop = ";" in start_timecode or "," in start_timecode
        return cls(rate, timecode_to_frames(start_timecode, rate, field="start_timecode"), drop)


def parse_range(text: str, timebase: Timebase, *, field: str = "range") -> FrameRange:
    """Parses the CLI's `--range`: source frames "A:B", or timecodes "HH:MM:SS:FF-HH:MM:SS:FF".

    The end is exclusive. Timecodes are read at the media's own rate and converted with
    its start timecode, so "01:00:01:00-01:00:02:00" on a clip starting at 01:00:00:00 at
    25 fps is frames 25:50. On drop-frame media a ':' timecode is read as drop-frame too
    (';' always means drop-frame). Refusals name `field` and repeat the timecodes as given.
    """
    text = text.strip()
    frames = re.fullmatch(r"(-?\d+):(-?\d+)", text)
    if frames:
        return FrameRange(int(frames.group(1)), int(frames.group(2)))
    parts = text.split("-")
    if len(parts) != 2:
        raise InvalidArgument(
            f"expected A:B (frames, end exclusive) or HH:MM:SS:FF-HH:MM:SS:FF, got {text!r}", field=field
        )
    start, end = timebase.frame_of(parts[0], field=field), timebase.frame_of(parts[1], field=field)
    if end <= start:
        raise InvalidArgument(
            f"the range {parts[0].strip()}-{parts[1].strip()} is empty or reversed (the end timecode is exclusive)",
            field=field,
        )
    return FrameRange(start, end)


def range_within(frame_range: FrameRange, total_frames: int, timebase: Timebase, *, given: str | None = None,
                 field: str = "range") -> FrameRange:
    """`frame_range` if it lies inside a media of `total_frames` frames, else an error naming `field`.

    A range the user gave as timecodes (`given`) is refused in timecodes: the range as
    given and the media's span from its first timecode to its end timecode (exclusive).
    """
    if given is None or (frame_range.start >= 0 and frame_range.end <= total_frames):
        return frame_range.within(total_frames, field=field)
    first, end = timebase.timecode_of(0), timebase.timecode_of(total_frames)
    raise InvalidArgument(
        f"the range {given} lies outside the media, which spans {first}-{end} "
        f"(end exclusive, {total_frames} frames)",
        field=field,
    )
