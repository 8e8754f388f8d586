"""What review needs from the version store, and an adapter seam over it.

The version store (issue 4, `retakes.bridge.versions`, another room's code) owns versions,
their status and review link. Review reads versions of one source clip oldest first, writes
status and the review link, and needs each version's media, rate and start timecode (to map
note timecodes to frames) and the timeline item it sits on (to put markers on it).

`VersionStoreLike` is that need as a Protocol; `MemoryVersions` satisfies it for tests and
for the time before the real store lands. Review code never imports the store directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol

from retakes.engine.timecode import FrameRate, Timebase, timecode_to_frames

STATUSES = ("draft", "in review", "approved", "rejected")


@dataclass(frozen=True)
class ReviewVersion:
    id: str  # the store's key for the version
    clip_id: str  # the source clip all versions of one shot share
    number: int  # 1 for v001
    media_path: Path
    rate: FrameRate
    frame_count: int
    start_timecode: str | None = None  # the media's own first-frame timecode
    status: str = "draft"
    lineage: str = ""  # one line per step, e.g. "v002 <- v001: recolor --hue 30"
    review_link: str | None = None
    item_id: str = ""  # Resolve TimelineItem unique id the version layer sits on
    # The media's (or, without media timecode, the timeline's) drop-frame flag, where known.
    # None: only a ';' in `start_timecode` says drop-frame (the store writes one for DF media).
    drop_frame: bool | None = None
    clip_name: str = ""  # what the editor calls the clip (its media's name); the page's header shows it

    @property
    def label(self) -> str:
        return f"v{self.number:03d}"

    @property
    def timebase(self) -> Timebase:
        """The media's clock. Drop-frame when the flag says so or the start timecode has ';'
        (only at 29.97/59.94): a ':' timecode on drop-frame media is read as drop-frame."""
        start = self.start_timecode
        tb = Timebase.from_start_timecode(self.rate, start)
        if not self.drop_frame or tb.drop_frame or not self.rate.is_drop_frame_rate:
            return tb
        first = timecode_to_frames(start, self.rate, field="start_timecode", drop_frame=True) if start else 0
        return Timebase(self.rate, first, True)


@dataclass(frozen=True)
class OriginalMedia:
    """The untouched source range a clip's versions are compared against."""

    clip_id: str
    media_path: Path
    rate: FrameRate
    frame_count: int
    first_frame: int = 0  # the range's first media frame (versions cover exactly the range)
    start_timecode: str | None = None


class VersionStoreLike(Protocol):
    def versions(self, clip_id: str) -> list[ReviewVersion]: ...  # oldest first
    def version(self, version_id: str) -> ReviewVersion | None: ...
    def original(self, clip_id: str) -> OriginalMedia | None: ...
    def set_status(self, version_id: str, status: str) -> None: ...
    def set_review_link(self, version_id: str, url: str, service: str = "frameio", note: str = "") -> None: ...


@dataclass
class MemoryVersions:
    """An in-memory VersionStoreLike (tests, and the adapter until issue 4's store lands)."""

    _versions: dict[str, ReviewVersion] = field(default_factory=dict)
    _originals: dict[str, OriginalMedia] = field(default_factory=dict)

    def add(self, version: ReviewVersion) -> None:
        self._versions[version.id] = version

    def add_original(self, original: OriginalMedia) -> None:
        self._originals[original.clip_id] = original

    def versions(self, clip_id: str) -> list[ReviewVersion]:
        return sorted((v for v in self._versions.values() if v.clip_id == clip_id), key=lambda v: v.number)

    def version(self, version_id: str) -> ReviewVersion | None:
        return self._versions.get(version_id)

    def original(self, clip_id: str) -> OriginalMedia | None:
        return self._originals.get(clip_id)

    def set_status(self, version_id: str, status: str) -> None:
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r} (one of {', '.join(STATUSES)})")
        self._versions[version_id] = replace(self._versions[version_id], status=status)

    def set_review_link(self, version_id: str, url: str, service: str = "frameio", note: str = "") -> None:
        self._versions[version_id] = replace(self._versions[version_id], review_link=url)
