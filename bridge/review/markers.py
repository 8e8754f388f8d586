"""Notes to Resolve markers on the version's clip: exact frame, added once.

Idempotency lives in Resolve itself: each marker carries `retakes-note:<note id>` in its
customData (invisible in the UI, meant for scripts, research/nle.md 1.5). Before adding we
read the clip's markers; a note whose key is already there is skipped, so pulling twice,
or a webhook and a manual pull racing, add nothing. Nothing is ever deleted or moved
(DESIGN.md invariant 5: the NLE is changed only by adding).

Frames: a TimelineItem's marker frameId counts from the item's first visible frame, so a
note at version-media frame f lands at f - (the media frame the item starts on): GetLeftOffset()
for a version on its own track, the take's startFrame for a version placed as a take (the item's
own offsets describe whichever take Resolve reports, which the README does not say).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from retakes.bridge.resolve.api import has_method

from .notes import Note

COLORS = {"frameio": "Cyan", "local": "Sky"}


@dataclass
class MarkerReport:
    added: list[str] = field(default_factory=list)  # note ids
    present: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # note id -> reason


def find_item(timeline: Any, item_id: str) -> Any | None:
    """The timeline item with this unique id on any video track, or None."""
    count = timeline.GetTrackCount("video") or 0
    for index in range(1, int(count) + 1):
        for item in timeline.GetItemListInTrack("video", index) or []:
            if item is not None and item.GetUniqueId() == item_id:
                return item
    return None


def existing_keys(item: Any) -> set[str]:
    markers = item.GetMarkers() or {}
    return {str(m.get("customData", "")) for m in markers.values()}


def first_frame(item: Any, media_path: str | None = None) -> int:
    """The version-media frame the item's first visible frame shows (see the module's note)."""
    if media_path and has_method(item, "GetTakesCount"):
        for index in range(1, int(item.GetTakesCount() or 0) + 1):
            take = item.GetTakeByIndex(index) or {}
            mpi = take.get("mediaPoolItem")
            if mpi is not None and str(mpi.GetClipProperty("File Path") or "") == media_path:
                return int(take.get("startFrame") or 0)
    return int(item.GetLeftOffset() or 0)


def sync_markers(item: Any, notes: Iterable[Note], label: str = "", media_path: str | None = None) -> MarkerReport:
    report = MarkerReport()
    have = existing_keys(item)
    offset = first_frame(item, media_path)
    length = int(item.GetDuration() or 0)
    for note in sorted(notes, key=lambda n: (n.frame, n.id)):
        if note.marker_key in have:
            report.present.append(note.id)
            continue
        frame = note.frame - offset
        if not 0 <= frame < length:
            report.skipped[note.id] = f"frame {note.frame} is outside the clip's visible frames"
            continue
        duration = max(1, min(note.duration, length - frame))
        who = f" ({note.author})" if note.author else ""
        name = f"{label} note{who}".strip()
        ok = item.AddMarker(
            frame, COLORS.get(note.source, "Cyan"), name, note.text, duration, note.marker_key
        )
        if ok:
            report.added.append(note.id)
            have.add(note.marker_key)
        else:  # Resolve answers False, e.g. when another marker already sits on that frame
            report.skipped[note.id] = f"Resolve refused a marker at clip frame {frame}"
    return report
