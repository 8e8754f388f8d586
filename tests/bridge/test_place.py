"""Placing versions on the Resolve double: exact record frame and length, takes, v002 beside
v001, markers and colours, and undo when Resolve does not do what was asked."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from retakes.bridge.clipref import ClipRef
from retakes.bridge.resolve.place import LATEST_COLOR, OUTDATED_COLOR, PlacementError, place_version
from retakes.bridge.resolve.read import current_clip, find_item
from retakes.bridge.versions import NewVersion, VersionStore
from retakes.bridge.workflow import media_of, place_recorded
from tests.support.resolve_scenes import DURATION, Scene


def _version(scene: Scene, store: VersionStore, clip: ClipRef, op: str = "recolor"):
    """Records a fake engine output for `clip` and tells the double what the file is."""
    out = store.output_path_for(clip)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(f"{op} {out.name}".encode())
    scene.register_output(out, frames=len(clip.range_with_handles))
    return store.record(NewVersion(clip=clip, op=op, output_path=str(out), params={"hue": 30}, seed=7))


@pytest.fixture
def store(scene: Scene):
    with VersionStore.open(scene.tmp / "retakes") as s:
        yield s


def test_version_lands_on_a_new_track_at_the_record_frame(scene: Scene, store: VersionStore) -> None:
    clip = current_clip(scene.resolve)
    version = _version(scene, store, clip)
    placed = place_recorded(scene.resolve, store, clip, version)
    item = find_item(scene.timeline, placed.item_id)  # read back through the API, not the double
    assert item.GetTrackTypeAndIndex() == ["video", 2]
    assert item.GetStart() == clip.placement.record.start == scene.clip.GetStart()
    assert item.GetEnd() == clip.placement.record.end == scene.clip.GetEnd()
    assert item.GetDuration() == DURATION and item.GetLeftOffset() == 0
    assert item.GetMediaPoolItem().GetClipProperty("File Path") == version.output_path
    # the lineage marker sits on the version's own media, leaving the clip's frames to notes
    assert item.GetMarkers() == {}
    marker = item.GetMediaPoolItem().GetMarkers()[0.0]
    assert marker["color"] == "Purple" and marker["name"] == "retakes v001"
    assert json.loads(marker["customData"])["retakes"]["version"] == "v001"
    assert item.GetClipColor() == LATEST_COLOR
    pool = scene.resolve.project.media_pool
    retakes_bin = pool.GetRootFolder().GetSubFolderList()[0]
    assert retakes_bin.GetName() == "retakes"
    assert [f.GetName() for f in retakes_bin.GetSubFolderList()] == [clip.name]
    assert pool.GetCurrentFolder() is pool.GetRootFolder()  # the editor's folder is put back
    assert store.placements(version.id)[0]["record_start"] == clip.placement.record.start


def test_second_edit_is_v002_beside_v001(scene: Scene, store: VersionStore) -> None:
    clip = current_clip(scene.resolve)
    first = _version(scene, store, clip)
    p1 = place_recorded(scene.resolve, store, clip, first)
    second = _version(scene, store, clip, op="relight")
    p2 = place_recorded(scene.resolve, store, clip, second)
    assert (first.label, second.label) == ("v001", "v002")
    assert first.output_path != second.output_path and Path(first.output_path).exists()
    i1, i2 = find_item(scene.timeline, p1.item_id), find_item(scene.timeline, p2.item_id)
    assert (i1.GetTrackTypeAndIndex(), i2.GetTrackTypeAndIndex()) == (["video", 2], ["video", 3])
    assert i1.GetStart() == i2.GetStart() == clip.placement.record.start
    assert i1.GetDuration() == i2.GetDuration() == DURATION
    assert (i1.GetClipColor(), i2.GetClipColor()) == (OUTDATED_COLOR, LATEST_COLOR)
    assert [v.label for v in store.versions_of(clip)] == ["v001", "v002"]
    assert len(scene.resolve.project.media_pool.GetRootFolder().GetSubFolderList()[0]
               .GetSubFolderList()[0].GetClipList()) == 2


def test_version_with_handles_is_trimmed_to_the_clip(scene: Scene, store: VersionStore) -> None:
    clip = current_clip(scene.resolve, handles=12)
    version = _version(scene, store, clip)
    assert version.handle_head == 12 and version.output_frames == DURATION + 24
    item = find_item(scene.timeline, place_recorded(scene.resolve, store, clip, version).item_id)
    assert (item.GetStart(), item.GetDuration(), item.GetLeftOffset()) == (
        clip.placement.record.start, DURATION, 12)


def test_version_as_a_take(scene: Scene, store: VersionStore) -> None:
    clip = current_clip(scene.resolve)
    v1 = _version(scene, store, clip)
    placed = place_recorded(scene.resolve, store, clip, v1, mode="take")
    assert placed.item_id == clip.item_id and placed.take_index == 2
    assert scene.clip.GetTakesCount() == 2 and scene.clip.GetSelectedTakeIndex() == 2
    assert scene.clip.GetMediaPoolItem().GetClipProperty("File Path") == v1.output_path
    assert (scene.clip.GetStart(), scene.clip.GetDuration()) == (clip.placement.record.start, DURATION)
    assert scene.timeline.GetTrackCount("video") == 1  # no track added
    v2 = _version(scene, store, clip)
    assert place_recorded(scene.resolve, store, clip, v2, mode="take").take_index == 3
    assert scene.clip.GetTakeByIndex(2)["mediaPoolItem"].GetClipProperty("File Path") == v1.output_path


@pytest.mark.parametrize("fault, said", [("shift_record", "instead of"), ("drop_take", "no new take")])
def test_a_mismatch_undoes_what_was_added(scene: Scene, store: VersionStore, fault: str, said: str) -> None:
    clip = current_clip(scene.resolve)
    version = _version(scene, store, clip)
    before = scene.resolve.snapshot()
    scene.timeline.faults.add(fault)
    with pytest.raises(PlacementError, match=said) as failed:
        place_recorded(scene.resolve, store, clip, version, mode="take" if fault == "drop_take" else "track")
    assert "removed again" in str(failed.value) and "bin retakes/" in str(failed.value)
    assert scene.resolve.snapshot() == before
    assert store.placements(version.id) == []  # recorded as a draft, never placed


def test_a_dropped_append_is_caught(scene: Scene, store: VersionStore) -> None:
    clip = current_clip(scene.resolve)
    version = _version(scene, store, clip)
    before = scene.resolve.snapshot()
    # Resolve drops an append onto occupied space and still returns an item: simulate the new
    # track already holding something at that frame by appending onto V1 itself.
    original_add = scene.timeline.AddTrack
    blocker = {"record_start": clip.placement.record.start, "duration": 5}
    scene.timeline.AddTrack = lambda *a: original_add(*a) and bool(
        scene.timeline.add_clip(None, track=len(scene.timeline.tracks), **blocker))
    with pytest.raises(PlacementError, match="nowhere"):
        place_version(scene.resolve, clip, media_of(version))
    assert scene.resolve.snapshot() == before


def _agent_timeout(*_args):
    raise TimeoutError("the retakes agent did not answer DeleteClips within 20 s")


@pytest.mark.parametrize("broken", ["timeout", "missing call"])
def test_every_undo_step_runs_when_one_fails(scene: Scene, store: VersionStore, broken: str) -> None:
    clip = current_clip(scene.resolve)
    version = _version(scene, store, clip)
    before = scene.resolve.snapshot()
    scene.timeline.faults.add("shift_record")  # read-back finds a mismatch and undoes
    # A live handle answers None for a call it lacks; through the agent a hung call times out.
    scene.timeline.DeleteClips = _agent_timeout if broken == "timeout" else None
    with pytest.raises(PlacementError) as failed:
        place_recorded(scene.resolve, store, clip, version)
    message = str(failed.value)
    assert message.startswith("Resolve placed v001 on V2 at ")  # the placement message survives
    assert "could NOT remove (please delete by hand): v001 on V2 (" in message
    assert ("TimeoutError" if broken == "timeout" else "TypeError") in message
    assert "removed again: track V2, media-pool item v001, bin retakes/A001_C002.mov, bin retakes" in message
    after = scene.resolve.snapshot()
    assert after["pool"] == before["pool"] and after["tracks"] == before["tracks"]  # the track took it along
    assert store.placements(version.id) == []


def test_a_call_that_fails_mid_placement_takes_back_what_was_added(scene: Scene, store: VersionStore) -> None:
    from retakes.bridge.agent.client import AgentTimeout

    clip = current_clip(scene.resolve)
    version = _version(scene, store, clip)
    before = scene.resolve.snapshot()

    def hung(_infos):
        raise AgentTimeout("timeout", "Resolve did not answer AppendToTimeline within 20 s")
    scene.resolve.project.media_pool.AppendToTimeline = hung
    with pytest.raises(PlacementError, match=r"placing v001 failed \(AgentTimeout: Resolve did not answer "
                                             r"AppendToTimeline within 20 s\); removed again: track V2"):
        place_recorded(scene.resolve, store, clip, version)
    assert scene.resolve.snapshot() == before
