"""What the Resolve double assumes, checked on a live Resolve (see conftest.py for setup).

Read-only tests run whenever the live suite runs. Tests that add something (a marker, a take, a
track, a clip colour) need RETAKES_LIVE_WRITE=1 and put back exactly what they changed; those
that place a version also need RETAKES_LIVE_VERSION, a media file at the selected clip's media
rate and at least as long as the clip's source range. Select a clip whose media rate differs
from the timeline's to check mixed-rate placement (issue 13 item 14) as well.
"""

from __future__ import annotations

import os
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest

from retakes.bridge.agent.retakes_agent import check_host
from retakes.bridge.clipref import NAMESPACE, VersionMedia
from retakes.bridge.resolve.api import current_timeline, has_method
from retakes.bridge.resolve.place import place_version
from retakes.bridge.resolve.read import current_clip, find_item, selected_item, timeline_info
from retakes.bridge.review.markers import sync_markers
from retakes.bridge.review.notes import Note
from retakes.engine.timecode import FrameRate, timecode_to_frames

# README 21.0.4 "Analyze Slate Settings" (MARKER_*) and api-limitations.md "SetClipColor".
MARKER_COLORS = ["Blue", "Cyan", "Green", "Yellow", "Red", "Pink", "Purple", "Fuchsia", "Rose", "Lavender",
                 "Sky", "Mint", "Lemon", "Sand", "Cocoa", "Cream"]
CLIP_COLORS = ["Orange", "Apricot", "Yellow", "Lime", "Olive", "Green", "Teal", "Navy", "Blue", "Purple",
               "Violet", "Pink", "Tan", "Beige", "Brown", "Chocolate"]

writes = pytest.mark.skipif(os.environ.get("RETAKES_LIVE_WRITE") != "1", reason="RETAKES_LIVE_WRITE=1 lets it add")


@pytest.fixture
def version_path() -> str:
    path = os.environ.get("RETAKES_LIVE_VERSION", "")
    if not path or not Path(path).is_file():
        pytest.skip("set RETAKES_LIVE_VERSION to a media file at least as long as the selected clip")
    return path


@pytest.fixture
def timeline(resolve):
    return current_timeline(resolve)[1]


@pytest.fixture
def item(timeline):
    return selected_item(timeline)


def _free_frame(owner, length: int) -> int:
    taken = owner.GetMarkers() or {}
    free = [f for f in range(length) if float(f) not in taken]
    if not free:
        pytest.skip("every frame of the selected clip already has a marker")
    return free[0]


@contextmanager
def _leaves_the_pool_as_it_was(project):
    """Deletes, afterwards, only the bins and media-pool items added meanwhile (an editor's own
    retakes bin, from real use, is left alone)."""
    pool = project.GetMediaPool()

    def folders(folder):
        yield folder
        for sub in folder.GetSubFolderList() or []:
            yield from folders(sub)

    def new_outermost(folder, known: set) -> list:
        found = []
        for sub in folder.GetSubFolderList() or []:
            found += new_outermost(sub, known) if sub.GetUniqueId() in known else [sub]
        return found

    known = {f.GetUniqueId() for f in folders(pool.GetRootFolder())}
    clips = {c.GetUniqueId() for f in folders(pool.GetRootFolder()) for c in f.GetClipList() or []}
    try:
        yield
    finally:
        added = [c for f in folders(pool.GetRootFolder()) for c in f.GetClipList() or []
                 if c.GetUniqueId() not in clips]
        if added:
            pool.DeleteClips(added)
        bins = new_outermost(pool.GetRootFolder(), known)
        if bins:
            pool.DeleteFolders(bins)


# ---------------------------------------------------------------- reading


def test_edition_and_version_are_usable(resolve) -> None:
    usable, notes = check_host(resolve.GetProductName(), resolve.GetVersion())
    assert usable, notes


def test_record_frames_are_absolute_from_the_start_timecode(timeline) -> None:
    info = timeline_info(timeline)
    assert timeline.GetStartFrame() == timecode_to_frames(timeline.GetStartTimecode(), info.rate)


def test_end_is_exclusive_and_offsets_match_the_clipref(resolve, item) -> None:
    assert item.GetEnd() - item.GetStart() == item.GetDuration()
    clip = current_clip(resolve)
    assert clip.placement.record.start == item.GetStart() and clip.placement.record.end == item.GetEnd()
    assert clip.source_range.start == item.GetLeftOffset()
    span = item.GetSourceEndFrame() - item.GetSourceStartFrame()
    if clip.source_rate == clip.timeline.rate:  # exclusive end at equal rates
        assert span == item.GetDuration()
    else:  # inclusive at mixed rates; the clip plays every frame the ClipRef names
        assert span + 1 <= len(clip.source_range) <= span + 2


def test_feature_probe(resolve, timeline) -> None:
    version = tuple(resolve.GetVersion()[:3])
    assert has_method(timeline, "GetSelectedClips") == (version >= (21, 0, 4))
    assert not has_method(timeline, "NoSuchMethodAnywhere")
    if version >= (21, 0, 4):  # nothing selected must read as [], so retakes asks instead of guessing
        assert isinstance(timeline.GetSelectedClips(), list)


def test_marker_dict_shape(item) -> None:
    for frame, marker in (item.GetMarkers() or {}).items():
        assert isinstance(frame, float)
        assert {"color", "duration", "note", "name", "customData"} <= set(marker)


# ---------------------------------------------------------------- markers and colours


@writes
def test_markers_take_marker_colours_and_refuse_clip_colours(item) -> None:
    frame, tag = _free_frame(item, int(item.GetDuration())), f"retakes-live-{uuid.uuid4()}"
    try:
        for colour in MARKER_COLORS:
            assert item.AddMarker(frame, colour, "retakes live", "", 1, tag) is True, colour
            assert item.GetMarkers()[float(frame)]["color"] == colour
            assert item.DeleteMarkerAtFrame(frame) is True
        for colour in sorted(set(CLIP_COLORS) - set(MARKER_COLORS)):
            assert item.AddMarker(frame, colour, "retakes live", "", 1, tag) is False, colour
            assert float(frame) not in (item.GetMarkers() or {})
        assert item.AddMarker(frame, "Blue", "retakes live", "", 1, tag) is True
        assert item.AddMarker(frame, "Red", "second on one frame", "", 1, tag) is False
    finally:
        if (item.GetMarkers() or {}).get(float(frame), {}).get("customData") == tag:
            item.DeleteMarkerAtFrame(frame)


@writes
def test_item_marker_frames_count_from_the_first_visible_frame(item) -> None:
    duration, left = int(item.GetDuration()), int(item.GetLeftOffset())
    if left < 1:
        pytest.skip("select a clip trimmed at its head (left offset > 0) to tell the two origins apart")
    markers = item.GetMarkers() or {}
    if float(duration - 1) in markers or float(duration) in markers:
        pytest.skip("the clip's last frames already hold markers")
    tag = f"retakes-live-{uuid.uuid4()}"
    try:
        # Counted from the first visible frame: duration-1 is the last frame and duration lies
        # past the end. Counted from the media's first frame, both would lie inside the clip.
        assert item.AddMarker(duration - 1, "Blue", "last visible frame", "", 1, tag) is True
        assert item.AddMarker(duration, "Blue", "one past the end", "", 1, tag) is False
        assert item.AddMarker(-1, "Blue", "before the start", "", 1, tag) is False
    finally:
        for frame, marker in (item.GetMarkers() or {}).items():
            if marker.get("customData") == tag:
                item.DeleteMarkerAtFrame(frame)


@writes
def test_media_pool_item_marker_frames_count_from_the_media_start(item) -> None:
    mpi = item.GetMediaPoolItem()
    frames = int(mpi.GetClipProperty("Frames"))
    taken = mpi.GetMarkers() or {}
    if float(frames - 1) in taken:
        pytest.skip("the media's last frame already holds a marker")
    tag = f"retakes-live-{uuid.uuid4()}"
    try:
        assert mpi.AddMarker(frames - 1, "Sky", "last media frame", "", 1, tag) is True
        assert mpi.AddMarker(frames, "Sky", "past the media", "", 1, tag) is False
    finally:
        for frame, marker in (mpi.GetMarkers() or {}).items():
            if marker.get("customData") == tag:
                mpi.DeleteMarkerAtFrame(frame)


@writes
def test_clip_colours_take_the_sixteen_clip_colours_only(item) -> None:
    before = item.GetClipColor() or ""
    try:
        for colour in CLIP_COLORS:
            assert item.SetClipColor(colour) is True and item.GetClipColor() == colour, colour
        for colour in sorted(set(MARKER_COLORS) - set(CLIP_COLORS)):
            assert item.SetClipColor(colour) is False, colour
            assert item.GetClipColor() == CLIP_COLORS[-1]
    finally:
        if before:
            item.SetClipColor(before)
        else:
            item.ClearClipColor()
    assert (item.GetClipColor() or "") == before


# ---------------------------------------------------------------- placing versions


@writes
def test_placement_lands_exactly_and_can_be_removed(resolve, version_path) -> None:
    project, timeline = current_timeline(resolve)
    clip = current_clip(resolve)
    tracks = timeline.GetTrackCount("video")
    with _leaves_the_pool_as_it_was(project):
        placed = place_version(resolve, clip, VersionMedia("v999", version_path))
        try:
            item = find_item(timeline, placed.item_id)
            assert item.GetTrackTypeAndIndex() == ["video", tracks + 1]
            assert (item.GetStart(), item.GetDuration(), item.GetLeftOffset()) == (
                clip.placement.record.start, clip.placement.duration, 0)
            # the lineage marker is on the version's media, so the clip's first frame takes a note
            mpi = item.GetMediaPoolItem()
            assert any(NAMESPACE in m["customData"] for m in (mpi.GetMarkers() or {}).values())
            note = Note("local:live", "v999", 0, 1, "a note on the first frame", "retakes live")
            assert sync_markers(item, [note], "v999").added == ["local:live"]
            assert list(item.GetMarkers()) == [0.0]
        finally:  # leave the timeline as it was
            timeline.DeleteClips([find_item(timeline, placed.item_id)])
            timeline.DeleteTrack("video", tracks + 1)
    assert timeline.GetTrackCount("video") == tracks


@writes
def test_a_take_keeps_the_clip_in_place_and_reads_back_as_its_media(resolve, version_path) -> None:
    project, timeline = current_timeline(resolve)
    clip = current_clip(resolve)
    source = find_item(timeline, clip.item_id)
    if int(source.GetTakesCount() or 0):
        pytest.skip("select a clip that is not a take selector yet")
    with _leaves_the_pool_as_it_was(project):
        placed = place_version(resolve, clip, VersionMedia("v999", version_path), mode="take")
        try:
            assert (placed.take_index, source.GetTakesCount(), source.GetSelectedTakeIndex()) == (2, 2, 2)
            take = source.GetTakeByIndex(2)
            version_rate = FrameRate.parse(str(take["mediaPoolItem"].GetClipProperty("FPS")))
            assert take["startFrame"] == 0 and take["mediaPoolItem"].GetClipProperty("File Path") == version_path
            assert int(take["endFrame"] * clip.timeline.rate.value / version_rate.value) == clip.placement.duration
            assert (source.GetStart(), source.GetDuration()) == (clip.placement.record.start, clip.placement.duration)
            again = current_clip(resolve)  # the clip now shows the take: read from the take, not the original
            assert again.media_path == version_path and again.source_range.start == 0
            assert "take 2 of 2" in again.source_note
            # informative: what the item's own offsets say while take 2 is selected (undocumented)
            print(f"take 2 selected: GetLeftOffset={source.GetLeftOffset()} "
                  f"GetSourceStartFrame={source.GetSourceStartFrame()} (original from {clip.source_range.start})")
        finally:
            source.SelectTakeByIndex(1)
            source.DeleteTakeByIndex(2)
    assert int(source.GetTakesCount() or 0) in (0, 1)
    assert source.GetMediaPoolItem().GetClipProperty("File Path") == clip.media_path
