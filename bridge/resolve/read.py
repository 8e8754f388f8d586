"""Resolve timeline item -> ClipRef, and the clip kinds retakes refuses.

Only reads: nothing here changes the timeline or the media pool, so a refusal leaves the
project exactly as it was.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from retakes.engine.timecode import FrameRange, FrameRate, Timebase

from ..clipref import ClipRef, ClipRefused, NoClipSelected, Placement, TimelineInfo
from .api import Resolve, Timeline, TimelineItem, current_timeline, has_method

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
    """The one selected video item (Resolve 21.0.4+), else the top clip under the playhead."""
    if has_method(timeline, "GetSelectedClips"):
        selected = [i for i in (timeline.GetSelectedClips() or []) if _is_video(i)]
        if len(selected) > 1:
            names = ", ".join(repr(i.GetName()) for i in selected)
            raise NoClipSelected(f"{len(selected)} clips are selected ({names}); select one")
        if selected:
            return selected[0]
    item = timeline.GetCurrentVideoItem()
    if item is None:
        raise NoClipSelected(
            f"no clip is selected and none is under the playhead at {timeline.GetCurrentTimecode()}"
        )
    return item


def _is_video(item: TimelineItem) -> bool:
    kind = item.GetTrackTypeAndIndex() or ["", 0]
    return kind[0] == "video"


def clip_ref(item: TimelineItem, timeline: Timeline, *, handles: int = 0,
             media_exists: Callable[[str], bool] = os.path.exists) -> ClipRef:
    """Reads one timeline item into a ClipRef, or raises ClipRefused saying why not."""
    name = item.GetName() or "clip"
    mpi = item.GetMediaPoolItem()
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
    src_start, src_end = int(item.GetSourceStartFrame()), int(item.GetSourceEndFrame())
    _refuse_retimed(name, src_start, src_end, duration, source_rate, tl.rate)

    if source_rate == tl.rate:
        # GetLeftOffset is exact; GetSourceStartFrame was seen off by one on some items.
        start = int(item.GetLeftOffset())
        source = FrameRange(start, start + duration)
    else:
        # Mixed rates: GetSourceEndFrame turns inclusive, so take the length from the rates.
        source = FrameRange(src_start, src_start + round(duration * source_rate.value / tl.rate.value))
    track = int((item.GetTrackTypeAndIndex() or ["video", 1])[1])
    frames = str(mpi.GetClipProperty("Frames") or "")
    ref = ClipRef(
        name=name,
        media_path=path,
        source_rate=source_rate,
        source_range=source,
        placement=Placement(track, FrameRange(record_start, record_start + duration)),
        timeline=tl,
        source_timebase=Timebase.from_start_timecode(source_rate, mpi.GetClipProperty("Start TC") or None),
        media_frames=int(frames) if frames.isdigit() else None,
        item_id=item.GetUniqueId() or "",
    )
    return ref.with_handles(handles) if handles else ref


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
    """The ClipRef of the selected clip (or the clip under the playhead) in the open timeline."""
    _project, timeline = current_timeline(resolve)
    return clip_ref(selected_item(timeline), timeline, handles=handles, media_exists=media_exists)


def find_item(timeline: Timeline, item_id: str) -> TimelineItem | None:
    """The video item with this unique id, searching every video track."""
    for index in range(1, int(timeline.GetTrackCount("video") or 0) + 1):
        for item in timeline.GetItemListInTrack("video", index) or []:
            if item.GetUniqueId() == item_id:
                return item
    return None
