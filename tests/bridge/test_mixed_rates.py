"""Clips whose media rate differs from the timeline's (phone and archive footage): read, rendered
range and placement, as a new track and as a take, exact to the frame.

Resolve takes AppendToTimeline/AddTake extents in source frames and lays
floor(source x timeline rate / media rate) record frames (api-limitations.md "MediaPool.
AppendToTimeline with mixed-fps sources (duration floor)"); the double does the same. The
expected source lengths below are worked out by hand, not by the code under test.
"""

from __future__ import annotations

from fractions import Fraction

import pytest

from retakes.bridge.resolve.place import PlacementError
from retakes.bridge.resolve.read import current_clip, find_item
from retakes.bridge.versions import NewVersion, VersionStore
from retakes.bridge.workflow import place_recorded
from retakes.engine.timecode import FrameRange, FrameRate
from tests.support.resolve_scenes import LEFT_OFFSET, Scene, make_scene

R24, R25 = FrameRate(Fraction(24)), FrameRate(Fraction(25))
R23976, R2997 = FrameRate(Fraction(24000, 1001)), FrameRate(Fraction(30000, 1001))

# (id, timeline rate, media rate, record frames, media frames the clip plays, whole-frame extent)
CASES = [
    # 25 frames of 25 fps last one second: 24 frames at 24 fps
    ("25-on-24", R24, R25, 24, 25, 25),
    # 10 frames at 24 need 10.42 frames of 25: 11 source frames lay floor(10.56) = 10
    ("25-on-24-short", R24, R25, 10, 11, 11),
    ("29.97-on-23.976", R23976, R2997, 40, 50, 50),
    # 48 frames at 24 show 47.95 frames of 23.976: 48 source frames lay floor(48.05) = 48
    ("23.976-on-24", R24, R23976, 48, 48, 48),
    # 25 frames at 25 need 24 frames of 24 exactly
    ("24-on-25", R25, R24, 25, 24, 24),
    # 24 frames at 25 need 23.04 frames of 24: 23 lay 23, 24 lay 25; only a fraction fills it
    ("24-on-25-fraction", R25, R24, 24, 24, None),
]


def _scene(tmp_path, timeline_rate: FrameRate, media_rate: FrameRate, duration: int) -> Scene:
    return make_scene(tmp_path, timeline_rate, "01:00:00:00", False, "10:00:00:00",
                      media_rate=media_rate, duration=duration)


def _version(scene: Scene, store: VersionStore, clip, op: str = "relight"):
    out = store.output_path_for(clip)
    out.write_bytes(f"{op} {out.name}".encode())
    scene.register_output(out, frames=len(clip.range_with_handles))  # at the media's own rate
    return store.record(NewVersion(clip=clip, op=op, output_path=str(out)))


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_the_clip_is_read_with_every_media_frame_it_plays(tmp_path, case) -> None:
    _, tl_rate, media_rate, duration, plays, _ = case
    scene = _scene(tmp_path, tl_rate, media_rate, duration)
    clip = current_clip(scene.resolve)
    assert clip.source_rate == media_rate and clip.timeline.rate == tl_rate
    assert clip.source_range == FrameRange(LEFT_OFFSET, LEFT_OFFSET + plays)
    assert clip.placement.duration == duration


@pytest.mark.parametrize("handles", [0, 6])
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_a_mixed_rate_version_lands_exactly_on_a_new_track(tmp_path, case, handles: int) -> None:
    _, tl_rate, media_rate, duration, plays, _ = case
    scene = _scene(tmp_path, tl_rate, media_rate, duration)
    clip = current_clip(scene.resolve, handles=handles)
    with VersionStore.open(tmp_path / "retakes") as store:
        version = _version(scene, store, clip)
        placed = place_recorded(scene.resolve, store, clip, version)
    item = find_item(scene.timeline, placed.item_id)
    assert item.GetTrackTypeAndIndex() == ["video", 2]
    assert (item.GetStart(), item.GetEnd()) == (scene.clip.GetStart(), scene.clip.GetEnd())
    assert item.GetDuration() == duration and item.GetLeftOffset() == handles
    assert item.GetMediaPoolItem().GetClipProperty("File Path") == version.output_path


@pytest.mark.parametrize("case", [c for c in CASES if c[5]], ids=[c[0] for c in CASES if c[5]])
def test_a_mixed_rate_version_lands_exactly_as_a_take(tmp_path, case) -> None:
    _, tl_rate, media_rate, duration, plays, whole = case
    scene = _scene(tmp_path, tl_rate, media_rate, duration)
    clip = current_clip(scene.resolve)
    with VersionStore.open(tmp_path / "retakes") as store:
        version = _version(scene, store, clip)
        placed = place_recorded(scene.resolve, store, clip, version, mode="take")
    take = scene.clip.GetTakeByIndex(placed.take_index)
    assert take["mediaPoolItem"].GetClipProperty("File Path") == version.output_path
    assert (take["startFrame"], take["endFrame"]) == (0, whole)  # every frame of the version, no more
    assert whole * tl_rate.value // media_rate.value == duration  # which Resolve lays as the clip's length
    assert (scene.clip.GetStart(), scene.clip.GetDuration()) == (clip.placement.record.start, duration)


def test_a_take_that_no_whole_frame_count_fills_is_refused_and_nothing_changes(tmp_path) -> None:
    scene = _scene(tmp_path, R25, R24, 24)
    clip = current_clip(scene.resolve)
    with VersionStore.open(tmp_path / "retakes") as store:
        version = _version(scene, store, clip)
        before = scene.resolve.snapshot()
        with pytest.raises(PlacementError, match="whole frames only; place v001 as a new track"):
            place_recorded(scene.resolve, store, clip, version, mode="take")
        assert store.placements(version.id) == []
    assert scene.resolve.snapshot() == before
