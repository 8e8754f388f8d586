"""OTIO conversion: ClipRef <-> OTIO clip, and the retakes track of versions.

No host and no file formats here (`formats.py` reads and writes files). Inside, time is OTIO
RationalTime/TimeRange at the timeline's rate; integer frames come out through `frames_of`,
never through seconds. Media ranges are timecode-absolute the way Resolve writes and expects
them (a 10:00:00:00 clip at 25 fps starts at frame 900000), which also lets every version of a
clip share one `source_range` whatever handles it was rendered with.

The retakes track holds one clip per versioned source clip: its media references are the
versions, the active one under OTIO's DEFAULT_MEDIA key (the key Resolve reads) and the others
under their labels ("v001"); everything retakes knows sits in `metadata["retakes"]`.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import unquote, urlparse

import opentimelineio as otio
from opentimelineio.opentime import RationalTime, TimeRange

from retakes.engine.timecode import FrameRange, FrameRate, Timebase, timecode_to_frames

from ..clipref import NAMESPACE, ClipRef, ClipRefused, Placement, TimelineInfo, VersionMedia

RETAKES_TRACK = "retakes"
DEFAULT_KEY = otio.schema.Clip.DEFAULT_MEDIA_KEY
RESOLVE_META = {"Resolve_OTIO": {"Resolve OTIO Meta Version": "1.0"}}


def rt(frames: int, rate: FrameRate) -> RationalTime:
    return RationalTime(frames, float(rate.value))


def frames_of(time: RationalTime, rate: FrameRate) -> int:
    """Integer frames at `rate`; refuses a time that is not on a frame boundary."""
    value = time.value_rescaled_to(float(rate.value))
    frames = round(value)
    if abs(value - frames) > 1e-3:
        raise ValueError(f"{time} is not a whole frame at {rate} fps")
    return frames


def rate_of(rate: float) -> FrameRate:
    """OTIO keeps rates as floats; snap 23.976/29.97-ish floats back to the 1001 fractions."""
    return FrameRate.parse(f"{rate:.6f}".rstrip("0").rstrip("."))


def timeline_rate(timeline: otio.schema.Timeline) -> FrameRate:
    if timeline.global_start_time is not None:
        return rate_of(timeline.global_start_time.rate)
    for clip in timeline.find_clips():
        return rate_of(clip.trimmed_range().duration.rate)
    raise ValueError(f"timeline {timeline.name!r} has no clips to take a rate from")


def video_tracks(timeline: otio.schema.Timeline) -> list[otio.schema.Track]:
    return [t for t in timeline.tracks if t.kind == otio.schema.TrackKind.Video]


def media_path(ref: otio.core.MediaReference) -> str:
    url = ref.target_url
    if url.startswith("file:"):
        parsed = urlparse(url)
        path = unquote(parsed.path)
        return path[1:] if len(path) > 2 and path[2] == ":" else path  # file:///C:/x -> C:/x
    return url


# ---------------------------------------------------------------- reading a clip


def clip_ref(timeline: otio.schema.Timeline, track_index: int, clip: otio.schema.Clip) -> ClipRef:
    """The ClipRef of a clip on the 1-based video track `track_index`, or ClipRefused."""
    name = clip.name or "clip"
    _refuse(clip, name)
    rate = timeline_rate(timeline)
    start = frames_of(timeline.global_start_time, rate) if timeline.global_start_time else 0
    # Display only (frames are exact either way). FCP7 XML as the adapter reads it keeps no
    # DF/NDF flag; 29.97 and 59.94 timelines are drop-frame by convention.
    drop = bool(timeline.metadata.get(NAMESPACE, {}).get("drop_frame", rate.is_drop_frame_rate))
    info = TimelineInfo(timeline.name or "timeline", rate, start, drop)
    in_parent = clip.range_in_parent()
    record_start = start + frames_of(in_parent.start_time, rate)
    duration = frames_of(in_parent.duration, rate)
    ref = clip.media_reference
    src_rate = rate_of(clip.source_range.start_time.rate) if clip.source_range else rate
    trimmed = clip.trimmed_range()
    first = frames_of(trimmed.start_time, src_rate)
    available = ref.available_range
    timebase, media_frames = None, None
    if available is not None:
        media_start = frames_of(available.start_time, src_rate)
        timebase = Timebase(src_rate, media_start, drop and src_rate.is_drop_frame_rate)
        media_frames = frames_of(available.duration, src_rate)
        first -= media_start
    return ClipRef(
        name=name,
        media_path=media_path(ref),
        source_rate=src_rate,
        source_range=FrameRange(first, first + frames_of(trimmed.duration, src_rate)),
        placement=Placement(track_index, FrameRange(record_start, record_start + duration)),
        timeline=info,
        source_timebase=timebase,
        media_frames=media_frames,
        metadata={"otio_clip": clip.name},
    )


def _refuse(clip: otio.core.Item, name: str) -> None:
    if isinstance(clip, otio.schema.Stack):
        raise ClipRefused("compound", name, "it is a nested sequence (compound clip); send the clip inside")
    for effect in clip.effects:
        if (
            isinstance(effect, otio.schema.LinearTimeWarp | otio.schema.FreezeFrame)
            or "speed" in effect.effect_name.lower()
            or "retime" in effect.effect_name.lower()
        ):
            raise ClipRefused(
                "retimed", name, "it is retimed; remove the speed change or render it in place first"
            )
    ref = clip.media_reference
    if isinstance(ref, otio.schema.GeneratorReference):
        kind = (
            "title"
            if "text" in ref.generator_kind.lower() or "title" in ref.generator_kind.lower()
            else "generator"
        )
        raise ClipRefused(kind, name, f"it is a {kind}, which has no source media to edit")
    if isinstance(ref, otio.schema.MissingReference) or not getattr(ref, "target_url", ""):
        raise ClipRefused("offline", name, "its media is offline (the timeline names no media file)")
    if "multicam" in str(clip.metadata).lower():
        raise ClipRefused("multicam", name, "it is a multicam clip; flatten it to the angle's source first")


def find_clips(
    timeline: otio.schema.Timeline, name: str, *, track: int | None = None, at: int | None = None
) -> list[tuple[int, otio.core.Item]]:
    """Video items named `name` (file name also matches), on `track`, covering record frame `at`."""
    rate = timeline_rate(timeline)
    start = frames_of(timeline.global_start_time, rate) if timeline.global_start_time else 0
    found = []
    for index, tr in enumerate(video_tracks(timeline), 1):
        if track is not None and index != track:
            continue
        for item in tr:
            if isinstance(item, otio.schema.Gap | otio.schema.Transition):
                continue
            names = {item.name}
            if isinstance(item, otio.schema.Clip) and hasattr(item.media_reference, "target_url"):
                names.add(Path(media_path(item.media_reference)).name)
            if name not in names:
                continue
            span = item.range_in_parent()
            first = start + frames_of(span.start_time, rate)
            if at is None or first <= at < first + frames_of(span.duration, rate):
                found.append((index, item))
    return found


def pick_clip(
    timeline: otio.schema.Timeline, name: str, *, track: int | None = None, at: str | int | None = None
) -> ClipRef:
    """The one clip matching name (and track, and record time); LookupError lists what matched."""
    rate = timeline_rate(timeline)
    frame = timecode_to_frames(at, rate, field="--at") if isinstance(at, str) else at
    matches = find_clips(timeline, name, track=track, at=frame)
    if not matches:
        raise LookupError(
            f"no clip named {name!r}"
            + (f" on V{track}" if track else "")
            + (f" at {at}" if at is not None else "")
            + f" in {timeline.name!r}"
        )
    if len(matches) > 1:
        where = ", ".join(f"V{i} at record frame {_record_start(timeline, c)}" for i, c in matches)
        raise LookupError(f"{len(matches)} clips are named {name!r} ({where}); pass --track and --at")
    index, item = matches[0]
    return clip_ref(timeline, index, item)


def _record_start(timeline: otio.schema.Timeline, item: otio.core.Item) -> int:
    rate = timeline_rate(timeline)
    start = frames_of(timeline.global_start_time, rate) if timeline.global_start_time else 0
    return start + frames_of(item.range_in_parent().start_time, rate)


# ---------------------------------------------------------------- the retakes track


def _media_start(clip: ClipRef) -> int:
    return clip.source_timebase.start_frame if clip.source_timebase else 0


def version_clip(clip: ClipRef, versions: Sequence[VersionMedia], active: str) -> otio.schema.Clip:
    """One OTIO clip whose media references are the versions, `active` selected."""
    if active not in {v.label for v in versions}:
        raise ValueError(f"active version {active!r} is not among {[v.label for v in versions]}")
    rate, media_start = clip.source_rate, _media_start(clip)
    first = media_start + clip.source_range.start  # timecode-absolute, shared by every version
    refs = {}
    for v in versions:
        frames = v.frames or v.offset + len(clip.source_range)
        ref = otio.schema.ExternalReference(
            target_url=v.path, available_range=TimeRange(rt(first - v.offset, rate), rt(frames, rate))
        )
        ref.name = v.label
        refs[DEFAULT_KEY if v.label == active else v.label] = ref
    result = otio.schema.Clip(
        name=f"{Path(clip.name).stem} {active}",
        source_range=TimeRange(rt(first, rate), rt(len(clip.source_range), rate)),
    )
    result.set_media_references(refs, DEFAULT_KEY)
    result.metadata[NAMESPACE] = {
        "active": active,
        "references": {key: ref.name for key, ref in refs.items()},
        "versions": {
            v.label: {"version_id": v.version_id, "path": v.path, "offset": v.offset, **v.metadata}
            for v in versions
        },
        "source": {
            "path": clip.media_path,
            "range": [clip.source_range.start, clip.source_range.end],
            "rate": str(clip.source_rate),
            "record": [clip.placement.record.start, clip.placement.record.end],
            "track": clip.placement.track,
        },
    }
    return result


def with_retakes_track(
    timeline: otio.schema.Timeline, clip: ClipRef, versions: Sequence[VersionMedia], active: str
) -> otio.schema.Timeline:
    """A copy of `timeline` with a new top video track holding the versions at the clip's record range."""
    out = copy.deepcopy(timeline)
    rate = clip.timeline.rate
    offset = clip.placement.record.start - clip.timeline.start_frame
    if offset < 0:
        raise ValueError(f"{clip.name} starts before the timeline does")
    track = otio.schema.Track(name=RETAKES_TRACK, kind=otio.schema.TrackKind.Video)
    track.metadata[NAMESPACE] = {"source_track": clip.placement.track}
    if offset:
        track.append(otio.schema.Gap(source_range=TimeRange(rt(0, rate), rt(offset, rate))))
    track.append(version_clip(clip, versions, active))
    tracks = out.tracks
    last_video = max((i for i, t in enumerate(tracks) if t.kind == otio.schema.TrackKind.Video), default=-1)
    tracks.insert(last_video + 1, track)  # above every video track, below nothing
    return out


def source_timeline(
    clip: ClipRef, versions: Sequence[VersionMedia] = (), active: str = ""
) -> otio.schema.Timeline:
    """A Resolve-shaped timeline of the round trip: the source clip on V1, the versions above."""
    rate, info = clip.timeline.rate, clip.timeline
    timeline = otio.schema.Timeline(name=info.name, global_start_time=rt(info.start_frame, rate))
    timeline.metadata.update(copy.deepcopy(RESOLVE_META))
    timeline.metadata[NAMESPACE] = {"drop_frame": info.drop_frame}
    track = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    track.metadata["Resolve_OTIO"] = {"Locked": False}
    offset = clip.placement.record.start - info.start_frame
    if offset:
        track.append(otio.schema.Gap(source_range=TimeRange(rt(0, rate), rt(offset, rate))))
    media_start = _media_start(clip)
    frames = clip.media_frames or clip.source_range.end
    source = otio.schema.Clip(
        name=clip.name,
        media_reference=otio.schema.ExternalReference(
            target_url=clip.media_path,
            available_range=TimeRange(rt(media_start, clip.source_rate), rt(frames, clip.source_rate)),
        ),
        source_range=TimeRange(
            rt(media_start + clip.source_range.start, clip.source_rate),
            rt(len(clip.source_range), clip.source_rate),
        ),
    )
    track.append(source)
    timeline.tracks.append(track)
    if not versions:
        return timeline
    with_versions = with_retakes_track(timeline, clip, versions, active or versions[-1].label)
    with_versions.tracks[-1].metadata["Resolve_OTIO"] = {"Locked": False}
    return with_versions


def active_versions(timeline: otio.schema.Timeline) -> list[dict]:
    """Every retakes clip: its track, record range, active label and the active media path."""
    rate = timeline_rate(timeline)
    start = frames_of(timeline.global_start_time, rate) if timeline.global_start_time else 0
    found = []
    for index, tr in enumerate(video_tracks(timeline), 1):
        for item in tr.find_clips():
            meta = item.metadata.get(NAMESPACE, {})
            span = item.range_in_parent()
            first = start + frames_of(span.start_time, rate)
            found.append(
                {
                    "track": index,
                    "record": FrameRange(first, first + frames_of(span.duration, rate)),
                    "active": meta.get("active"),
                    "path": media_path(item.media_reference),
                    "source_range": item.source_range,
                    "retakes": bool(meta),
                }
            )
    return found
