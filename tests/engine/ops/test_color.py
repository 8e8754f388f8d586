import numpy as np
import pytest
import torch

from retakes.engine.errors import InvalidArgument
from retakes.engine.ops import color
from retakes.engine.ops.feather import Region, blend, check_mask, soft_alpha

from .colorkit import deep_inside, ellipse_mask, far_outside


def test_srgb_round_trip_and_both_backends_agree():
    v = np.linspace(0, 1, 1001, dtype=np.float32)
    lin = color.srgb_to_linear(v)
    assert np.allclose(color.linear_to_srgb(lin), v, atol=1e-6)
    assert abs(float(color.srgb_to_linear(np.float32(0.5))) - 0.21404) < 1e-4
    assert np.allclose(color.srgb_to_linear(torch.from_numpy(v)).numpy(), lin, atol=1e-6)


def test_oklab_of_white_and_primaries():
    white = color.linear_to_oklab(np.ones((1, 1, 3), np.float32))[0, 0]
    assert np.allclose(white, [1, 0, 0], atol=1e-4)
    # Ottosson's reference value for sRGB red.
    red = color.linear_to_oklab(np.array([[[1, 0, 0]]], np.float32))[0, 0]
    assert np.allclose(red, [0.62796, 0.22486, 0.12585], atol=1e-3)
    back = color.oklab_to_linear(color.linear_to_oklab(np.array([[[0.2, 0.5, 0.9]]], np.float32)))
    assert np.allclose(back, [0.2, 0.5, 0.9], atol=1e-4)


def test_temperature_locus_and_white_balance():
    assert np.allclose(color.cct_to_xy(6504), (0.3127, 0.3291), atol=2e-3)  # D65
    assert np.allclose(color.white_balance_matrix(6504, 6504), np.eye(3), atol=1e-9)
    grey = np.array([0.18, 0.18, 0.18])
    warm = color.white_balance_matrix(6504, 3200) @ grey
    cool = color.white_balance_matrix(6504, 10000) @ grey
    assert warm[0] > grey[0] > warm[2] and cool[2] > grey[2] > cool[0]


def test_soft_alpha_is_exactly_zero_beyond_feather_and_one_deep_inside():
    m = ellipse_mask(64, 96)
    alpha, region = soft_alpha(m, 5.0)
    full = np.zeros(m.shape, np.float32)
    full[region.slices] = alpha
    assert (full[far_outside(m, 5)] == 0).all()
    assert (full[deep_inside(m, 5)] == 1).all()
    ramp = full[(full > 0) & (full < 1)]
    assert ramp.size > 100  # a real feather, not a hard cut


def test_soft_alpha_invert_and_empty_mask():
    m = ellipse_mask(64, 96)
    alpha, region = soft_alpha(m, 0, invert=True)
    assert region.slices == (slice(0, 64), slice(0, 96)) and (alpha == (m < 128)).all()
    assert soft_alpha(np.zeros((8, 8), np.uint8), 3) is None


def test_mask_of_wrong_size_names_the_field():
    with pytest.raises(InvalidArgument) as e:
        check_mask(np.zeros((10, 10), np.uint8), np.zeros((12, 10, 3), np.uint8))
    assert e.value.field == "mask"


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_blend_is_exactly_the_float_rule_of_composite(dtype):
    """The fast blend (masked copy where a == 1, float only on the 0 < a < 1 band) equals
    rint(src + (rint(edit) - src) * a) on every pixel, including denormal and just-below-1 alphas."""
    rng = np.random.default_rng(1)
    full = np.iinfo(dtype).max
    f = rng.integers(0, full + 1, (50, 70, 3)).astype(dtype)
    a = rng.random((30, 40)).astype(np.float32)
    a[a < 0.3], a[a > 0.7] = 0.0, 1.0
    a[0, 0], a[0, 1] = np.float32(1e-45), np.nextafter(np.float32(1), np.float32(0))
    edit = rng.random((30, 40, 3)).astype(np.float32) * full * 1.2 - 10
    region = Region(5, 35, 10, 50)
    src = f[region.slices].astype(np.float32)
    want = f.copy()
    want[region.slices] = np.rint(src + (np.clip(np.rint(edit), 0, full) - src) * a[..., None])
    for e in (edit, np.clip(np.rint(edit), 0, full).astype(dtype)):  # float and integer edits
        out = blend(f, e, a, region)
        assert (out == want).all()
    assert (blend(f, edit, None, region)[region.slices] == np.clip(np.rint(edit), 0, full)).all()
