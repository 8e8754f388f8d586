import cv2
import numpy as np
import pytest

from retakes.engine.errors import CorruptMedia, InvalidArgument, MediaNotFound
from retakes.engine.ops import get_op
from retakes.engine.ops.background import subject_alpha

from .colorkit import assert_paths_agree, ctx_for, deep_inside, ellipse_mask, far_outside, textured
from .torch_device import TORCH_DEVICE


@pytest.fixture
def plate(tmp_path):
    p = tmp_path / "plate.png"
    img = np.zeros((48, 80, 3), np.uint8)
    img[..., 1] = 200  # green in RGB; OpenCV writes BGR
    cv2.imwrite(str(p), img[..., ::-1])
    return str(p)


def run(params, frame, mask, device="cpu", index=0, frames=None):
    op = get_op("background")()
    return op.render(index, frame, ctx_for(op, params, mask=mask, device=device, frames=frames))


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_inside_the_subject_is_bit_exact_and_outside_is_the_plate(plate, dtype):
    f, m = textured(dtype=dtype), ellipse_mask()
    out = run({"plate": plate, "edge_softness": 4, "light_wrap": 0.5}, f, m)
    inside = deep_inside(m, 4)
    assert (out[inside] == f[inside]).all()
    full = np.iinfo(dtype).max
    far = far_outside(m, 4)
    assert (out[far] == np.rint(np.array([0, 200, 0]) / 255 * full).astype(dtype)).all()


def test_matte_is_fractional_on_a_soft_edge_and_one_deep_inside():
    # A subject with a soft (motion-blurred) left edge; the editor's mask is a hard cut through it.
    h, w = 64, 96
    x = np.arange(w)
    ramp = np.clip((x - 30) / 16.0, 0, 1)  # 0 at x <= 30, 1 at x >= 46
    f = np.repeat(np.rint(40 + 180 * ramp)[None, :, None], h, 0).repeat(3, 2).astype(np.uint8)
    m = np.zeros((h, w), np.uint8)
    m[:, 38:] = 255
    alpha, region = subject_alpha(f, m, 8)
    a = np.zeros((h, w), np.float32)
    a[region.slices] = alpha
    row = a[h // 2]
    assert ((row[32:45] > 0.05) & (row[32:45] < 0.95)).sum() >= 6  # fractional across the blur
    assert np.all(np.diff(row[28:50]) >= -1e-3)  # follows the ramp monotonically
    assert (a[:, 60:] == 1).all() and (a[:, :20] == 0).all()


def test_a_video_plate_is_read_in_step_and_loops(tmp_path):
    p = tmp_path / "plate.avi"
    vw = cv2.VideoWriter(str(p), cv2.VideoWriter_fourcc(*"MJPG"), 25, (96, 64))
    if not vw.isOpened():
        pytest.skip("no MJPG writer in this OpenCV build")
    for v in (30, 130, 230):
        vw.write(np.full((64, 96, 3), v, np.uint8))
    vw.release()
    f, m = textured(), ellipse_mask()
    op = get_op("background")()
    ctx = ctx_for(op, {"plate": str(p)}, mask=m, frames={i: f for i in range(5)})
    corner = [int(op.render(i, f, ctx)[0, 0, 0]) for i in range(5)]
    assert [round(c / 100) for c in corner] == [0, 1, 2, 0, 1]


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_cpu_and_torch_paths_agree(plate, dtype):
    f, m = textured(dtype=dtype, seed=2), ellipse_mask()
    params = {"plate": plate, "edge_softness": 5, "light_wrap": 0.4}
    assert_paths_agree(run(params, f, m), run(params, f, m, device=TORCH_DEVICE))


def test_bad_plate_and_params_name_the_field(tmp_path):
    f, m = textured(), ellipse_mask()
    with pytest.raises(MediaNotFound) as e:
        run({"plate": str(tmp_path / "nope.png")}, f, m)
    assert e.value.field == "params.plate"
    junk = tmp_path / "junk.mov"
    junk.write_bytes(b"not media at all" * 10)
    with pytest.raises(CorruptMedia) as e:
        run({"plate": str(junk)}, f, m)
    assert e.value.field == "params.plate"
    for params, field in [({}, "params.plate"), ({"plate": "x", "fit": "zoom"}, "params.fit")]:
        with pytest.raises(InvalidArgument) as e:
            get_op("background").spec.validate_params(params)
        assert e.value.field == field


def test_1080p_invariant(plate):
    f, m = textured(1080, 1920, seed=2), ellipse_mask(1080, 1920)
    out = run({"plate": plate, "edge_softness": 8}, f, m)
    inside = deep_inside(m, 8)
    assert (out[inside] == f[inside]).all()


def test_a_still_plate_edited_on_disk_is_read_again(tmp_path):
    """Plates are cached across previews; an editor who repaints the plate sees the new one."""
    p = tmp_path / "plate.png"
    f, m = textured(), ellipse_mask()
    far = far_outside(m, 4)
    for green in (200, 90):
        img = np.zeros((48, 80, 3), np.uint8)
        img[..., 1] = green
        cv2.imwrite(str(p), img[..., ::-1])
        out = run({"plate": str(p), "edge_softness": 4}, f, m)
        assert (out[far] == (0, green, 0)).all()


def test_light_wrap_never_wraps_around_the_code_range(tmp_path):
    """A bright plate spilling over a dark edge must clip at full scale, not overflow to black."""
    p = tmp_path / "white.png"
    cv2.imwrite(str(p), np.full((48, 80, 3), 255, np.uint8))
    f = np.full_like(textured(), 250)
    m = ellipse_mask()
    for device in ["cpu"] + ([TORCH_DEVICE] if TORCH_DEVICE else []):
        out = run({"plate": str(p), "edge_softness": 6, "light_wrap": 1.0}, f, m, device=device)
        assert out.min() >= 250, device
