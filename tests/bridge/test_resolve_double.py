"""The Resolve double refuses what Resolve refuses and answers the way Resolve answers.

Each expectation is copied here from the document it comes from (not from the double):
README = Blackmagic's scripting README 21.0.4; LIMITS = davinci-resolve-mcp's api-limitations.md
(measured on live Resolve). See `retakes.bridge.resolve.double` for the list.
"""

from __future__ import annotations

from fractions import Fraction

import pytest

from retakes.bridge.resolve.double import MediaInfo, ResolveDouble
from retakes.engine.timecode import FrameRate

# README "Analyze Slate Settings": resolve.MARKER_BLUE ... resolve.MARKER_CREAM
MARKER = ["Blue", "Cyan", "Green", "Yellow", "Red", "Pink", "Purple", "Fuchsia", "Rose", "Lavender", "Sky",
          "Mint", "Lemon", "Sand", "Cocoa", "Cream"]
# LIMITS "SetClipColor (undocumented value space; marker constants are a decoy)"
CLIP = ["Orange", "Apricot", "Yellow", "Lime", "Olive", "Green", "Teal", "Navy", "Blue", "Purple", "Violet",
        "Pink", "Tan", "Beige", "Brown", "Chocolate"]


@pytest.fixture
def world(tmp_path):
    resolve = ResolveDouble()
    timeline = resolve.new_timeline("t", FrameRate(Fraction(24)))
    mpi = resolve.import_clip(str(tmp_path / "a.mov"), MediaInfo(FrameRate(Fraction(25)), 100))
    item = timeline.add_clip(mpi, track=1, record_start=86400, duration=48)
    return resolve, timeline, mpi, item


def test_markers_take_marker_colours_only(world) -> None:
    _, _, mpi, item = world
    for owner in (item, mpi):
        for frame, colour in enumerate(MARKER):
            assert owner.AddMarker(frame, colour, "m", "", 1, "") is True, colour
        for frame, colour in enumerate(sorted(set(CLIP) - set(MARKER)), start=20):
            assert owner.AddMarker(frame, colour, "m", "", 1, "") is False, colour
        assert owner.AddMarker(30, "Purple", "m", "", 1, "") is True
        assert owner.AddMarker(30, "Blue", "again", "", 1, "") is False  # one marker per frame
    assert item.AddMarker(48, "Blue", "past the end", "", 1, "") is False  # frames count within the clip
    assert mpi.AddMarker(99, "Blue", "last media frame", "", 1, "") is True


def test_clip_colours_take_clip_colours_only(world) -> None:
    _, _, mpi, item = world
    for owner in (item, mpi):
        for colour in CLIP:
            assert owner.SetClipColor(colour) is True and owner.GetClipColor() == colour
        for colour in sorted(set(MARKER) - set(CLIP)) + [""]:
            assert owner.SetClipColor(colour) is False


def test_append_converts_source_frames_to_record_frames(world) -> None:
    resolve, timeline, mpi, _ = world
    timeline.AddTrack("video")
    pool = resolve.project.media_pool
    # LIMITS "AppendToTimeline with mixed-fps sources": floor(source x 24 / 25)
    for start, end, record, laid in ((0, 25, 90000, 24), (0, 24, 90100, 23), (10, 60, 90200, 48),
                                     (0, 23.52, 90300, 22)):
        (item,) = pool.AppendToTimeline([{"mediaPoolItem": mpi, "startFrame": start, "endFrame": end,
                                          "trackIndex": 2, "recordFrame": record}])
        assert (item.GetStart(), item.GetDuration(), item.GetLeftOffset()) == (record, laid, start)
        assert item.GetSourceEndFrame() == int(-(-end // 1)) - 1  # inclusive at mixed rates (nle.md 5)


def test_what_resolve_refuses_comes_back_empty_not_raised(world) -> None:
    resolve, timeline, mpi, item = world
    pool = resolve.project.media_pool
    for info in ({"mediaPoolItem": mpi, "startFrame": 0, "endFrame": 101},  # past the media's 100 frames
                 {"mediaPoolItem": mpi, "startFrame": 10, "endFrame": 10},
                 {"mediaPoolItem": mpi, "startFrame": "0", "endFrame": 5},
                 {"mediaPoolItem": "not an item"},
                 {"mediaPoolItem": mpi, "trackIndex": 9}):
        assert pool.AppendToTimeline([info]) == []
    assert pool.AppendToTimeline("nonsense") == []
    assert item.AddTake(mpi, 0, 101) is False and item.AddTake(mpi, 5, 5) is False
    assert item.AddTake("x") is False and item.GetTakeByIndex(1) is None
    assert item.AddMarker("zero", "Blue", "m", "", 1, "") is False
    assert timeline.SetCurrentTimecode("not a timecode") is False
    assert timeline.DeleteClips("x") is False and pool.DeleteClips(None) is False
    assert pool.ImportMedia("a.mov") == [] and pool.AddSubFolder(None, "x") is None
    assert timeline.GetNoSuchMethod is None  # a name Resolve lacks reads as None


def test_dir_lists_class_methods_only(world) -> None:
    _, timeline, _, _ = world
    assert callable(timeline.GetSelectedClips) and "GetSelectedClips" not in dir(timeline)
    assert "AddTrack" in dir(timeline)
