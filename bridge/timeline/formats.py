"""Timeline files in and out: OTIO (Resolve-shaped), FCP7 XML and CMX 3600 EDL, by extension.

FCP7 XML and EDL go through OpenTimelineIO-Plugins' adapters (`fcp_xml`, `cmx_3600`). An EDL
holds one video track, so writing a timeline with a retakes track to .edl writes the retakes
track alone (the editor's own EDL is left as it was); `write_timeline` says so in its result.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import opentimelineio as otio

from .otio_model import RETAKES_TRACK, video_tracks

ADAPTERS = {".otio": "otio_json", ".xml": "fcp_xml", ".edl": "cmx_3600"}


def adapter_for(path: str | os.PathLike) -> str:
    suffix = Path(path).suffix.lower()
    if suffix not in ADAPTERS:
        raise ValueError(f"{path}: expected a timeline file ending in {', '.join(ADAPTERS)}")
    name = ADAPTERS[suffix]
    if name not in otio.adapters.available_adapter_names():
        raise RuntimeError(f"reading {suffix} needs the {name} adapter: pip install opentimelineio-plugins")
    return name


def read_timeline(path: str | os.PathLike, *, rate: float | None = None) -> otio.schema.Timeline:
    """Reads a timeline file. EDLs carry no rate: pass it (default 24)."""
    adapter = adapter_for(path)
    kwargs = {"rate": rate or 24} if adapter == "cmx_3600" else {}
    result = otio.adapters.read_from_file(str(path), adapter_name=adapter, **kwargs)
    if isinstance(result, otio.schema.SerializableCollection):  # fcp_xml with several sequences
        timelines = list(result.find_children(descended_from_type=otio.schema.Timeline))
        if len(timelines) != 1:
            raise ValueError(f"{path} holds {len(timelines)} sequences; export just the one to edit")
        result = timelines[0]
    if adapter == "cmx_3600" and result.global_start_time is None:
        result.global_start_time = _edl_record_start(Path(path), rate or 24)
    return result


_EVENT = re.compile(r"^\d{3,}\s.*\s(\d\d:\d\d:\d\d[:;]\d\d)\s+\d\d:\d\d:\d\d[:;]\d\d\s*$")


def _edl_record_start(path: Path, rate: float) -> otio.opentime.RationalTime | None:
    """The adapter starts the track at the first event; the NLE started it at its record-in TC."""
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        match = _EVENT.match(line.strip())
        if match:
            return otio.opentime.from_timecode(match.group(1), rate)
    return None


def write_timeline(timeline: otio.schema.Timeline, path: str | os.PathLike) -> str:
    """Writes by extension to a temp name, then renames, so a reader never sees half a file."""
    adapter = adapter_for(path)
    note = f"wrote {path}"
    if adapter == "cmx_3600":
        timeline, note = (
            _edl_view(timeline),
            f"wrote {path} (an EDL holds one video track: the retakes track)",
        )
    target = Path(path)
    tmp = target.with_name(f".{target.name}.tmp")
    text = otio.adapters.write_to_string(timeline, adapter_name=adapter)
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, target)
    return note


def _edl_view(timeline: otio.schema.Timeline) -> otio.schema.Timeline:
    tracks = video_tracks(timeline)
    chosen = ([t for t in tracks if t.name == RETAKES_TRACK] or tracks[-1:])[-1].clone()
    start = timeline.global_start_time
    if start is not None and start.value:
        # The EDL writer counts record timecode from the track's start, not the timeline's:
        # lead with the timeline's start so record TCs read 01:00:00:00-based as in the NLE.
        lead = otio.schema.Gap(
            source_range=otio.opentime.TimeRange(otio.opentime.RationalTime(0, start.rate), start)
        )
        chosen.insert(0, lead)
    view = otio.schema.Timeline(name=timeline.name)
    view.tracks.append(chosen)
    return view
