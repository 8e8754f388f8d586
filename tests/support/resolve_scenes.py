"""Scenes on the Resolve double, shared by the bridge tests: one timeline per rate, starting at
01:00:00:00, with clips whose media start at their own timecode and are cut in with left offsets."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from retakes.bridge.resolve.double import MediaInfo, ResolveDouble, Timeline, TimelineItem
from retakes.engine.timecode import FrameRate, timecode_to_frames

# (id, rate, timeline start TC, drop-frame, media start TC)
RATES = [
    ("23.976", FrameRate(Fraction(24000, 1001)), "01:00:00:00", False, "10:00:00:00"),
    ("25", FrameRate(Fraction(25)), "01:00:00:00", False, "10:00:00:00"),
    ("29.97DF", FrameRate(Fraction(30000, 1001)), "01:00:00;00", True, "10:00:00;00"),
]
LEFT_OFFSET, DURATION, RECORD_OFFSET, MEDIA_FRAMES = 37, 48, 101, 500


@dataclass
class Scene:
    resolve: ResolveDouble
    timeline: Timeline
    clip: TimelineItem  # V1, left offset 37, 48 frames, 101 frames after the timeline start
    rate: FrameRate
    drop: bool
    media_path: str
    tmp: Path

    def add_media(self, name: str, kind: str = "Video", frames: int = MEDIA_FRAMES, exists: bool = True):
        path = self.tmp / name
        if exists:
            path.write_bytes(name.encode() * 64)
        return self.resolve.import_clip(str(path), MediaInfo(self.rate, frames, "10:00:00:00", kind))

    def register_output(self, path: Path, frames: int = DURATION, rate: FrameRate | None = None) -> None:
        """What a version file is: the engine keeps the source's rate (DESIGN.md invariant 2)."""
        self.resolve.register_media(str(path), MediaInfo(rate or self.media_rate, frames, "10:00:00:00"))

    @property
    def media_rate(self) -> FrameRate:
        return FrameRate.parse(str(self.clip.GetMediaPoolItem().GetClipProperty("FPS")))


def make_scene(tmp: Path, rate: FrameRate, start_tc: str, drop: bool, media_tc: str,
               version: tuple = (21, 0, 4, 7, ""), media_rate: FrameRate | None = None,
               duration: int = DURATION) -> Scene:
    """The clip: `duration` record frames on V1, its media at `media_rate` (default: the timeline's)."""
    resolve = ResolveDouble(version=version)
    timeline = resolve.new_timeline("edit", rate, start_tc, drop)
    media = tmp / "A001_C002.mov"
    media.write_bytes(b"source media" * 100)
    mpi = resolve.import_clip(str(media), MediaInfo(media_rate or rate, MEDIA_FRAMES, media_tc))
    start = timecode_to_frames(start_tc, rate)
    timeline.add_clip(mpi, track=1, record_start=start, duration=RECORD_OFFSET, name="lead-in")
    item = timeline.add_clip(mpi, track=1, record_start=start + RECORD_OFFSET, duration=duration,
                             source_start=LEFT_OFFSET)
    timeline.selected = [item]
    return Scene(resolve, timeline, item, rate, drop, str(media), tmp)


