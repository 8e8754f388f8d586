"""Sending a clip again after a version was placed: the take it shows is read with that take's
own media and extents, and an edit of a retakes version says that it is one."""

from __future__ import annotations

from fractions import Fraction

import pytest

from retakes.bridge.edit_request import edit_request
from retakes.bridge.resolve.read import current_clip
from retakes.bridge.versions import NewVersion, VersionStore
from retakes.bridge.workflow import place_recorded
from retakes.engine.timecode import FrameRange, FrameRate
from tests.support.resolve_scenes import DURATION, LEFT_OFFSET, RATES, Scene, make_scene


def _version(scene: Scene, store: VersionStore, clip, op: str = "recolor"):
    out = store.output_path_for(clip)
    out.write_bytes(f"{op} {out.name}".encode())
    scene.register_output(out, frames=len(clip.range_with_handles))
    return store.record(NewVersion(clip=clip, op=op, output_path=str(out)))


@pytest.fixture
def store(scene: Scene):
    with VersionStore.open(scene.tmp / "retakes") as s:
        yield s


def test_a_clip_showing_a_version_take_is_read_from_that_take(scene: Scene, store: VersionStore) -> None:
    original = current_clip(scene.resolve, handles=12)
    v1 = _version(scene, store, original)
    place_recorded(scene.resolve, store, original, v1, mode="take")

    again = current_clip(scene.resolve)  # the same clip, now showing take 2
    assert again.media_path == v1.output_path
    assert again.source_range == FrameRange(12, 12 + DURATION)  # v001's frames the clip shows
    assert again.source_range.end <= again.media_frames == DURATION + 24
    assert again.placement == original.placement and again.item_id == original.item_id
    assert "shows take 2 of 2, which is retakes v001 of A001_C002.mov" in again.source_note
    assert "an edit of an edit" in again.source_note and "select take 1" in again.source_note
    request = edit_request(again, op="relight", output_path=str(scene.tmp / "o.mov"))
    assert (request.source.path, request.range.frames.start, request.range.frames.end) == (
        v1.output_path, 12, 12 + DURATION)

    v2 = _version(scene, store, again, op="relight")  # continues v001's series, as its child
    assert (v2.label, v2.parent_id) == ("v002", v1.id)
    placed = place_recorded(scene.resolve, store, again, v2, mode="take")
    take = scene.clip.GetTakeByIndex(placed.take_index)
    assert (take["startFrame"], take["endFrame"]) == (0, DURATION)
    assert (scene.clip.GetStart(), scene.clip.GetDuration()) == (original.placement.record.start, DURATION)


def test_selecting_the_original_take_sends_the_original(scene: Scene, store: VersionStore) -> None:
    original = current_clip(scene.resolve)
    place_recorded(scene.resolve, store, original, _version(scene, store, original), mode="take")
    scene.clip.SelectTakeByIndex(1)
    again = current_clip(scene.resolve)
    assert (again.media_path, again.source_range, again.source_note) == (
        original.media_path, original.source_range, "")


def test_a_mixed_rate_take_is_read_back_exactly(tmp_path) -> None:
    scene = make_scene(tmp_path, FrameRate(Fraction(24)), "01:00:00:00", False, "10:00:00:00",
                       media_rate=FrameRate(Fraction(25)), duration=24)
    with VersionStore.open(tmp_path / "retakes") as store:
        original = current_clip(scene.resolve)
        v1 = _version(scene, store, original)
        place_recorded(scene.resolve, store, original, v1, mode="take")
    again = current_clip(scene.resolve)
    assert (again.media_path, again.source_range, again.media_frames) == (v1.output_path, FrameRange(0, 25), 25)


def test_on_20_x_sending_again_says_it_edits_the_version_under_the_playhead(tmp_path) -> None:
    _, rate, tc, drop, media_tc = RATES[1]
    scene = make_scene(tmp_path, rate, tc, drop, media_tc, version=(20, 3, 2, 9, ""))
    scene.timeline.playhead = scene.clip.GetStart() + 3
    with VersionStore.open(tmp_path / "retakes") as store:
        original = current_clip(scene.resolve)
        assert original.source_note == ""
        v1 = _version(scene, store, original)
        place_recorded(scene.resolve, store, original, v1)
        again = current_clip(scene.resolve)  # Resolve 20 has no selection: the top clip under the playhead
        assert again.media_path == v1.output_path and again.placement.track == 2
        assert again.source_range == FrameRange(0, DURATION)
        assert "is retakes v001 of A001_C002.mov" in again.source_note
        assert "an edit of an edit" in again.source_note and "under the playhead" in again.source_note
        assert store.parent_of(again).id == v1.id


def test_a_plain_clip_says_nothing_extra(scene: Scene) -> None:
    clip = current_clip(scene.resolve)
    assert clip.source_note == "" and clip.source_range == FrameRange(LEFT_OFFSET, LEFT_OFFSET + DURATION)
