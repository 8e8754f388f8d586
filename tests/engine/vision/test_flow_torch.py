"""vision.flow_torch: the GPU path's classical flow, against known motion and against DIS.

Tolerances (what the CPU and torch paths may differ by): on a textured image moved by a known
translation + rotation, both DIS (the CPU path) and the torch CLG flow must be within 0.25 px
mean endpoint error of the truth away from the borders, and the torch flow no worse than
DIS + 0.05 px; the occlusion tests agree on at least 99% of pixels given the same flows. Run on
the GPU with RETAKES_TEST_TORCH_DEVICE=cuda.
"""

import cv2
import numpy as np
import pytest

from retakes.engine.vision.flow import FlowEstimator, gray, occlusion
from retakes.engine.vision.scenes import make_scene

from ..ops.torch_device import TORCH_DEVICE

torch = pytest.importorskip("torch")
DEVICE = TORCH_DEVICE.removeprefix("torch:")
EPE_TRUTH = 0.25
EPE_OVER_DIS = 0.05


def moved_texture(w: int, h: int, angle: float, shift: tuple[float, float], seed: int):
    """(a, b, flow_ab): a smooth random texture and the same rotated about the centre and shifted."""
    rng = np.random.default_rng(seed)
    tex = cv2.GaussianBlur(rng.random((2 * h, 2 * w)).astype(np.float32), (0, 0), 2.0)
    tex = (tex - tex.min()) / (tex.max() - tex.min()) * 255
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    p = np.stack([xs, ys], -1)
    c = np.array([w / 2, h / 2])
    th = np.deg2rad(angle)
    rot = np.array([[np.cos(th), -np.sin(th)], [np.sin(th), np.cos(th)]])
    off = np.float32(w / 2), np.float32(h / 2)
    a = cv2.remap(tex, xs + off[0], ys + off[1], cv2.INTER_CUBIC)
    back = (p - c - np.array(shift)) @ rot + c  # where each pixel of b comes from in a
    b = cv2.remap(tex, (back[..., 0] + off[0]).astype(np.float32), (back[..., 1] + off[1]).astype(np.float32),
                  cv2.INTER_CUBIC)  # fmt: skip
    truth = (p - c) @ rot.T + c + np.array(shift) - p
    return a.clip(0, 255).astype(np.uint8), b.clip(0, 255).astype(np.uint8), truth.astype(np.float32)


@pytest.mark.parametrize(("angle", "shift", "seed"), [(3.0, (2.5, -1.5), 0), (6.0, (5.0, 3.0), 1),
                                                       (0.0, (7.3, -4.2), 2)])
def test_torch_flow_is_as_accurate_as_dis_on_known_motion(angle, shift, seed):
    a, b, truth = moved_texture(160, 120, angle, shift, seed)
    inner = np.s_[12:-12, 12:-12]
    dis = FlowEstimator().flow(a, b)
    got = FlowEstimator(device=DEVICE).flow(a, b)
    assert got.shape == dis.shape and got.dtype == np.float32
    epe_dis = np.linalg.norm(dis - truth, axis=-1)[inner].mean()
    epe_torch = np.linalg.norm(got - truth, axis=-1)[inner].mean()
    assert epe_dis < EPE_TRUTH and epe_torch < EPE_TRUTH, (epe_dis, epe_torch)
    assert epe_torch <= epe_dis + EPE_OVER_DIS, (epe_dis, epe_torch)


def test_torch_flow_batches_pairs_and_follows_a_moving_object():
    sc = make_scene(160, 120, 4, seed=3, pan=(2.0, 1.0))
    est = FlowEstimator(device=DEVICE)
    g = [gray(f) for f in sc.frames]
    one_by_one = [est.flow(g[1], g[0]), est.flow(g[2], g[1])]
    batched = est.flows([(g[1], g[0]), (g[2], g[1])])
    for x, y in zip(one_by_one, batched, strict=True):
        np.testing.assert_allclose(x, y, atol=1e-3)
    bg = sc.masks[1] == 0
    assert np.abs(np.median(batched[0][bg], axis=0) - [2.0, 1.0]).max() < 0.3


def test_occlusion_on_the_device_matches_the_cpu_test():
    sc = make_scene(160, 120, 3, seed=1)
    a, b = gray(sc.frames[0]), gray(sc.frames[1])
    est = FlowEstimator(device=DEVICE)
    ab, ba, occluded = est.flows_and_occlusion(a, b)
    assert occluded.dtype == bool and occluded.shape == a.shape
    assert (occluded == occlusion(ab, ba)).mean() > 0.99
    # the DIS path gives the same triple, with the same test
    dab, dba, docc = FlowEstimator().flows_and_occlusion(a, b)
    assert np.array_equal(docc, occlusion(dab, dba))


def test_the_job_device_picks_the_backend():
    assert FlowEstimator.from_params({}, 480, "cpu").backend == "dis"
    assert FlowEstimator.from_params({}, 480, None).backend == "dis"
    est = FlowEstimator.from_params({"preset": "fast"}, 480, "torch:cpu")
    assert est.backend == "torch" and est.device == "cpu" and est.max_width == 480


@pytest.mark.skipif(not DEVICE.startswith("cuda"), reason="CUDA graphs: RETAKES_TEST_TORCH_DEVICE=cuda")
def test_the_captured_solver_gives_the_op_by_op_result_for_each_input_and_thread():
    """batch_flow replays a CUDA graph captured on the first call of a shape: every later call must
    solve its own inputs (not the captured ones), match clg_flow, and stay right under threads that
    each run on a CUDA stream of their own."""
    import threading

    from retakes.engine.vision import flow_torch

    pairs = [moved_texture(160, 96, angle, shift, seed)[:2]
             for angle, shift, seed in ((0.0, (1.5, -0.5), 1), (2.0, (-2.0, 1.0), 2), (-1.0, (0.5, 2.5), 3))]

    def upload(img):
        return torch.from_numpy(np.ascontiguousarray(img, np.uint8)).to(DEVICE)[None, None]

    expected = [flow_torch.clg_flow(upload(a), upload(b)) for a, b in pairs]
    for (a, b), want in zip(pairs, expected, strict=True):  # the first call captures, the others replay
        got = flow_torch.batch_flow(upload(a), upload(b))
        torch.testing.assert_close(got, want, atol=1e-4, rtol=0)
    results: dict[int, torch.Tensor] = {}

    def solve(i: int) -> None:
        a, b = pairs[i % len(pairs)]
        # as the engine's threads call it: each on a stream of its own, sharing one graph's buffers
        with flow_torch.own_stream(torch.device(DEVICE)):
            for _ in range(3):
                results[i] = flow_torch.batch_flow(upload(a), upload(b))
            torch.cuda.current_stream().synchronize()

    threads = [threading.Thread(target=solve, args=(i,)) for i in range(9)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i, got in results.items():
        torch.testing.assert_close(got, expected[i % len(pairs)], atol=1e-4, rtol=0)
    assert len(results) == 9
