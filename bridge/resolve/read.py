"""Resolve timeline item -> ClipRef, and the clip kinds retakes refuses.

Only reads: nothing here changes the timeline or the media pool, so a refusal leaves the
project exactly as it was.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from retakes.engine.timecode import FrameRange, FrameRate, Timebase

from ..clipref import NAMESPACE, ClipRef, ClipRefused, NoClipSelected, Placement, TimelineInfo
from .api import MediaPoolItem, Resolve, Timeline, TimelineItem, current_timeline, has_method
from .rates import source_frames

# Media pool item "Type" values that are not a plain media file the engine can read.
_REFUSED_TYPES = {
    "compound": ("compound", "it is a compound clip; open it (or decompose it) and send the clip inside"),
    "timeline": ("compound", "it is a nested timeline; open it and send the clip inside"),
    "generator": ("generator", "it is a generator, which has no source media to edit"),
    "fusion generator": ("generator", "it is a Fusion generator, which has no source media to edit"),
    "title": ("title", "it is a title, which has no source media to edit"),
    "fusion title": ("title", "it is a Fusion title, which has no source media to edit"),
    "multicam": ("multicam", "it is a multicam clip; flatten it or pick the angle's source clip first"),
}


def timeline_info(timeline: Timeline) -> TimelineInfo:
    """Rate, start and drop-frame flag. Resolve spells 23.976 and 29.97 as decimals."""
    rate = FrameRate.parse(timeline.GetSetting("timelineFrameRate").replace("DF", "").strip())
    start_tc = timeline.GetStartTimecode() or ""
    drop = timeline.GetSetting("timelineDropFrameTimecode") == "1" or ";" in start_tc
    return TimelineInfo(timeline.GetName(), rate, int(timeline.GetStartFrame()), drop)


def selected_item(timeline: Timeline) -> TimelineItem:
    """The one selected video item (Resolve 21.0.4+), else (before 21.0.4) the top clip under the playhead."""
    return _pick(timeline)[0]


def _pick(timeline: Timeline) -> tuple[TimelineItem, bool]:
    """(item, picked by the playhead). With a selection API, nothing selected is a question for
    the editor, never a guess: the clip under the playhead is named, not sent."""
    if has_method(timeline, "GetSelectedClips"):
        chosen = timeline.GetSelectedClips()
        # None/False is what a name the handle only pretends to have answers (LIMITS "hasattr() /
        # getattr()"): then this Resolve has no selection API after all.
        if isinstance(chosen, list | tuple):
            selected = [i for i in chosen if _is_video(i)]
            if len(selected) > 1:
                names = ", ".join(repr(i.GetName()) for i in selected)
                raise NoClipSelected(f"{len(selected)} clips are selected ({names}); select one")
            if selected:
                return selected[0], False
            raise NoClipSelected(_nothing_selected(timeline))
    item = timeline.GetCurrentVideoItem()
    if item is None:
        raise NoClipSelected(
            f"no clip is selected and none is under the playhead at {timeline.GetCurrentTimecode()}"
        )
    return item, True


def _nothing_selected(timeline: Timeline) -> str:
    text = "no clip is selected in the timeline: select the one clip to send (retakes does not guess)"
    under = timeline.GetCurrentVideoItem()
    if under is not None:
        track = (under.GetTrackTypeAndIndex() or ["video", 0])[1]
        text += (f"; the clip under the playhead at {timeline.GetCurrentTimecode()} is "
                 f"{under.GetName()!r} on V{track}: click it to send that one")
    return text


def _is_video(item: TimelineItem) -> bool:
    kind = item.GetTrackTypeAndIndex() or ["", 0]
    return kind[0] == "video"


@dataclass(frozen=True)
class _Take:
    index: int
    count: int
    media: MediaPoolItem
    start: float  # its first source frame (startFrame)


def _selected_take(item: TimelineItem) -> _Take | None:
    """The take a take selector shows. Its media and extents come from GetTakeByIndex (README):
    what the item's own source getters report while a take is selected is not documented."""
    count = int(item.GetTakesCount() or 0)
    index = int(item.GetSelectedTakeIndex() or 0)
    if count < 1 or not 1 <= index <= count:
        return None
    take = item.GetTakeByIndex(index) or {}
    if take.get("mediaPoolItem") is None:  # nothing to go on: read the item as a plain clip
        return None
    return _Take(index, count, take["mediaPoolItem"], float(take.get("startFrame") or 0))


def retakes_version(mpi: MediaPoolItem) -> dict | None:
    """What retakes wrote on a version's media (its marker's customData), or None for other media."""
    for marker in (mpi.GetMarkers() or {}).values():
        try:
            data = json.loads(str(marker.get("customData") or ""))
        except ValueError:
            continue
        if isinstance(data, dict) and isinstance(data.get(NAMESPACE), dict) and "version" in data[NAMESPACE]:
            return data[NAMESPACE]
    return None


def clip_ref(item: TimelineItem, timeline: Timeline, *, handles: int = 0,
             media_exists: Callable[[str], bool] = os.path.exists, by_playhead: bool = False) -> ClipRef:
    """Reads one timeline item into a ClipRef, or raises ClipRefused saying why not.

    A take selector is read as the take it shows (its media, its extents). A clip that is itself
    a retakes version is sent as it is, an edit of that version, and `source_note` says so.
    """
    name = item.GetName() or "clip"
    take = _selected_take(item)
    mpi = take.media if take else item.GetMediaPoolItem()
    if mpi is None:
        raise ClipRefused("generator", name, "it has no media behind it (a generator, title or Fusion clip)")
    kind = str(mpi.GetClipProperty("Type") or "").strip().lower()
    if kind in _REFUSED_TYPES:
        refused_kind, reason = _REFUSED_TYPES[kind]
        raise ClipRefused(refused_kind, name, reason)
    path = str(mpi.GetClipProperty("File Path") or "")
    if not path or not media_exists(path):
        where = f" (expected at {path})" if path else ""
        raise ClipRefused("offline", name, f"its media is offline{where}; relink it in the media pool first")

    tl = timeline_info(timeline)
    source_rate = FrameRate.parse(str(mpi.GetClipProperty("FPS")))
    record_start, duration = int(item.GetStart()), int(item.GetDuration())
    frames = str(mpi.GetClipProperty("Frames") or "")
    media_frames = int(frames) if frames.isdigit() else None
    if take is None:
        _refuse_retimed(name, int(item.GetSourceStartFrame()), int(item.GetSourceEndFrame()), duration,
                        source_rate, tl.rate)
        # GetLeftOffset is exact, and of a video item counts source frames at either rate;
        # GetSourceStartFrame was seen off by one (LIMITS "TimelineItem.GetSourceStartFrame").
        first = int(item.GetLeftOffset())
    else:
        first = math.floor(take.start)
    # At mixed rates the clip plays source_frames(...) media frames (Resolve floors the conversion).
    length = duration if source_rate == tl.rate else source_frames(duration, source_rate, tl.rate)
    source = FrameRange(first, first + length)
    if media_frames is not None and source.end > media_frames:
        what = f"take {take.index}" if take else "its source range"
        raise ClipRefused("range", name, f"{what} ({source}) runs past the end of {Path(path).name} "
                                         f"({media_frames} frames); trim the clip in Resolve first")
    track = int((item.GetTrackTypeAndIndex() or ["video", 1])[1])
    ref = ClipRef(
        name=name,
        media_path=path,
        source_rate=source_rate,
        source_range=source,
        placement=Placement(track, FrameRange(record_start, record_start + duration)),
        timeline=tl,
        source_timebase=Timebase.from_start_timecode(source_rate, mpi.GetClipProperty("Start TC") or None),
        media_frames=media_frames,
        item_id=item.GetUniqueId() or "",
        source_note=_what_is_sent(name, track, take, mpi, path, by_playhead),
    )
    return ref.with_handles(handles) if handles else ref


def _what_is_sent(name: str, track: int, take: _Take | None, mpi: MediaPoolItem, path: str,
                  by_playhead: bool) -> str:
    """A sentence for the editor when what is sent is not simply the clip's own original media."""
    version = retakes_version(mpi)
    file = Path(path).name
    if version is not None:
        label, original = version.get("version", "a version"), Path(str(version.get("source", ""))).name
        shown = f"shows take {take.index} of {take.count}, which is" if take else "is"
        text = (f"{name!r} {shown} retakes {label} of {original or 'another clip'} ({file}): sending it edits "
                f"{label} (an edit of an edit)")
        if take:
            return text + "; select take 1 in Resolve's take selector to edit the original"
        text += f"; to edit the original, send the clip under V{track} instead"
        if by_playhead:
            text += " (before Resolve 21.0.4 retakes reads the top clip under the playhead)"
        return text
    if take is not None and take.index != 1:
        return f"{name!r} shows take {take.index} of {take.count}: its media {file} is what is sent"
    return ""


def _refuse_retimed(name: str, src_start: int, src_end: int, duration: int,
                    source_rate: FrameRate, timeline_rate: FrameRate) -> None:
    # Resolve has no speed getter; the witness is source span vs record duration.
    if src_end < src_start:
        raise ClipRefused("retimed", name, "it plays in reverse; retakes edits clips at their normal speed")
    expected = duration * source_rate.value / timeline_rate.value
    span = src_end - src_start
    tolerance = 0 if source_rate == timeline_rate else 1  # inclusive end at mixed rates
    if abs(span - expected) > tolerance:
        speed = span / duration * 100 if duration else 0
        raise ClipRefused(
            "retimed", name,
            f"it is retimed (about {speed:.0f}% speed); remove the speed change, or render it in place and "
            "send the rendered clip",
        )


def current_clip(resolve: Resolve, *, handles: int = 0,
                 media_exists: Callable[[str], bool] = os.path.exists) -> ClipRef:
    """The ClipRef of the selected clip (before Resolve 21.0.4: the clip under the playhead)."""
    _project, timeline = current_timeline(resolve)
    item, by_playhead = _pick(timeline)
    return clip_ref(item, timeline, handles=handles, media_exists=media_exists, by_playhead=by_playhead)


def find_item(timeline: Timeline, item_id: str) -> TimelineItem | None:
    """The video item with this unique id, searching every video track."""
    for index in range(1, int(timeline.GetTrackCount("video") or 0) + 1):
        for item in timeline.GetItemListInTrack("video", index) or []:
            if item.GetUniqueId() == item_id:
                return item
    return None
