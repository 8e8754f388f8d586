"""The camera's motion between two frames: a homography fitted to the flow, and what moves on its own.

A homography is exact for a rotating camera and for a planar scene, and close for distant
backgrounds: most of what an editor removes an object from. Fitting one to the dense
flow with RANSAC (the flow's outliers are the independently moving things) gives a motion
that can be composed over many frames without the resampling blur and error build-up of
chaining dense flow, and that is defined inside a hole, where flow is not.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .flow import unreliable

#: RANSAC reprojection threshold and the independent-motion threshold, in pixels of a
#: 432-wide working image (the inpainting benchmarks' size); scaled with the image's width.
INLIER_PX = 1.0
MOVING_PX = 2.0
#: fewer inliers than this share of the usable samples: no single camera motion explains
#: the pair (a cut, a whip pan, a frame filled by a moving object), so nothing is carried across it
MIN_INLIER_SHARE = 0.3
_GRID = 4  # sample the flow every 4 px: RANSAC needs thousands of points, not every pixel


@dataclass(frozen=True)
class CameraMotion:
    """How frame a's pixels map into frame b."""

    #: 3x3 homography, a's pixel coordinates to b's (float64); None when the pair is unlinked
    homography: np.ndarray | None
    #: bool (H, W), on a's grid and on b's: pixels whose flow disagrees with the camera's motion
    moving_a: np.ndarray
    moving_b: np.ndarray


def fit_camera_motion(
    flow_ab: np.ndarray, flow_ba: np.ndarray, ignore_a: np.ndarray, ignore_b: np.ndarray
) -> CameraMotion:
    """The homography that best explains flow_ab outside the ignored pixels, and what moves on its own.

    flow_ab, flow_ba: the flows between a and b (conventions of `vision.flow`), on grids of
    the same size; ignore_a, ignore_b: bool (H, W), pixels whose flow must not be trusted
    (holes and their surroundings).
    """
    h, w = flow_ab.shape[:2]
    scale = w / 432.0
    still = np.zeros((h, w), bool)
    # flow near a hole is pulled by its blanked content: neither the fit nor the search for
    # moving things trusts it (measured: +1.3 dB on car-shadow, whose hole edge was taken for motion)
    box = np.ones((2 * int(round(4 * max(scale, 1.0))) + 1,) * 2, np.uint8)
    ignore_a, ignore_b = (cv2.dilate(m.astype(np.uint8), box).astype(bool) for m in (ignore_a, ignore_b))
    usable = ~(ignore_a | ignore_b | unreliable(flow_ab, flow_ba))
    ys, xs = np.mgrid[_GRID // 2 : h : _GRID, _GRID // 2 : w : _GRID]
    keep = usable[ys, xs]
    if keep.sum() < 16:
        return CameraMotion(None, still, still)
    src = np.stack([xs[keep], ys[keep]], -1).astype(np.float32)
    dst = src + flow_ab[ys[keep], xs[keep]]
    homography, inliers = cv2.findHomography(src, dst, cv2.RANSAC, INLIER_PX * max(scale, 0.5))
    if homography is None or inliers.mean() < MIN_INLIER_SHARE or not _plausible(homography, w, h):
        return CameraMotion(None, still, still)
    threshold = MOVING_PX * max(scale, 0.5)
    return CameraMotion(
        homography,
        _moving(flow_ab, homography, ignore_a, threshold),
        _moving(flow_ba, np.linalg.inv(homography), ignore_b, threshold),
    )


def camera_flow(homography: np.ndarray, width: int, height: int) -> np.ndarray:
    """The flow field (H, W, 2) that `homography` induces on a width x height grid."""
    gx, gy = np.meshgrid(np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32))
    grid = np.stack([gx, gy], -1)
    moved = cv2.perspectiveTransform(grid.reshape(-1, 1, 2), homography).reshape(height, width, 2)
    return moved - grid


def rescale(homography: np.ndarray, factor: float) -> np.ndarray:
    """The same motion in coordinates `factor` times larger (pixel centres kept aligned)."""
    # x_big = factor * (x_small + 0.5) - 0.5, as cv2.resize places pixel centres
    s = np.array([[factor, 0, 0.5 * factor - 0.5], [0, factor, 0.5 * factor - 0.5], [0, 0, 1]])
    return s @ homography @ np.linalg.inv(s)


def _moving(flow: np.ndarray, homography: np.ndarray, ignore: np.ndarray, threshold: float) -> np.ndarray:
    h, w = flow.shape[:2]
    residual = np.linalg.norm(flow - camera_flow(homography, w, h), axis=-1)
    moving = ((residual > threshold) & ~ignore).astype(np.uint8)
    # isolated outliers are flow noise; a moving thing is a blob, and its edge is blurred
    moving = cv2.morphologyEx(moving, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    margin = 2 * int(round(max(w / 432.0, 1.0))) + 1
    return cv2.dilate(moving, np.ones((2 * margin + 1, 2 * margin + 1), np.uint8)).astype(bool)


def _plausible(homography: np.ndarray, width: int, height: int) -> bool:
    """Rejects fits that fold or blow up the frame (RANSAC on a degenerate sample)."""
    corners = np.float32([[0, 0], [width, 0], [width, height], [0, height]]).reshape(-1, 1, 2)
    moved = cv2.perspectiveTransform(corners, homography).reshape(-1, 2)
    area = 0.5 * abs(np.dot(moved[:, 0], np.roll(moved[:, 1], 1)) - np.dot(moved[:, 1], np.roll(moved[:, 0], 1)))
    return cv2.isContourConvex(moved.reshape(-1, 1, 2)) and 0.5 < area / (width * height) < 2.0
