"""vision.segment: the mask tracker's morphology."""

import cv2
import numpy as np
import pytest


@pytest.mark.parametrize("r", [3, 20, 21, 43])
def test_a_disk_dilation_is_the_elliptical_one_up_to_its_boundary(r):
    """segment.dilate_disk: OpenCV's elliptical dilation for small radii, the distance transform
    for large ones; either way the disk around a pixel and a blob grows by r, differing from the
    elliptical kernel on boundary pixels only."""
    from retakes.engine.vision.segment import _disk, dilate_disk

    mask = np.zeros((200, 300), bool)
    mask[100, 150] = True
    cv2.ellipse(mask.view(np.uint8), (80, 60), (30, 18), 20, 0, 360, 1, -1)
    grown = dilate_disk(mask, r)
    reference = cv2.dilate(mask.astype(np.uint8), _disk(r)).astype(bool)
    assert grown[100, 150 + r] and grown[100 - r, 150] and not grown[100, 150 + r + 1]
    assert not grown[100 + r + 1, 150]
    assert (grown != reference).sum() <= 0.02 * reference.sum()
