"""A minimal stand-in for the Resolve double's Timeline/TimelineItem marker behaviour.

Issue 4's double (`retakes.bridge.resolve.double`) is the real one; this keeps the review
tests independent of its construction API while following Resolve's documented habits:
marker frameIds count from the item's first visible frame, AddMarker answers False (no
exception) for a frame outside the item or one that already has a marker, GetMarkers maps
float frame -> dict with customData.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction


@dataclass
class DoubleItem:
    uid: str
    start: int  # absolute record frame
    duration: int
    left_offset: int = 0
    markers: dict[float, dict] = field(default_factory=dict)

    def GetUniqueId(self) -> str:  # noqa: N802 (Resolve's names)
        return self.uid

    def GetStart(self, subframe_precision: bool = False) -> int:  # noqa: N802
        return self.start

    def GetDuration(self, subframe_precision: bool = False) -> int:  # noqa: N802
        return self.duration

    def GetLeftOffset(self, subframe_precision: bool = False) -> int:  # noqa: N802
        return self.left_offset

    def AddMarker(self, frame, color, name, note, duration, custom) -> bool:  # noqa: N802
        if not 0 <= frame < self.duration or float(frame) in self.markers:
            return False
        self.markers[float(frame)] = {
            "color": color,
            "duration": float(duration),
            "note": note,
            "name": name,
            "customData": custom,
        }
        return True

    def GetMarkers(self) -> dict:  # noqa: N802
        return dict(self.markers)


@dataclass
class DoubleTimeline:
    rate: Fraction
    start_frame: int = 86400
    tracks: list[list[DoubleItem]] = field(default_factory=lambda: [[], [], []])

    def place(self, uid: str, track: int, start: int, duration: int, left_offset: int = 0) -> DoubleItem:
        item = DoubleItem(uid, self.start_frame + start, duration, left_offset)
        self.tracks[track - 1].append(item)
        return item

    def GetTrackCount(self, kind: str) -> int:  # noqa: N802
        return len(self.tracks) if kind == "video" else 0

    def GetItemListInTrack(self, kind: str, index: int) -> list[DoubleItem]:  # noqa: N802
        return list(self.tracks[index - 1]) if kind == "video" else []
