"""OTIO round trip: Resolve-shaped export read back by OTIO and by the FCP7 XML adapter, and the
any-NLE path (OTIO, FCP7 XML, EDL in; the timeline written back with the retakes track)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import opentimelineio as otio
import pytest
from opentimelineio.opentime import RationalTime, TimeRange

from retakes.bridge.clipref import ClipRefused, VersionMedia
from retakes.bridge.resolve.read import current_clip
from retakes.bridge.timeline.formats import read_timeline, write_timeline
from retakes.bridge.timeline.otio_model import (
    DEFAULT_KEY,
    active_versions,
    frames_of,
    pick_clip,
    source_timeline,
    timeline_rate,
    with_retakes_track,
)
from retakes.engine.timecode import FrameRange, FrameRate, frames_to_timecode
from tests.support.resolve_scenes import DURATION, LEFT_OFFSET, Scene

HANDLES = 12


def _versions(tmp: Path) -> list[VersionMedia]:
    return [
        VersionMedia("v001", str(tmp / "A_v001.mov"), 1, 0, DURATION),
        VersionMedia("v002", str(tmp / "A_v002.mov"), 2, HANDLES, DURATION + 2 * HANDLES),
    ]


def _ranges(timeline: otio.schema.Timeline) -> list[tuple]:
    rate = timeline_rate(timeline)
    return [
        (
            v["track"],
            v["record"],
            v["path"],
            frames_of(v["source_range"].start_time, rate),
            frames_of(v["source_range"].duration, rate),
        )
        for v in active_versions(timeline)
    ]


def test_resolve_export_reads_back_the_same_in_otio_and_fcp7(scene: Scene) -> None:
    clip = current_clip(scene.resolve)
    versions = _versions(scene.tmp)
    exported = source_timeline(clip, versions, "v002")
    assert exported.metadata["Resolve_OTIO"]["Resolve OTIO Meta Version"] == "1.0"
    write_timeline(exported, scene.tmp / "rt.otio")
    write_timeline(exported, scene.tmp / "rt.xml")
    from_otio, from_xml = read_timeline(scene.tmp / "rt.otio"), read_timeline(scene.tmp / "rt.xml")

    media_start = clip.source_timebase.start_frame
    expected = [
        (1, clip.placement.record, clip.media_path, media_start + LEFT_OFFSET, DURATION),
        (2, clip.placement.record, versions[1].path, media_start + LEFT_OFFSET, DURATION),
    ]
    assert _ranges(from_otio) == expected
    assert _ranges(from_xml) == expected  # same ranges, and v002 is the active media in both

    version_clip = from_otio.tracks[1].find_clips()[0]
    refs = version_clip.media_references()
    assert version_clip.active_media_reference_key == DEFAULT_KEY
    assert refs[DEFAULT_KEY].target_url == versions[1].path and refs["v001"].target_url == versions[0].path
    assert version_clip.metadata["retakes"]["active"] == "v002"
    # each version's available range puts the clip's first frame at the same timecode
    for ref, version in ((refs["v001"], versions[0]), (refs[DEFAULT_KEY], versions[1])):
        assert (
            frames_of(ref.available_range.start_time, clip.source_rate)
            == media_start + LEFT_OFFSET - version.offset
        )
    # the source clip's media range is timecode-absolute, as Resolve's importer wants
    src = from_otio.tracks[0].find_clips()[0]
    assert frames_of(src.media_reference.available_range.start_time, clip.source_rate) == media_start
    assert frames_of(from_otio.global_start_time, clip.timeline.rate) == clip.timeline.start_frame


def test_edl_export_holds_the_retakes_track_at_absolute_record_timecode(scene: Scene) -> None:
    clip = current_clip(scene.resolve)
    note = write_timeline(source_timeline(clip, _versions(scene.tmp), "v002"), scene.tmp / "rt.edl")
    assert "retakes track" in note
    event = next(line for line in (scene.tmp / "rt.edl").read_text().splitlines() if line.startswith("001"))
    fields = event.split()
    tc = frames_to_timecode(
        clip.placement.record.start, clip.timeline.rate, drop_frame=clip.timeline.drop_frame
    )
    assert fields[-2] == tc
    assert "A_v002.mov" in (scene.tmp / "rt.edl").read_text()


# ---------------------------------------------------------------- any NLE

NLE_RATES = [("23.976", Fraction(24000, 1001), 86400), ("29.97DF", Fraction(30000, 1001), 107892)]


def _foreign_timeline(rate: Fraction, start: int, tmp: Path) -> otio.schema.Timeline:
    """What Premiere or Avid might export: two video tracks, gaps, a repeated clip, audio."""
    r = float(rate)

    def clip(name: str, first: int, length: int, media_start: int = 864000) -> otio.schema.Clip:
        ref = otio.schema.ExternalReference(
            target_url=(tmp / name).as_uri(),
            available_range=TimeRange(RationalTime(media_start, r), RationalTime(1000, r)),
        )
        return otio.schema.Clip(
            name=name,
            media_reference=ref,
            source_range=TimeRange(RationalTime(media_start + first, r), RationalTime(length, r)),
        )

    def gap(length: int) -> otio.schema.Gap:
        return otio.schema.Gap(source_range=TimeRange(RationalTime(0, r), RationalTime(length, r)))

    tl = otio.schema.Timeline(name="cut", global_start_time=RationalTime(start, r))
    v1 = otio.schema.Track(name="V1")
    v1.extend([clip("wide.mov", 10, 50), clip("close.mov", 37, 48), gap(20), clip("wide.mov", 200, 30)])
    v2 = otio.schema.Track(name="V2")
    v2.extend([gap(70), clip("insert.mov", 5, 24)])
    a1 = otio.schema.Track(name="A1", kind=otio.schema.TrackKind.Audio)
    a1.append(clip("wide.mov", 10, 148))
    tl.tracks.extend([v1, v2, a1])
    return tl


def _track_summary(timeline: otio.schema.Timeline) -> list[list[tuple]]:
    rate = timeline_rate(timeline)
    out = []
    for track in timeline.tracks:
        items = []
        for item in track:
            span = item.range_in_parent()
            entry = (type(item).__name__, frames_of(span.start_time, rate), frames_of(span.duration, rate))
            if isinstance(item, otio.schema.Clip):
                entry += (
                    Path(item.media_reference.target_url).name,
                    frames_of(item.source_range.start_time, rate),
                )
            items.append(entry)
        out.append((track.kind, items))
    return out


@pytest.mark.parametrize("rate_id, rate, start", NLE_RATES, ids=[r[0] for r in NLE_RATES])
@pytest.mark.parametrize("ext", [".xml", ".otio"])
def test_exported_timeline_round_trip(
    tmp_path: Path, rate_id: str, rate: Fraction, start: int, ext: str
) -> None:
    source_file = tmp_path / f"cut{ext}"
    write_timeline(_foreign_timeline(rate, start, tmp_path), source_file)
    timeline = read_timeline(source_file)
    before = _track_summary(timeline)

    clip = pick_clip(timeline, "close.mov", track=1)
    assert clip.source_rate == FrameRate(rate) and clip.timeline.start_frame == start
    assert clip.media_path == str(tmp_path / "close.mov")
    assert clip.source_range == FrameRange(37, 85) and clip.source_timebase.start_frame == 864000
    assert clip.placement.track == 1 and clip.placement.record == FrameRange(start + 50, start + 98)

    version = VersionMedia("v001", str(tmp_path / "close_v001.mov"), 1, 0, 48)
    out = tmp_path / f"cut_retakes{ext}"
    write_timeline(with_retakes_track(timeline, clip, [version], "v001"), out)
    back = read_timeline(out)
    summary = _track_summary(back)
    video = [s for s in summary if s[0] == otio.schema.TrackKind.Video]
    assert [s for s in summary if s not in video[-1:]] == before  # original tracks unchanged
    placed = [v for v in active_versions(back) if v["path"] == version.path]
    assert len(placed) == 1 and placed[0]["track"] == 3 and placed[0]["record"] == clip.placement.record


def test_pick_clip_by_name_track_and_time(tmp_path: Path) -> None:
    timeline = _foreign_timeline(Fraction(24000, 1001), 86400, tmp_path)
    with pytest.raises(LookupError, match="2 clips are named 'wide.mov'"):
        pick_clip(timeline, "wide.mov")
    later = pick_clip(timeline, "wide.mov", at="01:00:05:00")  # 86400 + 120 is inside the third V1 item
    assert later.source_range == FrameRange(200, 230) and later.placement.record.start == 86400 + 118
    assert pick_clip(timeline, "insert.mov").placement.track == 2
    with pytest.raises(LookupError, match="no clip named 'insert.mov' on V1"):
        pick_clip(timeline, "insert.mov", track=1)


def test_edl_source_without_media_timecode_is_kept_as_timecode(tmp_path: Path) -> None:
    edl = tmp_path / "cut.edl"
    edl.write_text(
        "TITLE: cut\nFCM: NON-DROP FRAME\n\n"
        "001  AX       V     C        10:00:01:13 10:00:03:13 01:00:00:00 01:00:02:00\n"
        "* FROM CLIP NAME:  close.mov\n"
        f"* FROM CLIP: {tmp_path / 'close.mov'}\n"
    )
    clip = pick_clip(read_timeline(edl, rate=24), "close.mov")
    assert clip.source_timebase is None
    assert clip.source_timecodes == ("10:00:01:13", "10:00:03:13")
    assert clip.media_path == str(tmp_path / "close.mov") and clip.placement.record == FrameRange(
        86400, 86448
    )


@pytest.mark.parametrize(
    "kind, make",
    [
        ("retimed", lambda c: c.effects.append(otio.schema.LinearTimeWarp(time_scalar=2.0))),
        (
            "generator",
            lambda c: setattr(
                c, "media_reference", otio.schema.GeneratorReference(generator_kind="SolidColor")
            ),
        ),
        (
            "title",
            lambda c: setattr(c, "media_reference", otio.schema.GeneratorReference(generator_kind="Text")),
        ),
        ("offline", lambda c: setattr(c, "media_reference", otio.schema.MissingReference())),
        ("multicam", lambda c: c.metadata.update({"fcp_xml": {"multicam": True}})),
    ],
)
def test_refused_kinds_in_exported_timelines(tmp_path: Path, kind: str, make) -> None:
    timeline = _foreign_timeline(Fraction(25), 90000, tmp_path)
    make(timeline.tracks[1].find_clips()[0])
    with pytest.raises(ClipRefused) as refused:
        pick_clip(timeline, "insert.mov")
    assert refused.value.kind == kind


def test_nested_sequence_is_refused_as_compound(tmp_path: Path) -> None:
    timeline = _foreign_timeline(Fraction(25), 90000, tmp_path)
    nested = otio.schema.Stack(name="nest")
    nested.append(otio.schema.Track())
    nested[0].append(timeline.tracks[1].find_clips()[0].clone())
    timeline.tracks[1].append(nested)
    with pytest.raises(ClipRefused, match="nested sequence"):
        pick_clip(timeline, "nest")
