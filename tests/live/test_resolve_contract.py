"""What the Resolve double assumes, checked on a live Resolve (see conftest.py for setup)."""

from __future__ import annotations

import os

import pytest

from retakes.bridge.agent.retakes_agent import check_host
from retakes.bridge.clipref import VersionMedia
from retakes.bridge.resolve.api import current_timeline, has_method
from retakes.bridge.resolve.place import place_version
from retakes.bridge.resolve.read import current_clip, find_item, selected_item, timeline_info
from retakes.engine.timecode import timecode_to_frames


def test_edition_and_version_are_usable(resolve) -> None:
    usable, notes = check_host(resolve.GetProductName(), resolve.GetVersion())
    assert usable, notes


def test_record_frames_are_absolute_from_the_start_timecode(resolve) -> None:
    _, timeline = current_timeline(resolve)
    info = timeline_info(timeline)
    assert timeline.GetStartFrame() == timecode_to_frames(timeline.GetStartTimecode(), info.rate)


def test_end_is_exclusive_and_offsets_match_the_clipref(resolve) -> None:
    _, timeline = current_timeline(resolve)
    item = selected_item(timeline)
    assert item.GetEnd() - item.GetStart() == item.GetDuration()
    clip = current_clip(resolve)
    assert clip.placement.record.start == item.GetStart() and clip.placement.record.end == item.GetEnd()
    assert clip.source_range.start == item.GetLeftOffset()
    assert item.GetSourceEndFrame() - item.GetSourceStartFrame() == item.GetDuration()  # unretimed, same rate


def test_feature_probe_by_dir(resolve) -> None:
    _, timeline = current_timeline(resolve)
    version = tuple(resolve.GetVersion()[:3])
    assert has_method(timeline, "GetSelectedClips") == (version >= (21, 0, 4))
    assert not has_method(timeline, "NoSuchMethodAnywhere")


@pytest.mark.skipif(os.environ.get("RETAKES_LIVE_WRITE") != "1", reason="RETAKES_LIVE_WRITE=1 lets it add")
def test_placement_lands_exactly_and_can_be_removed(resolve) -> None:
    path = os.environ["RETAKES_LIVE_VERSION"]
    project, timeline = current_timeline(resolve)
    clip = current_clip(resolve)
    tracks = timeline.GetTrackCount("video")
    placed = place_version(resolve, clip, VersionMedia("v999", path))
    try:
        item = find_item(timeline, placed.item_id)
        assert item.GetTrackTypeAndIndex() == ["video", tracks + 1]
        assert (item.GetStart(), item.GetDuration()) == (clip.placement.record.start, clip.placement.duration)
    finally:  # leave the project as it was
        timeline.DeleteClips([find_item(timeline, placed.item_id)])
        timeline.DeleteTrack("video", tracks + 1)
        pool = project.GetMediaPool()
        retakes_bin = [f for f in pool.GetRootFolder().GetSubFolderList() if f.GetName() == "retakes"]
        pool.DeleteFolders(retakes_bin)
