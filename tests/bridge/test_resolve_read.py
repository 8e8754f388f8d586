"""ClipRef from the Resolve double: exact frames at 23.976, 25 and 29.97 DF; refusals change nothing."""

from __future__ import annotations

import pytest

from retakes.bridge.clipref import ClipRefused, NoClipSelected
from retakes.bridge.resolve.read import current_clip
from retakes.engine.timecode import FrameRange, timecode_to_frames
from tests.support.resolve_scenes import DURATION, LEFT_OFFSET, MEDIA_FRAMES, RATES, RECORD_OFFSET, Scene, make_scene


def test_clipref_is_exact(scene: Scene) -> None:
    ref = current_clip(scene.resolve)
    start = timecode_to_frames(scene.timeline.GetStartTimecode(), scene.rate)
    assert start == {24: 86400, 25: 90000, 30: 107892}[scene.rate.nominal]
    assert ref.media_path == scene.media_path
    assert ref.source_rate == scene.rate == ref.timeline.rate
    assert ref.source_range == FrameRange(LEFT_OFFSET, LEFT_OFFSET + DURATION)
    assert ref.placement.track == 1
    assert ref.placement.record == FrameRange(start + RECORD_OFFSET, start + RECORD_OFFSET + DURATION)
    assert ref.timeline.start_frame == start and ref.timeline.drop_frame == scene.drop
    assert ref.media_frames == MEDIA_FRAMES
    assert ref.item_id == scene.clip.GetUniqueId()
    # the media's own timecode: 10:00:00:00 + 37 frames
    expected_tc = {24: "10:00:01:13", 25: "10:00:01:12", 30: "10:00:01;07"}[scene.rate.nominal]
    assert ref.source_timecodes[0] == expected_tc


def test_handles_are_clamped_to_the_media(scene: Scene) -> None:
    ref = current_clip(scene.resolve, handles=50)
    assert ref.handles == (LEFT_OFFSET, 50)  # only 37 frames exist before the in point
    assert ref.range_with_handles == FrameRange(0, LEFT_OFFSET + DURATION + 50)
    scene.clip.source_start = MEDIA_FRAMES - DURATION - 3
    assert current_clip(scene.resolve, handles=10).handles == (10, 3)


def test_falls_back_to_the_playhead_before_21_0_4(tmp_path) -> None:
    _, rate, tc, drop, media_tc = RATES[1]
    scene = make_scene(tmp_path, rate, tc, drop, media_tc, version=(20, 3, 2, 9, ""))
    assert "GetSelectedClips" not in dir(scene.timeline)
    scene.timeline.playhead = scene.clip.GetStart() + 5
    assert current_clip(scene.resolve).item_id == scene.clip.GetUniqueId()
    scene.timeline.playhead = scene.clip.GetEnd()  # exclusive end: the next frame is empty
    with pytest.raises(NoClipSelected, match="playhead"):
        current_clip(scene.resolve)


def test_the_selection_is_found_though_dir_does_not_list_it(scene: Scene) -> None:
    # Resolve 21.0.4's GetSelectedClips need not be in dir(); the playhead sits on another clip.
    assert "GetSelectedClips" not in dir(scene.timeline)
    lead_in = scene.timeline.tracks[0][0]
    scene.timeline.playhead = lead_in.GetStart()
    assert current_clip(scene.resolve).item_id == scene.clip.GetUniqueId()


def test_nothing_selected_asks_instead_of_sending_the_clip_under_the_playhead(scene: Scene) -> None:
    scene.timeline.selected = []
    scene.timeline.playhead = scene.clip.GetStart() + 2
    before = scene.resolve.snapshot()
    with pytest.raises(NoClipSelected) as asked:
        current_clip(scene.resolve)
    text = str(asked.value)
    assert text.startswith("no clip is selected in the timeline: select the one clip to send")
    assert f"the clip under the playhead at {scene.timeline.GetCurrentTimecode()} is 'A001_C002.mov' on V1" in text
    assert scene.resolve.snapshot() == before


def test_a_selection_call_that_answers_none_is_no_selection_api(tmp_path) -> None:
    # LIMITS "hasattr() / getattr()": a name a handle only pretends to have answers None when called.
    _, rate, tc, drop, media_tc = RATES[1]
    scene = make_scene(tmp_path, rate, tc, drop, media_tc, version=(21, 0, 0, 0, ""))
    scene.timeline.GetSelectedClips = lambda: None
    scene.timeline.playhead = scene.clip.GetStart()
    assert current_clip(scene.resolve).item_id == scene.clip.GetUniqueId()


def test_two_selected_clips_are_ambiguous(scene: Scene) -> None:
    scene.timeline.selected = scene.timeline.tracks[0][:2]
    with pytest.raises(NoClipSelected, match="2 clips are selected"):
        current_clip(scene.resolve)


def _select(scene: Scene, item) -> None:
    scene.timeline.selected = [item]


REFUSALS = {
    "retimed": lambda s: s.timeline.add_clip(s.clip._mpi, track=2, record_start=s.clip.GetStart(),
                                             duration=24, source_start=0, speed=2.0),
    "reversed": lambda s: s.timeline.add_clip(s.clip._mpi, track=2, record_start=s.clip.GetStart(),
                                              duration=24, source_start=10, speed=-1.0),
    "compound": lambda s: s.timeline.add_clip(s.add_media("Compound Clip 1", "Compound"), track=2,
                                              record_start=s.clip.GetStart(), duration=24),
    "generator": lambda s: s.timeline.add_clip(s.add_media("Solid Color", "Generator"), track=2,
                                               record_start=s.clip.GetStart(), duration=24),
    "generator (no media)": lambda s: s.timeline.add_clip(None, track=2, record_start=s.clip.GetStart(),
                                                          duration=24),
    "title": lambda s: s.timeline.add_clip(s.add_media("Text+", "Fusion Title"), track=2,
                                           record_start=s.clip.GetStart(), duration=24),
    "offline": lambda s: s.timeline.add_clip(s.add_media("gone.mov", exists=False), track=2,
                                             record_start=s.clip.GetStart(), duration=24),
    "multicam": lambda s: s.timeline.add_clip(s.add_media("Multicam 1", "Multicam"), track=2,
                                              record_start=s.clip.GetStart(), duration=24),
}
WHY = {"retimed": "retimed", "reversed": "reverse", "compound": "compound clip", "generator": "generator",
       "generator (no media)": "no media", "title": "title", "offline": "offline", "multicam": "multicam"}


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_refused_clip_kinds_change_nothing(scene: Scene, case: str) -> None:
    item = REFUSALS[case](scene)
    _select(scene, item)
    before = scene.resolve.snapshot()
    with pytest.raises(ClipRefused) as refused:
        current_clip(scene.resolve)
    assert refused.value.kind == case.split(" ")[0].replace("reversed", "retimed")
    assert WHY[case] in refused.value.reason
    assert str(refused.value).startswith(f"{item.GetName()!r} can't be sent to retakes: ")
    assert scene.resolve.snapshot() == before
