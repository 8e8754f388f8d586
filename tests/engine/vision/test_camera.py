"""The camera's motion fitted to flow: the homography comes back, and what moves on its own is found."""

import cv2
import numpy as np

from retakes.engine.vision.camera import camera_flow, fit_camera_motion, rescale


def _pan_and_zoom() -> np.ndarray:
    return np.array([[1.02, 0.01, 3.0], [-0.01, 1.02, -1.5], [1e-5, 0.0, 1.0]])


def test_the_homography_behind_a_flow_field_is_recovered_and_a_moving_patch_is_flagged():
    w, h = 432, 240
    truth = _pan_and_zoom()
    flow_ab = camera_flow(truth, w, h)
    flow_ba = camera_flow(np.linalg.inv(truth), w, h)
    # something moving on its own: 12 px to the right, against the camera, inside a box of a
    flow_ab[100:140, 50:100] += (12.0, 0.0)
    hole = np.zeros((h, w), bool)
    hole[20:60, 300:380] = True  # the hole's flow is garbage: it must be ignored
    flow_ab[hole] = np.random.default_rng(0).normal(0, 30, (int(hole.sum()), 2))
    motion = fit_camera_motion(flow_ab, flow_ba, hole, hole)
    assert motion.homography is not None
    err = np.abs(camera_flow(motion.homography, w, h) - camera_flow(truth, w, h)).max()
    assert err < 0.05, err
    assert motion.moving_a[105:135, 55:95].all()
    assert not motion.moving_a[180:, :].any()  # the still background is not flagged
    assert not motion.moving_a[hole].any()  # nor is what flows out of the hole


def test_a_pair_no_single_motion_explains_is_left_unlinked():
    rng = np.random.default_rng(1)
    w, h = 200, 120
    flow = rng.normal(0, 20, (h, w, 2)).astype(np.float32)  # a cut: nothing is consistent
    motion = fit_camera_motion(flow, -flow, np.zeros((h, w), bool), np.zeros((h, w), bool))
    assert motion.homography is None


def test_rescale_maps_pixel_centres_as_cv2_resize_places_them():
    """A pixel centre x at the small size sits at f * (x + 0.5) - 0.5 after resizing by f."""
    small = _pan_and_zoom()
    f = 1920 / 432

    def to_big(p):
        return f * (p + 0.5) - 0.5

    pts = np.random.default_rng(2).uniform(0, 400, (50, 1, 2))
    expected = to_big(cv2.perspectiveTransform(pts, small))
    got = cv2.perspectiveTransform(to_big(pts), rescale(small, f))
    assert np.abs(got - expected).max() < 1e-6
