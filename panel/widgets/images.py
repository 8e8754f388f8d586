"""numpy <-> QImage without surprises (the array must outlive the QImage, so we copy)."""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QImage


def rgb_image(rgb: np.ndarray) -> QImage:
    rgb = np.ascontiguousarray(rgb)
    h, w = rgb.shape[:2]
    return QImage(rgb.data, w, h, rgb.strides[0], QImage.Format_RGB888).copy()


def overlay_image(mask: np.ndarray, color: tuple[int, int, int], alpha: float = 0.45) -> QImage:
    """A mask as a tinted, premultiplied ARGB layer with a solid edge so its outline reads."""
    import cv2

    h, w = mask.shape[:2]
    a = (mask.astype(np.float32) / 255.0) * alpha
    edge = cv2.morphologyEx((mask > 127).astype(np.uint8), cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8)) > 0
    a[edge] = 0.95
    out = np.empty((h, w, 4), np.uint8)
    out[..., 3] = (a * 255).astype(np.uint8)
    for i, c in enumerate(color):  # BGRA byte order for Format_ARGB32_Premultiplied on little endian
        out[..., 2 - i] = (a * c).astype(np.uint8)
    return QImage(out.data, w, h, out.strides[0], QImage.Format_ARGB32_Premultiplied).copy()

