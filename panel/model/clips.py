"""Where a clip comes from: a media file, an image sequence, an exported timeline, or the agent.

A ClipRef (the bridge's value type) is what every other part trades in. A bare media file has
no timeline, so it gets a stand-in one at the media's own rate and timecode; placing it back
needs Resolve, which the panel says in words when there is none. `clip_to_json`/`clip_from_json`
are the `--clip-json` format the agent (or a script) can start the panel with.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from retakes.bridge.clipref import ClipRef, ClipRefused, Placement, TimelineInfo
from retakes.engine.media import MediaInfo, probe
from retakes.engine.timecode import FrameRange, FrameRate, Timebase

TIMELINE_SUFFIXES = (".otio", ".xml", ".edl")
CLIP_JSON_VERSION = "ClipRef.1"  # versioned like every serialised type (OTIO habit)


def clip_for_media(info: MediaInfo, name: str | None = None) -> ClipRef:
    """A whole media file or sequence as a clip on a stand-in timeline of its own."""
    tb = info.timebase
    whole = FrameRange(0, info.frame_count)
    return ClipRef(
        name=name or info.path.name,
        media_path=str(info.path),
        source_rate=info.rate,
        source_range=whole,
        placement=Placement(1, FrameRange(tb.start_frame, tb.start_frame + info.frame_count)),
        timeline=TimelineInfo("(no timeline)", info.rate, tb.start_frame, tb.drop_frame),
        source_timebase=tb,
        media_frames=info.frame_count,
    )


def open_media(path: str | Path) -> tuple[ClipRef, MediaInfo]:
    """Probes a file or an image-sequence folder (disk work: call it off the GUI thread)."""
    info = probe(path)
    return clip_for_media(info), info


def probe_clip(clip: ClipRef) -> MediaInfo:
    rate = clip.source_rate if Path(clip.media_path).is_dir() else None
    return probe(clip.media_path, sequence_rate=rate)


@dataclass(frozen=True)
class TimelineEntry:
    """One video clip on an exported timeline, for the pick list."""

    label: str  # "V1  01:00:04:05  A001_C002"
    clip: ClipRef | None
    refused: str = ""  # why it cannot be sent, in the editor's words


def timeline_entries(path: str | Path) -> list[TimelineEntry]:
    """Every video clip of an OTIO / FCP7 XML / EDL file, refused ones with their reason."""
    import opentimelineio as otio

    from retakes.bridge.timeline.formats import read_timeline
    from retakes.bridge.timeline.otio_model import clip_ref, video_tracks

    timeline = read_timeline(path)
    entries = []
    for index, track in enumerate(video_tracks(timeline), 1):
        for item in track:
            if isinstance(item, otio.schema.Gap | otio.schema.Transition):
                continue
            try:
                ref = clip_ref(timeline, index, item)
            except ClipRefused as refusal:
                entries.append(TimelineEntry(f"V{index}  {item.name}", None, refusal.reason))
                continue
            except ValueError as exc:
                entries.append(TimelineEntry(f"V{index}  {item.name}", None, str(exc)))
                continue
            tc = ref.timeline.timecode_of(ref.placement.record.start)
            entries.append(TimelineEntry(f"V{index}  {tc}  {ref.name}", ref))
    return entries


# ---------------------------------------------------------------- --clip-json


def clip_to_json(clip: ClipRef) -> str:
    tb = clip.source_timebase
    data = {
        "schema": CLIP_JSON_VERSION, "name": clip.name, "media_path": clip.media_path,
        "source_rate": str(clip.source_rate),
        "source_range": [clip.source_range.start, clip.source_range.end],
        "track": clip.placement.track,
        "record": [clip.placement.record.start, clip.placement.record.end],
        "timeline": {"name": clip.timeline.name, "rate": str(clip.timeline.rate),
                     "start_frame": clip.timeline.start_frame, "drop_frame": clip.timeline.drop_frame},
        "source_timebase": None if tb is None else [tb.start_frame, tb.drop_frame],
        "handles": list(clip.handles), "media_frames": clip.media_frames, "item_id": clip.item_id,
    }
    return json.dumps(data)


def clip_from_json(text: str) -> ClipRef:
    data = json.loads(text)
    if data.get("schema", CLIP_JSON_VERSION) != CLIP_JSON_VERSION:
        raise ValueError(f"clip JSON schema {data.get('schema')!r} is not {CLIP_JSON_VERSION}")
    rate = FrameRate.parse(data["source_rate"])
    tl = data["timeline"]
    tb = data.get("source_timebase")
    return ClipRef(
        name=data["name"], media_path=data["media_path"], source_rate=rate,
        source_range=FrameRange(*data["source_range"]),
        placement=Placement(int(data.get("track", 1)), FrameRange(*data["record"])),
        timeline=TimelineInfo(tl["name"], FrameRate.parse(tl["rate"]), int(tl["start_frame"]),
                              bool(tl.get("drop_frame", False))),
        source_timebase=None if tb is None else Timebase(rate, int(tb[0]), bool(tb[1])),
        handles=tuple(data.get("handles", (0, 0))), media_frames=data.get("media_frames"),
        item_id=data.get("item_id", ""),
    )
