"""Shot boundaries: hard cuts and dissolves found at their frames, none in one moving shot."""

from __future__ import annotations

import pytest

from retakes.engine.errors import InvalidArgument
from retakes.engine.timecode import FrameRange
from retakes.engine.vision.scenes import make_scene, make_shots_scene
from retakes.engine.vision.shots import detect_shots


def _found(scene):
    return detect_shots(enumerate(scene.frames), FrameRange(0, len(scene.frames)))


def test_hard_cuts_are_found_exactly():
    scene = make_shots_scene()
    shots = _found(scene)
    assert [b.frame for b in shots.boundaries] == scene.cuts == [10, 20]
    assert {b.kind for b in shots.boundaries} == {"cut"}
    assert [(s.start, s.end) for s in shots.shots] == [(0, 10), (10, 20), (20, 30)]


@pytest.mark.parametrize("length", [3, 4, 6])
def test_a_dissolve_is_one_boundary_at_its_middle_with_its_span(length):
    scene = make_shots_scene(frames_per_shot=14, dissolve=length)
    shots = _found(scene)
    assert [b.kind for b in shots.boundaries] == ["dissolve", "dissolve"]
    assert [b.frame for b in shots.boundaries] == scene.cuts
    for b, cut in zip(shots.boundaries, scene.cuts, strict=True):
        start = cut - length // 2
        assert (b.span.start, b.span.end) == (start, start + length)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_panning_shot_with_a_moving_object_has_no_boundary(seed):
    scene = make_scene(n=24, seed=seed, pan=(3, 1), speed=(3, 2))
    assert _found(scene).boundaries == ()


def test_the_editor_adds_and_removes_boundaries():
    shots = _found(make_shots_scene()).corrected(add=[15], remove=[20])
    assert [(b.frame, b.kind) for b in shots.boundaries] == [(10, "cut"), (15, "editor")]
    with pytest.raises(InvalidArgument, match="no shot boundary at frame 12") as error:
        shots.corrected(remove=[12])
    assert error.value.field == "remove_cuts"
    with pytest.raises(InvalidArgument, match="inside the range") as error:
        shots.corrected(add=[0])
    assert error.value.field == "add_cuts"
