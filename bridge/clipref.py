"""ClipRef: one timeline clip as the engine needs it, independent of the NLE it came from.

A ClipRef is a value: it holds no host handle and does no I/O, so the Resolve reader, the
exported-timeline reader, the version store and the EditRequest builder can all trade in it.

Frames follow the time model in `retakes.engine.timecode`: rational rates, integer frames,
end-exclusive ranges. Two frame domains meet here and must not be mixed up:

- *source* frames count from the media's first frame (0-based), at the media's own rate;
- *record* frames are absolute timeline frames, the way Resolve counts them (a timeline that
  starts at 01:00:00:00 at 25 fps starts at record frame 90000).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from retakes.engine.timecode import FrameRange, FrameRate, Timebase

NAMESPACE = "retakes"  # the metadata key retakes owns in OTIO, markers and the version store


@dataclass(frozen=True)
class VersionMedia:
    """One rendered version of a clip, as the hosts and the OTIO layer place it.

    The output covers the clip's source range plus `offset` head-handle frames before it, so
    the clip's first frame is output frame `offset`.
    """

    label: str  # "v002"
    path: str
    version_id: int = 0
    offset: int = 0
    frames: int = 0  # frames in the output file (0: just the clip's length plus offset)
    metadata: dict = field(default_factory=dict, compare=False, hash=False)


class ClipRefused(ValueError):
    """The clip cannot be sent as it is; `reason` is a sentence an editor can act on."""

    def __init__(self, kind: str, clip_name: str, reason: str) -> None:
        super().__init__(f"{clip_name!r} can't be sent to retakes: {reason}")
        self.kind = kind  # "retimed", "compound", "generator", "title", "offline", "multicam", ...
        self.clip_name = clip_name
        self.reason = reason


class NoClipSelected(LookupError):
    """Nothing selected and nothing under the playhead on a video track."""


@dataclass(frozen=True)
class TimelineInfo:
    """The timeline a clip sits in: its rate, first record frame and timecode flavour."""

    name: str
    rate: FrameRate
    start_frame: int  # absolute record frame of the timeline's first frame
    drop_frame: bool = False

    @property
    def timebase(self) -> Timebase:
        return Timebase(self.rate, self.start_frame, self.drop_frame)

    def timecode_of(self, record_frame: int) -> str:
        """Timecode of an absolute record frame (not of an offset from the timeline start)."""
        return Timebase(self.rate, 0, self.drop_frame).timecode_of(record_frame)


@dataclass(frozen=True)
class Placement:
    """Where a clip sits: 1-based video track, absolute record frames [start, end)."""

    track: int
    record: FrameRange

    @property
    def duration(self) -> int:
        return len(self.record)


@dataclass(frozen=True)
class ClipRef:
    """A timeline clip: which media, which source frames, where it sits, and its handles."""

    name: str
    media_path: str
    source_rate: FrameRate
    source_range: FrameRange  # media frames, 0-based, end-exclusive, at source_rate
    placement: Placement
    timeline: TimelineInfo
    # The media's own timecode: its frame 0 is `source_timebase.start_frame`. None when the
    # timeline format does not say (an EDL knows only source timecodes); then `source_range`
    # counts from timecode 00:00:00:00 and the engine is sent timecodes, not frames.
    source_timebase: Timebase | None = None
    handles: tuple[int, int] = (0, 0)  # frames actually available before / after the range
    media_frames: int | None = None  # total frames in the media, when known
    item_id: str = ""  # the host's id for the timeline item (Resolve GetUniqueId)
    # What is sent, in words, when it is not simply the clip's own original media: a take, or
    # a retakes version (an edit of an edit). Empty otherwise. Show it to the editor.
    source_note: str = ""
    metadata: dict = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self) -> None:
        if self.placement.duration != len(self.source_range) and self.source_rate == self.timeline.rate:
            # At equal rates an unretimed clip shows each source frame once; anything else
            # would mean the reader computed one of the two ranges wrong.
            raise ValueError(
                f"{self.name}: record duration {self.placement.duration} != source length "
                f"{len(self.source_range)} at equal rates"
            )

    @property
    def range_with_handles(self) -> FrameRange:
        head, tail = self.handles
        return FrameRange(self.source_range.start - head, self.source_range.end + tail)

    @property
    def source_timecodes(self) -> tuple[str, str]:
        """Source range as media timecodes (start, exclusive end)."""
        tb = self.source_timebase or Timebase(self.source_rate, 0, self.timeline.drop_frame)
        return tb.timecode_of(self.source_range.start), tb.timecode_of(self.source_range.end)

    def with_handles(self, wanted: int) -> ClipRef:
        """Asks for `wanted` frames each side; gets what the media has (never below frame 0)."""
        if wanted < 0:
            raise ValueError("handles must be >= 0")
        head = min(wanted, self.source_range.start)
        tail = wanted if self.media_frames is None else min(wanted, self.media_frames - self.source_range.end)
        return replace(self, handles=(head, max(tail, 0)))
