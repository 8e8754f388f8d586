"""vision.fill and vision.colour: push-pull, seam correction, the colour LUT."""

import numpy as np
import pytest

from retakes.engine.vision.colour import ColourLUT, change_region
from retakes.engine.vision.fill import push_pull, seam_correction
from retakes.engine.vision.scenes import hue_rotate, make_scene


def test_push_pull_keeps_known_and_fills_smoothly():
    y, x = np.mgrid[0:64, 0:64].astype(np.float32)
    ramp = x * 0.5 + y * 0.25
    known = np.ones((64, 64), np.float32)
    known[20:40, 20:40] = 0
    out = push_pull(ramp, known)
    assert np.array_equal(out[known > 0], ramp[known > 0])
    assert np.abs(out - ramp)[20:40, 20:40].mean() < 1.5


def _textured_hole():
    rng = np.random.default_rng(0)
    src = rng.random((60, 60, 3)).astype(np.float32) * 50 + 100
    hole = np.zeros((60, 60), bool)
    hole[20:40, 20:40] = True
    band = np.zeros((60, 60), bool)
    band[18:42, 18:42] = True
    return src, hole, band & ~hole


def test_seam_correction_removes_an_offset():
    src, hole, band = _textured_hole()
    fill = src + 30.0  # right texture, wrong exposure
    fixed = seam_correction(fill, src, hole, band)
    assert np.abs(fixed - src)[hole].mean() < 1.0 < 30.0 == pytest.approx(np.abs(fill - src)[hole].mean())


def test_seam_correction_leaves_a_right_fill_alone_on_texture():
    """Texture at the hole's edge is not drift: a fill that already matches is not moved."""
    src, hole, band = _textured_hole()
    assert np.abs(seam_correction(src, src, hole, band) - src).max() < 1e-3


def test_seam_correction_without_a_measured_band_changes_nothing():
    src, hole, _ = _textured_hole()
    assert np.array_equal(seam_correction(src + 30.0, src, hole, np.zeros_like(hole)), src + 30.0)


def test_lut_learns_a_hue_rotation_and_generalises_to_new_shading():
    sc = make_scene(128, 96, 8, seed=2)
    m0, m7 = sc.masks[0] > 127, sc.masks[7] > 127
    e0 = hue_rotate(sc.frames[0], 90, sc.masks[0])
    lut = ColourLUT.fit(sc.frames[0][m0] / 255.0, e0[m0] / 255.0)
    pred = lut.apply(sc.frames[7][m7] / 255.0) * 255
    truth = hue_rotate(sc.frames[7], 90, sc.masks[7])[m7]
    assert np.abs(pred - truth).mean() < 1.5  # frame 7 has other shading than frame 0


def test_lut_torch_agrees_with_numpy():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    a = rng.random((500, 3)).astype(np.float32)
    lut = ColourLUT.fit(a, a[:, ::-1].copy())
    img = rng.random((20, 25, 3)).astype(np.float32)
    ref = lut.apply(img)
    got = lut.apply_torch(torch.from_numpy(img).permute(2, 0, 1)[None])[0].permute(1, 2, 0).numpy()
    assert np.abs(got - ref).max() < 1e-4


def test_change_region_finds_the_edited_object():
    sc = make_scene(128, 96, 1, seed=1)
    edited = hue_rotate(sc.frames[0], 120, sc.masks[0])
    region = change_region(sc.frames[0], edited)
    truth = sc.masks[0] > 127
    assert (region & truth).sum() / (region | truth).sum() > 0.85
