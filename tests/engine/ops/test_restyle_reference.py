"""`restyle --reference`: the reference's OKLab statistics, per luminance band, fitted once per shot."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from retakes.engine.errors import InvalidArgument
from retakes.engine.ops import get_op
from retakes.engine.ops.base import EditContext
from retakes.engine.ops.restyle import REFERENCE_CONDITIONERS
from retakes.engine.timecode import FrameRange
from retakes.engine.vision.metrics import warping_error
from retakes.engine.vision.scenes import ArraySource, make_scene, make_shots_scene, texture
from retakes.engine.vision.style_transfer import LabStats, sample_pixels, to_oklab

#: the stated tolerance, in OKLab units (L 0..1, a and b about -0.4..0.4): each band's mean and
#: spread of a and b, and the L quantiles, within this of the reference's (the source starts 0.05-0.15 away)
TOLERANCE = 0.01


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    rng = np.random.default_rng(9)
    t = texture(rng, 80, 120)
    warm = np.clip(np.stack([t[..., 0] ** 0.7, t[..., 1] * 0.6, t[..., 2] * 0.3 + 0.1], -1), 0, 1)
    image = np.rint(warm * 255).astype(np.uint8)
    path = tmp_path_factory.mktemp("ref") / "ref.png"
    cv2.imwrite(str(path), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    return path, image


def _params(path, **more):
    return {"reference": str(path), "style": None, "bands": 3, "strength": 1.0, "conditioner": "", "feather": 0.0,
            **more}


def _run(frames, params, masks=None):
    op = get_op("restyle")()
    ctx = EditContext(ArraySource(frames), FrameRange(0, len(frames)), params,
                      masks=None if masks is None else _Masks(masks))
    return [op.render(i, f, ctx) for i, f in enumerate(frames)]


class _Masks:
    def __init__(self, masks):
        self.masks = masks

    def mask(self, frame):
        return self.masks[frame]


def _stats(frames, bands=3):
    return LabStats.of(to_oklab(sample_pixels(frames, [None] * len(frames))[:, None, :]), bands)


def _gap(a: LabStats, b: LabStats) -> float:
    return max(float(np.abs(a.mean - b.mean).max()), float(np.abs(a.spread - b.spread).max()),
               float(np.abs(a.quantiles - b.quantiles).max()))


def test_the_output_has_the_references_statistics(reference):
    path, image = reference
    frames = make_scene(128, 96, 12, seed=1).frames
    want = LabStats.of(to_oklab(image / 255.0), 3)
    assert _gap(_stats(frames), want) > 5 * TOLERANCE  # the source is far from it...
    assert _gap(_stats(_run(frames, _params(path))), want) < TOLERANCE  # ...the output is not


def test_each_shot_is_fitted_on_its_own(reference):
    path, image = reference
    scene = make_shots_scene(frames_per_shot=8)  # three shots under three lights
    out = _run(scene.frames, _params(path))
    want = LabStats.of(to_oklab(image / 255.0), 3)
    for s in range(3):
        assert _gap(_stats(out[s * 8 : s * 8 + 8]), want) < 2 * TOLERANCE, s


def test_no_worse_temporal_stability_than_the_source(reference):
    path, _ = reference
    frames = make_scene(128, 96, 12, seed=2).frames
    out = _run(frames, _params(path))
    # warping error along the source's own motion, relative to each clip's contrast (a look with more
    # contrast has larger differences everywhere, flicker or not)
    src = warping_error(frames) / np.var(np.stack(frames) / 255.0)
    got = warping_error(out, frames) / np.var(np.stack(out) / 255.0)
    assert got <= src * 1.05, (got, src)
    # identical frames give identical outputs: nothing is measured per frame
    same = _run([frames[3]] * 2 + frames[:4], _params(path))
    assert np.array_equal(same[0], same[1])


def test_outside_the_mask_is_bit_identical(reference):
    path, _ = reference
    scene = make_scene(96, 64, 6, seed=3)
    out = _run(scene.frames, _params(path, feather=3.0), masks=scene.masks)
    for frame, src, mask in zip(out, scene.frames, scene.masks, strict=True):
        outside = cv2.dilate(mask, np.ones((15, 15), np.uint8)) == 0
        assert np.array_equal(frame[outside], src[outside])
        assert not np.array_equal(frame[mask > 0], src[mask > 0])


def test_strength_zero_keeps_the_source_within_rounding(reference):
    path, _ = reference
    frames = make_scene(64, 48, 3, seed=4).frames
    out = _run(frames, _params(path, strength=0.0))
    assert max(int(np.abs(o.astype(int) - f).max()) for o, f in zip(out, frames, strict=True)) <= 2


def test_a_reference_conditioner_is_handed_the_classical_result(reference):
    path, image = reference
    seen = []

    class Halfway:
        def restyle(self, frame, ref, classical):
            seen.append((frame.shape, ref.shape))
            return (frame + classical) / 2

    REFERENCE_CONDITIONERS["halfway"] = Halfway
    try:
        frames = make_scene(64, 48, 3, seed=4).frames
        classical = _run(frames, _params(path))
        mixed = _run(frames, _params(path, conditioner="halfway"))
    finally:
        del REFERENCE_CONDITIONERS["halfway"]
    assert seen and seen[0][1] == image.shape
    expect = (frames[0].astype(float) + classical[0]) / 2
    assert np.abs(mixed[0] - expect).max() <= 1.0


def test_bad_params_name_the_field(reference):
    path, _ = reference
    op = get_op("restyle")
    spec = op.spec
    with pytest.raises(InvalidArgument) as error:
        op.check_params(spec.validate_params({"style": "ink", "reference": str(path)}))
    assert error.value.field == "params.style"
    with pytest.raises(InvalidArgument) as error:
        get_op("restyle").check_params(_params(path, conditioner="nosuch"))
    assert error.value.field == "params.conditioner" and "nosuch" in str(error.value)
    with pytest.raises(InvalidArgument) as error:
        spec.validate_params({"reference": str(path), "bands": 0})
    assert error.value.field == "params.bands"
