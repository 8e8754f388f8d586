"""vision.flow: DIS flow, occlusion test, warping (OpenCV and torch agree), chaining."""

import numpy as np
import pytest

from retakes.engine.vision.flow import (
    FlowEstimator,
    chain,
    gray,
    motion_boundary,
    occlusion,
    resize_flow,
    warp,
    warp_torch,
)
from retakes.engine.vision.scenes import make_scene


def test_flow_recovers_background_pan():
    sc = make_scene(160, 120, 4, seed=3, pan=(2.0, 1.0))
    est = FlowEstimator()
    f = est.flow(gray(sc.frames[1]), gray(sc.frames[0]))  # frame 1 -> frame 0
    bg = sc.masks[1] == 0
    # the background pans left by (2, 1) per frame, so 1 -> 0 points (+2, +1)
    assert np.abs(np.median(f[bg], axis=0) - [2.0, 1.0]).max() < 0.3


def test_warp_moves_content_by_the_flow():
    rng = np.random.default_rng(0)
    img = rng.random((40, 50, 3)).astype(np.float32)
    flow = np.zeros((40, 50, 2), np.float32)
    flow[..., 0] = 3.0
    out = warp(img, flow)
    np.testing.assert_allclose(out[:, :-3], img[:, 3:], atol=1e-5)
    assert (out[:, -3:] == 0).all()


def test_occlusion_formula_on_consistent_and_inconsistent_flow():
    fw = np.full((30, 30, 2), 2.0, np.float32)
    bw = -fw
    occ = occlusion(fw, bw)
    assert not occ[:-3, :-3].any() and occ[:, -2:].all()  # only samples leaving the frame
    bad = bw.copy()
    bad[10:20, 10:20] = 5.0
    assert occlusion(fw, bad)[9:17, 9:17].any()


def test_motion_boundary_marks_flow_edges_only():
    f = np.zeros((20, 20, 2), np.float32)
    f[:, 10:, 0] = 4.0
    mb = motion_boundary(f)
    assert mb[:, 9].all() and not mb[:, :8].any() and not mb[:, 11:].any()


def test_chain_adds_translations():
    a = np.full((20, 20, 2), 1.0, np.float32)
    b = np.full((20, 20, 2), 2.0, np.float32)
    np.testing.assert_allclose(chain(a, b)[:10, :10], 3.0)


def test_resize_flow_scales_vectors():
    f = np.full((10, 20, 2), 1.0, np.float32)
    g = resize_flow(f, (40, 20))
    assert g.shape == (20, 40, 2)
    np.testing.assert_allclose(g, 2.0)


def test_torch_warp_agrees_with_opencv():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    img = rng.random((48, 64, 3)).astype(np.float32)
    flow = (rng.random((48, 64, 2)).astype(np.float32) - 0.5) * 6
    ref = warp(img, flow)
    t = warp_torch(torch.from_numpy(img).permute(2, 0, 1)[None], torch.from_numpy(flow)[None])
    got = t[0].permute(1, 2, 0).numpy()
    inner = np.s_[4:-4, 4:-4]  # borders differ only in how the last half pixel is treated
    assert np.abs(got[inner] - ref[inner]).max() < 1e-3

