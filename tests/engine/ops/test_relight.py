import time

import numpy as np
import pytest

from retakes.engine.errors import InvalidArgument
from retakes.engine.ops import get_op
from retakes.engine.ops.color import srgb_to_linear
from retakes.engine.ops.relight import LOOKS

from .colorkit import assert_paths_agree, ctx_for, ellipse_mask, far_outside, textured
from .torch_device import TORCH_DEVICE


def run(params, frame, mask=None, device="cpu"):
    op = get_op("relight")()
    return op.render(0, frame, ctx_for(op, params, mask=mask, device=device))


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
@pytest.mark.parametrize("look", [k for k in LOOKS if k != "none"])
def test_outside_the_feathered_mask_is_bit_exact(dtype, look):
    f, m = textured(dtype=dtype), ellipse_mask()
    out = run({"look": look, "feather": 4}, f, m)
    outside = far_outside(m, 4)
    assert (out[outside] == f[outside]).all()
    assert (out[~outside] != f[~outside]).any()


def test_without_a_mask_the_whole_frame_changes():
    f = textured()
    out = run({"look": "day-to-night"}, f)
    assert (out != f).any(axis=2).mean() > 0.95
    assert out.mean() < f.mean() * 0.6  # night is darker


def test_temperature_moves_a_grey_card_the_right_way():
    grey = np.full((8, 8, 3), 118, np.uint8)
    warm = run({"temperature": 3200}, grey)[0, 0].astype(int)
    cool = run({"temperature": 12000}, grey)[0, 0].astype(int)
    assert warm[0] > 118 + 10 and warm[2] < 118 - 10
    assert cool[2] > 118 + 5 and cool[0] < 118 - 5
    assert (run({"temperature": 6504}, grey) - grey).max() <= 1


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_plus_one_ev_doubles_linear_light(dtype):
    full = np.iinfo(dtype).max
    levels = np.array([0.05, 0.1, 0.2, 0.3, 0.4]) * full
    f = np.rint(np.repeat(levels, 3).reshape(1, 5, 3)).astype(dtype)
    out = run({"exposure": 1.0}, f)
    ratio = srgb_to_linear(out / full) / srgb_to_linear(f / full)
    assert np.allclose(ratio, 2.0, rtol=0.03)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
@pytest.mark.parametrize("look", list(LOOKS))
def test_cpu_and_torch_paths_agree(dtype, look):
    f, m = textured(dtype=dtype, seed=3), ellipse_mask()
    params = {"look": look, "exposure": 0.5, "temperature": 4000, "feather": 3}
    assert_paths_agree(run(params, f, m), run(params, f, m, device=TORCH_DEVICE))


@pytest.mark.parametrize(
    ("params", "field"),
    [({"look": "sunset"}, "params.look"), ({"exposure": 9}, "params.exposure"),
     ({"temperature": "warm"}, "params.temperature"), ({"shade": 1}, "params.shade")],
)  # fmt: skip
def test_bad_params_name_the_field(params, field):
    with pytest.raises(InvalidArgument) as e:
        get_op("relight").spec.validate_params(params)
    assert e.value.field == field


def test_1080p_invariant_and_preview_time():
    f = textured(1080, 1920, seed=1)
    m = ellipse_mask(1080, 1920)
    op = get_op("relight")()
    ctx = ctx_for(op, {"look": "golden-hour", "feather": 12}, mask=m)
    op.render(0, f, ctx)  # builds the LUTs once, as the first frame of a job does
    t = time.perf_counter()
    out = op.render(0, f, ctx)
    took = time.perf_counter() - t
    outside = far_outside(m, 12)
    assert (out[outside] == f[outside]).all()
    assert took < 0.25, f"preview of a 1080p frame took {took * 1000:.0f} ms"
