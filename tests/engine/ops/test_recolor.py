import math

import numpy as np
import pytest

from retakes.engine.errors import InvalidArgument
from retakes.engine.ops import get_op
from retakes.engine.ops.color import (
    decode_linear,
    encode_codes,
    gamut_clip,
    linear_to_oklab,
    oklab_to_linear,
    srgb8_to_oklch,
)
from retakes.engine.ops.recolor import Target, recolor_codes, recolor_lab

from .colorkit import assert_paths_agree, ctx_for, deep_inside, ellipse_mask, far_outside, textured
from .torch_device import TORCH_DEVICE


def red_object(dtype=np.uint8):
    """A shaded red object (lightness and chroma texture) on a textured background."""
    f = textured(dtype=dtype)
    full = np.iinfo(dtype).max
    m = ellipse_mask()
    yy, xx = np.mgrid[0:64, 0:96]
    shade = 0.35 + 0.6 * (xx / 95.0) * (0.8 + 0.2 * np.sin(yy / 3.0))
    red = np.stack([shade, shade * 0.18, shade * 0.12], -1)
    f[m >= 128] = np.rint(red[m >= 128] * full).astype(dtype)
    return f, m


def run(params, frame, mask, device="cpu", frames=None):
    op = get_op("recolor")()
    return op.render(0, frame, ctx_for(op, params, mask=mask, device=device, frames=frames))


def oklab(frame):
    return linear_to_oklab(decode_linear(frame))


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
@pytest.mark.parametrize("params", [{"color": "#2266FF", "feather": 3}, {"hue": 140, "feather": 3}])
def test_outside_the_feathered_mask_is_bit_exact(dtype, params):
    f, m = red_object(dtype)
    out = run(params, f, m)
    outside = far_outside(m, 3)
    assert (out[outside] == f[outside]).all()
    assert (out[deep_inside(m, 3)] != f[deep_inside(m, 3)]).any()


@pytest.mark.parametrize("target", ["#2266FF", "#22AA44", "#FFCC00"])
def test_reaches_the_target_hue_and_keeps_lightness(target):
    f, m = red_object()
    out = run({"color": target, "feather": 0}, f, m)
    inside = deep_inside(m, 1)
    before, after = oklab(f)[inside], oklab(out)[inside]
    # Lightness kept (gamut clipping of saturated dark pixels may move it a little).
    assert np.abs(after[:, 0] - before[:, 0]).mean() < 0.02
    # Shading kept: the lightness ramp across the object survives.
    assert np.corrcoef(after[:, 0], before[:, 0])[0, 1] > 0.98
    hue = np.degrees(np.arctan2(np.median(after[:, 2]), np.median(after[:, 1])))
    want = np.degrees(srgb8_to_oklch((int(target[1:3], 16), int(target[3:5], 16), int(target[5:], 16)))[2])
    # A dark object cannot hold a saturated yellow: gamut mapping towards grey keeps hue only to ~12 deg.
    assert abs((hue - want + 180) % 360 - 180) < 12


def test_hue_rotation_rotates_by_the_angle():
    f, m = red_object()
    out = run({"hue": 120, "feather": 0}, f, m)
    inside = deep_inside(m, 1)
    a0, a1 = oklab(f)[inside], oklab(out)[inside]
    h0 = np.degrees(np.arctan2(a0[:, 2], a0[:, 1]))
    h1 = np.degrees(np.arctan2(a1[:, 2], a1[:, 1]))
    assert abs(np.median((h1 - h0 + 180) % 360 - 180) - 120) < 8


def test_neutral_highlights_stay_neutral():
    f, m = red_object()
    f[30:33, 45:48] = 255  # a specular highlight on the object
    out = run({"color": "#2266FF", "feather": 0}, f, m)
    assert np.ptp(out[30:33, 45:48].astype(int), axis=-1).max() <= 3


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
@pytest.mark.parametrize("params", [{"color": "#2266FF", "feather": 3, "strength": 0.7}, {"hue": -60}])
def test_cpu_and_torch_paths_agree(dtype, params):
    f, m = red_object(dtype)
    assert_paths_agree(run(params, f, m), run(params, f, m, device=TORCH_DEVICE))


def test_statistics_come_from_the_first_masked_frame_of_the_range():
    f0, m = red_object()
    f1 = (f0 * 0.7).astype(np.uint8)  # the same object, darker and less chromatic, later in the shot
    frames = {0: f0, 1: f1}
    op = get_op("recolor")()
    ctx = ctx_for(op, {"color": "#2266FF"}, mask=m, frames=frames)
    late_first = op.render(1, f1, ctx)
    op2 = get_op("recolor")()
    ctx2 = ctx_for(op2, {"color": "#2266FF"}, mask=m, frames=frames)
    op2.render(0, f0, ctx2)
    assert (op2.render(1, f1, ctx2) == late_first).all()  # same output whatever the render order


@pytest.mark.parametrize(
    ("params", "field"),
    [({"color": "#2266FF", "hue": 30}, "params.color"), ({}, "params.color"),
     ({"color": "blue"}, "params.color"), ({"hue": 400}, "params.hue"),
     ({"hue": 10, "strength": 2}, "params.strength")],
)  # fmt: skip
def test_bad_params_name_the_field(params, field):
    with pytest.raises(InvalidArgument) as e:
        get_op("recolor").spec.validate_params(params)
    assert e.value.field == field


def test_missing_mask_names_the_field():
    f, _ = red_object()
    with pytest.raises(InvalidArgument) as e:
        run({"hue": 30}, f, None)
    assert e.value.field == "mask"


def test_1080p_invariant():
    f = textured(1080, 1920, seed=2)
    m = ellipse_mask(1080, 1920)
    out = run({"color": "#30C060", "feather": 8}, f, m)
    outside = far_outside(m, 8)
    assert (out[outside] == f[outside]).all() and (out[~outside] != f[~outside]).any()


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
@pytest.mark.parametrize(
    "target",
    [Target(1.0, rotate=math.radians(140)), Target(0.6, rotate=math.radians(-60)),
     Target(1.0, hue=4.6, chroma=0.25, median_chroma=0.12), Target(0.7, hue=1.7, chroma=0.17, median_chroma=0.02)],
)  # fmt: skip
def test_fast_cpu_path_matches_the_generic_formulas_over_the_colour_cube(dtype, target):
    """`recolor_codes` (OpenCV planes, folded matrices, strips) against `recolor_lab` + `gamut_clip` in
    the generic array code, on a 65^3 lattice of the colour cube: at most 1 8-bit code value apart (float
    rounding at a .5 boundary), and that on well under 1% of colours; 16-bit within 0.1 of an 8-bit code."""
    full = np.iinfo(dtype).max
    c = np.rint(np.linspace(0, full, 65)).astype(dtype)
    cube = np.stack(np.meshgrid(c, c, c, indexing="ij"), -1).reshape(65 * 65, 65, 3)
    lab = recolor_lab(linear_to_oklab(decode_linear(cube)), target)
    want = encode_codes(np.ascontiguousarray(gamut_clip(oklab_to_linear(lab), lab[..., 0])), dtype)
    d = np.abs(recolor_codes(cube, target).astype(np.int64) - want.astype(np.int64)) * (255.0 / full)
    if dtype == np.uint8:
        assert d.max() <= 1.0 and (d > 0).mean() < 0.005
    else:
        assert d.max() <= 0.1 and d.mean() < 0.001
