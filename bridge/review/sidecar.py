"""Review notes as markers in files beside the version's media: OTIO and CMX 3600 EDL.

Resolve is not always there when notes arrive (a pull on the command line, a review page left
running, the free edition), and a note nobody sees is lost work. So every delivery also
rewrites two sidecars next to the version's media, whatever Resolve did:

  <media stem>.notes.otio   a timeline of the version's clip with one marker per note (the
                            note's frame range, its full text as the marker comment, author and
                            note id in `metadata["retakes"]`): any OTIO host imports it.
  <media stem>.notes.edl    the same clip as a CMX 3600 event with `* LOC:` locator lines, the
                            form Avid, Resolve and most EDL readers take markers in.

Both are written by OTIO's own adapters (otio_json and cmx_3600 from OpenTimelineIO-Plugins),
into a temp name and renamed into place, so a reader never sees half a file. Marker times are
the version media's own timecode (its start timecode plus the note's frame), so the locators
sit where the notes were left when the file is imported with its timecode.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import opentimelineio as otio

from .notes import Note
from .versions import ReviewVersion

COLORS = {"frameio": otio.schema.MarkerColor.CYAN, "local": otio.schema.MarkerColor.BLUE}
EDL_TEXT_MAX = 120  # a locator is one line of an EDL; the full text lives in the OTIO file


@dataclass(frozen=True)
class Sidecars:
    otio: Path
    edl: Path
    markers: int


def sidecar_paths(media: Path) -> tuple[Path, Path]:
    base = media.parent / f"{media.stem if media.suffix else media.name}.notes"
    return base.with_name(base.name + ".otio"), base.with_name(base.name + ".edl")


def write_sidecars(version: ReviewVersion, notes: Iterable[Note]) -> Sidecars:
    """Rewrites both sidecars from the version's notes (all of them: the result is the same
    however often, and in whatever order, notes arrive)."""
    timeline = notes_timeline(version, notes)
    otio_path, edl_path = sidecar_paths(version.media_path)
    _write(otio_path, otio.adapters.write_to_string(timeline, "otio_json"))
    _write(edl_path, otio.adapters.write_to_string(timeline, "cmx_3600"))
    return Sidecars(otio_path, edl_path, len(timeline.tracks[0][0].markers))


def notes_timeline(version: ReviewVersion, notes: Iterable[Note]) -> otio.schema.Timeline:
    rate = float(version.rate.value)
    tb = version.timebase
    start = tb.start_frame
    media_range = otio.opentime.TimeRange(
        otio.opentime.RationalTime(start, rate), otio.opentime.RationalTime(version.frame_count, rate)
    )
    name = version.clip_name or version.clip_id
    clip = otio.schema.Clip(
        name=f"{name} {version.label}",
        media_reference=otio.schema.ExternalReference(
            target_url=version.media_path.resolve().as_uri(), available_range=media_range
        ),
        source_range=media_range,
    )
    for note in sorted(notes, key=lambda n: (n.frame, n.id)):
        who = f"{note.author}: " if note.author else ""
        one_line = " ".join(f"{who}{note.text}".split())
        clip.markers.append(
            otio.schema.Marker(
                name=one_line[:EDL_TEXT_MAX],
                marked_range=otio.opentime.TimeRange(
                    otio.opentime.RationalTime(start + note.frame, rate),
                    otio.opentime.RationalTime(note.duration, rate),
                ),
                color=COLORS.get(note.source, otio.schema.MarkerColor.CYAN),
                comment=note.text,
                metadata={"retakes": {"note_id": note.id, "author": note.author, "source": note.source,
                                      "frame": note.frame, "duration": note.duration}},
            )
        )
    track = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    track.append(clip)
    timeline = otio.schema.Timeline(name=f"{name} {version.label} review notes",
                                    global_start_time=otio.opentime.RationalTime(start, rate))
    timeline.tracks.append(track)
    return timeline


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
