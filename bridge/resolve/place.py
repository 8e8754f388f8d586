"""Putting a version back into Resolve: a new track above the source, or a take on it.

Resolve reports failure with None/False, or not at all (an append onto occupied space comes
back as an item that is not on the timeline), so every write here is read back. When what
Resolve did differs from what was asked, or a call fails outright (the agent timed out, a
method is missing), everything this call added is removed again, in reverse order, every step
tried even when one fails, and PlacementError says what happened, what was undone and what
could not be. Only additions are ever made: a bin, a media-pool item, a track or take, a
marker, clip colours.

Extents passed to AppendToTimeline and AddTake are source frames at the version media's own
rate; Resolve converts them to record frames, floored (`rates.py`), so a clip whose media and
timeline rates differ is asked for exactly the source that fills its record length.

The version's marker (its lineage, in customData) goes on the version's media-pool item, which
retakes owns, not on the timeline item: every frame of the timeline item stays free for review
notes, the first frame included (Resolve keeps one marker per frame).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

from retakes.engine.timecode import FrameRange, FrameRate

from ..clipref import NAMESPACE, ClipRef, VersionMedia
from .api import Folder, MediaPool, MediaPoolItem, Resolve, Timeline, TimelineItem, current_timeline
from .rates import as_clip_info_number, record_frames, source_extent
from .read import find_item

LATEST_COLOR, OUTDATED_COLOR = "Lime", "Tan"  # two of the 16 names SetClipColor accepts
MARKER_COLOR = "Purple"  # one of the 16 names AddMarker accepts (README: resolve.MARKER_PURPLE)


class PlacementError(RuntimeError):
    """Resolve did not do what was asked; what this call added has been removed again."""


@dataclass(frozen=True)
class Placed:
    mode: str  # "track" or "take"
    item_id: str
    track: int
    record: FrameRange
    media_pool_item_id: str
    take_index: int = 0
    warnings: tuple[str, ...] = ()


class _Undo:
    """Reverse-order log of what this call added, so a mismatch can take it all back."""

    def __init__(self) -> None:
        self.steps: list[tuple[str, Callable[[], object]]] = []

    def add(self, what: str, undo: Callable[[], object]) -> None:
        self.steps.append((what, undo))

    def fail(self, message: str) -> PlacementError:
        """Runs every undo step, whatever the others do, and says how each one went."""
        undone, failed = [], []
        for what, undo in reversed(self.steps):
            try:
                ok, why = bool(undo()), "Resolve said no"
            except Exception as exc:  # a timeout or a missing call must not skip the steps after it
                ok, why = False, _reason(exc)
            if ok:
                undone.append(what)
            else:
                failed.append(f"{what} ({why})")
        self.steps.clear()
        text = message
        if undone:
            text += "; removed again: " + ", ".join(undone)
        if failed:
            text += "; could NOT remove (please delete by hand): " + ", ".join(failed)
        return PlacementError(text)


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def place_version(resolve: Resolve, clip: ClipRef, media: VersionMedia, *, mode: str = "track",
                  outdated_item_ids: tuple[str, ...] = ()) -> Placed:
    """Imports the version into bin retakes/<clip name> and places it as a track or a take."""
    if mode not in ("track", "take"):
        raise ValueError(f"mode must be 'track' or 'take', not {mode!r}")
    project, timeline = current_timeline(resolve)
    pool = project.GetMediaPool()
    undo = _Undo()
    try:
        mpi = _import(pool, clip.name, media, undo)
        placer = _as_track if mode == "track" else _as_take
        placed = placer(pool, timeline, clip, media, mpi, undo)
    except PlacementError:
        raise
    except Exception as exc:  # Resolve (or the agent) failed mid-way: take back what was added
        raise undo.fail(f"placing {media.label} failed ({_reason(exc)})") from exc
    warnings = _recolor(timeline, outdated_item_ids)
    return Placed(**{**placed.__dict__, "warnings": warnings})


def _bin(pool: MediaPool, names: list[str], undo: _Undo) -> Folder:
    folder = pool.GetRootFolder()
    for depth, name in enumerate(names, 1):
        existing = [f for f in folder.GetSubFolderList() or [] if f.GetName() == name]
        if existing:
            folder = existing[0]
            continue
        created = pool.AddSubFolder(folder, name)
        if created is None or created.GetName() != name:
            raise undo.fail(f"Resolve did not create the media-pool bin {name!r}")
        undo.add(f"bin {'/'.join(names[:depth])}", lambda c=created: pool.DeleteFolders([c]))
        folder = created
    return folder


def _import(pool: MediaPool, clip_name: str, media: VersionMedia, undo: _Undo) -> MediaPoolItem:
    target = _bin(pool, [NAMESPACE, clip_name], undo)
    previous = pool.GetCurrentFolder()
    # ImportMedia has no destination: it lands in the current folder, which we put back after.
    if not pool.SetCurrentFolder(target):
        raise undo.fail(f"Resolve would not open the bin retakes/{clip_name}")
    items = pool.ImportMedia([media.path]) or []
    pool.SetCurrentFolder(previous)
    if len(items) != 1:
        raise undo.fail(f"Resolve could not import {media.path} (is it a format Resolve reads?)")
    mpi = items[0]
    undo.add(f"media-pool item {media.label}", lambda: pool.DeleteClips([mpi]))
    ids = {c.GetUniqueId() for c in target.GetClipList() or []}
    if mpi.GetUniqueId() not in ids:
        raise undo.fail(f"the imported {media.label} did not land in bin retakes/{clip_name}")
    return mpi


def _media_rate(mpi: MediaPoolItem, clip: ClipRef) -> FrameRate:
    """The imported version's rate as Resolve sees it (its FPS property); the clip's if unreadable."""
    try:
        return FrameRate.parse(str(mpi.GetClipProperty("FPS")))
    except ValueError:
        return clip.source_rate


def _extent(clip: ClipRef, media: VersionMedia, rate: FrameRate, undo: _Undo) -> Fraction:
    """Source frames, at the version's rate, that fill the clip's record length exactly."""
    duration = clip.placement.duration
    extent = source_extent(duration, rate, clip.timeline.rate)  # the duration itself at equal rates
    frames = media.frames or media.offset + len(clip.source_range)
    if media.offset + extent > frames:
        raise undo.fail(
            f"{media.label} has {frames} frames; filling {duration} frames at {clip.timeline.rate} fps "
            f"from its frame {media.offset} takes {float(extent):g} frames at {rate} fps"
        )
    return extent


def _as_track(pool: MediaPool, timeline: Timeline, clip: ClipRef, media: VersionMedia,
              mpi: MediaPoolItem, undo: _Undo) -> Placed:
    rate = _media_rate(mpi, clip)
    extent = _extent(clip, media, rate, undo)
    before = int(timeline.GetTrackCount("video") or 0)
    if not timeline.AddTrack("video") or int(timeline.GetTrackCount("video") or 0) != before + 1:
        raise undo.fail("Resolve did not add a video track")
    track = before + 1  # AddTrack appends on top, which is above the source
    undo.add(f"track V{track}", lambda: timeline.DeleteTrack("video", track))
    timeline.SetTrackName("video", track, f"{NAMESPACE} {clip.name} {media.label}")
    record, duration = clip.placement.record, clip.placement.duration
    result = pool.AppendToTimeline([{
        "mediaPoolItem": mpi, "startFrame": media.offset,
        "endFrame": as_clip_info_number(media.offset + extent),
        "trackIndex": track, "recordFrame": record.start, "mediaType": 1,
    }]) or []
    item = result[0] if len(result) == 1 else None
    if item is not None and item.GetUniqueId():
        undo.add(f"{media.label} on V{track}", lambda: timeline.DeleteClips([item]))
    got = _read_back(timeline, item)
    want = (track, record.start, duration, media.offset)
    if got != want:
        raise undo.fail(
            f"Resolve placed {media.label} {_describe(got, clip)} instead of {_describe(want, clip)}"
        )
    _marker(mpi, clip, media, undo)
    if not item.SetClipColor(LATEST_COLOR) or item.GetClipColor() != LATEST_COLOR:
        raise undo.fail(f"Resolve did not colour {media.label} as the latest version")
    return Placed("track", item.GetUniqueId(), track, FrameRange(record.start, record.end), mpi.GetUniqueId())


def _read_back(timeline: Timeline, item: TimelineItem | None) -> tuple | None:
    if item is None or not item.GetUniqueId() or find_item(timeline, item.GetUniqueId()) is None:
        return None  # dropped: the append "succeeded" but nothing is on the timeline
    kind, track = item.GetTrackTypeAndIndex() or ["", 0]
    if kind != "video":
        return None
    return (int(track), int(item.GetStart()), int(item.GetDuration()), int(item.GetLeftOffset()))


def _describe(got: tuple | None, clip: ClipRef) -> str:
    if got is None:
        return "nowhere (the append was dropped)"
    track, start, duration, offset = got
    return (f"on V{track} at {clip.timeline.timecode_of(start)} for {duration} frames "
            f"from source frame {offset}")


def _as_take(pool: MediaPool, timeline: Timeline, clip: ClipRef, media: VersionMedia,
             mpi: MediaPoolItem, undo: _Undo) -> Placed:
    source = find_item(timeline, clip.item_id) if clip.item_id else None
    if source is None:
        raise undo.fail(f"the source clip {clip.name!r} is no longer on the timeline")
    rate = _media_rate(mpi, clip)
    extent = _extent(clip, media, rate, undo)
    if extent.denominator != 1:  # README: AddTake's startFrame (int) and endFrame (int)
        raise undo.fail(
            f"no whole number of {rate} fps frames fills exactly {clip.placement.duration} frames at "
            f"{clip.timeline.rate} fps, and a take takes whole frames only; place {media.label} as a new track"
        )
    start, end = media.offset, media.offset + int(extent)
    count, selected = int(source.GetTakesCount() or 0), int(source.GetSelectedTakeIndex() or 0)
    place = (int(source.GetStart()), int(source.GetDuration()))
    if not source.AddTake(mpi, start, end):
        raise undo.fail(f"Resolve refused {media.label} as a take")
    new_count = int(source.GetTakesCount() or 0)
    if new_count <= count:
        raise undo.fail(f"Resolve said it added {media.label} as a take, but the clip has no new take")
    index = new_count

    def remove_take() -> bool:
        source.SelectTakeByIndex(selected or 1)
        return bool(source.DeleteTakeByIndex(index))
    undo.add(f"take {index} ({media.label})", remove_take)
    take = source.GetTakeByIndex(index) or {}
    taken = take.get("mediaPoolItem")
    if not source.SelectTakeByIndex(index) or int(source.GetSelectedTakeIndex() or 0) != index \
            or taken is None or taken.GetUniqueId() != mpi.GetUniqueId():
        raise undo.fail(f"Resolve did not select {media.label} as the clip's take")
    got = (take.get("startFrame"), take.get("endFrame"))
    if got != (start, end) or record_frames(end - start, rate, clip.timeline.rate) != clip.placement.duration:
        raise undo.fail(f"Resolve gave take {media.label} source frames {got[0]}-{got[1]}, not {start}-{end}")
    if (int(source.GetStart()), int(source.GetDuration())) != place:
        raise undo.fail(f"the clip moved when {media.label} was added as a take")
    _marker(mpi, clip, media, undo)
    track = int((source.GetTrackTypeAndIndex() or ["video", 0])[1])
    return Placed("take", source.GetUniqueId(), track, clip.placement.record, mpi.GetUniqueId(),
                  take_index=index)


def marker_payload(clip: ClipRef, media: VersionMedia) -> str:
    data = {"version": media.label, "version_id": media.version_id, "path": media.path,
            "source": clip.media_path, "source_range": [clip.source_range.start, clip.source_range.end],
            **media.metadata}
    return json.dumps({NAMESPACE: data}, sort_keys=True)


def _marker(mpi: MediaPoolItem, clip: ClipRef, media: VersionMedia, undo: _Undo) -> None:
    """The version's lineage, on its own media-pool item, at the media frame the clip starts on."""
    payload = marker_payload(clip, media)
    markers = mpi.GetMarkers() or {}
    frames = media.frames or media.offset + len(clip.source_range)
    frame = next((f for f in range(media.offset, frames) if float(f) not in markers), media.offset)
    note = f"{media.metadata.get('op', 'edit')} of {clip.name}"
    if not mpi.AddMarker(frame, MARKER_COLOR, f"{NAMESPACE} {media.label}", note, 1, payload):
        raise undo.fail(f"Resolve refused the version marker on {media.label}")
    undo.add(f"the {media.label} marker", lambda: mpi.DeleteMarkerAtFrame(frame))
    if (mpi.GetMarkers() or {}).get(float(frame), {}).get("customData") != payload:
        raise undo.fail(f"the version marker on {media.label} did not keep its data")


def _recolor(timeline: Timeline, item_ids: tuple[str, ...]) -> tuple[str, ...]:
    """Marks older versions as outdated. Cosmetic: a miss is reported, not undone."""
    warnings = []
    for item_id in item_ids:
        try:
            item = find_item(timeline, item_id)
            if item is None:
                warnings.append(f"an earlier version (item {item_id}) is no longer on the timeline")
            elif not item.SetClipColor(OUTDATED_COLOR) or item.GetClipColor() != OUTDATED_COLOR:
                warnings.append(f"Resolve did not colour {item.GetName()!r} as outdated")
        except Exception as exc:  # the placement itself is done and kept; say what was not
            warnings.append(f"could not mark an earlier version (item {item_id}) as outdated: {_reason(exc)}")
    return tuple(warnings)
