"""The object of one shot found in the others: proposed masks against the true ones (IoU)."""

from __future__ import annotations

import numpy as np
import pytest

from retakes.engine.vision.match import MATCHERS, FeatureMatcher, iou, make_matcher
from retakes.engine.vision.scenes import ShotLook, make_shots_scene

REF = 5


@pytest.mark.parametrize("shot", [1, 2])
def test_the_object_is_found_in_another_shot_at_another_scale_angle_and_light(shot):
    scene = make_shots_scene()
    target = shot * 10 + 5
    found = FeatureMatcher().find(scene.frames[REF], scene.masks[REF], scene.frames[target])
    assert found.method == "features"
    assert iou(found.mask, scene.masks[target]) > 0.9


def test_without_features_the_colour_statistics_still_find_it():
    scene = make_shots_scene()

    class NoFeatures(FeatureMatcher):
        def _by_features(self, ref, inside, tgt):
            return None, 0.0, "features"

    found = NoFeatures().find(scene.frames[REF], scene.masks[REF], scene.frames[25])
    assert found.method == "colour"
    assert iou(found.mask, scene.masks[25]) > 0.6


def test_a_shot_without_the_object_gets_a_poor_proposal_not_a_confident_one():
    scene = make_shots_scene(looks=(ShotLook(1.0, 0.0, (0.45, 0.5), (1, 1, 1)),
                                    ShotLook(1.0, 0.0, (3.0, 3.0), (1, 1, 1))))  # object off-frame
    found = FeatureMatcher().find(scene.frames[REF], scene.masks[REF], scene.frames[15])
    assert found.method != "features"
    assert not (scene.masks[15] > 0).any()


def test_the_matchers_registry_is_the_seam_for_other_matchers():
    calls = []

    class Recording(FeatureMatcher):
        def find(self, reference, reference_mask, target):
            calls.append(target.shape)
            return super().find(reference, reference_mask, target)

    MATCHERS["recording"] = lambda: Recording(name="recording")
    try:
        scene = make_shots_scene()
        found = make_matcher("recording").find(scene.frames[REF], scene.masks[REF], scene.frames[15])
        assert calls and iou(found.mask, scene.masks[15]) > 0.9
    finally:
        del MATCHERS["recording"]
    assert isinstance(make_matcher("auto"), FeatureMatcher)
    with pytest.raises(Exception, match="no matcher 'nosuch'"):
        make_matcher("nosuch")


def test_iou():
    a = np.zeros((4, 4), np.uint8)
    b = a.copy()
    a[:2] = 255
    b[1:3] = 255
    assert iou(a, b) == pytest.approx(1 / 3)
