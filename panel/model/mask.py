"""A keyframe mask painted on the full-resolution frame: brush, eraser, lasso, feather, invert.

The mask is a uint8 array at the source's width x height (255 = change this), so what the
editor paints is exactly what the engine receives; the viewer only scales it for display.
Feather is kept as a separate amount and applied on export, so it can be changed after
painting without losing the hard edge.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

BRUSH_SIZES = (2, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256)  # brush diameters, px
FEATHER_STEPS = (0, 1, 2, 4, 8, 16, 32, 64)  # px
_UNDO_DEPTH = 30

Point = tuple[float, float]


class MaskDocument:
    def __init__(self, width: int, height: int, data: np.ndarray | None = None) -> None:
        self.width, self.height = width, height
        self.data = np.zeros((height, width), np.uint8) if data is None else data.astype(np.uint8)
        self.brush = 32
        self.feather = 0
        self._undo: list[np.ndarray] = []

    # ---- state
    @property
    def empty(self) -> bool:
        return not self.data.any()

    def coverage(self) -> float:
        return float(np.count_nonzero(self.data)) / self.data.size

    def checkpoint(self) -> None:
        """Saves the mask before a change, for undo (one entry per stroke, not per dab)."""
        self._undo.append(self.data.copy())
        del self._undo[:-_UNDO_DEPTH]

    def undo(self) -> bool:
        if not self._undo:
            return False
        self.data = self._undo.pop()
        return True

    def merge(self, saved: np.ndarray) -> None:
        """Puts paint saved earlier under this mask and under each undo step: read back after the editor had
        already painted this frame, it is one mask with the new paint, and no undo takes it away."""
        self.data = np.maximum(self.data, saved)
        self._undo = [np.maximum(step, saved) for step in self._undo]

    # ---- painting (coordinates are full-resolution pixels)
    def dab(self, points: Sequence[Point], *, erase: bool = False) -> None:
        """Paints (or erases) a stroke through `points` with the current brush."""
        value = 0 if erase else 255
        radius = max(1, self.brush // 2)
        pts = [(int(round(x)), int(round(y))) for x, y in points]
        if len(pts) == 1:
            cv2.circle(self.data, pts[0], radius, value, -1, cv2.LINE_AA)
        for a, b in zip(pts, pts[1:], strict=False):
            cv2.line(self.data, a, b, value, radius * 2, cv2.LINE_AA)
        # LINE_AA leaves grey edges; a mask edge is binary, softness comes from feather.
        self.data = np.where(self.data >= 128, 255, 0).astype(np.uint8)

    def lasso(self, points: Sequence[Point], *, erase: bool = False) -> None:
        if len(points) < 3:
            return
        poly = np.array([[int(round(x)), int(round(y))] for x, y in points], np.int32)
        cv2.fillPoly(self.data, [poly], 0 if erase else 255)

    def invert(self) -> None:
        self.checkpoint()
        self.data = 255 - self.data

    def clear(self) -> None:
        self.checkpoint()
        self.data[:] = 0

    # ---- brush and feather steps ([ and ])
    def grow_brush(self) -> int:
        self.brush = next((s for s in BRUSH_SIZES if s > self.brush), BRUSH_SIZES[-1])
        return self.brush

    def shrink_brush(self) -> int:
        self.brush = next((s for s in reversed(BRUSH_SIZES) if s < self.brush), BRUSH_SIZES[0])
        return self.brush

    def step_feather(self, up: bool) -> int:
        steps = FEATHER_STEPS if up else tuple(reversed(FEATHER_STEPS))
        nxt = next((s for s in steps if (s > self.feather if up else s < self.feather)), steps[-1])
        self.feather = nxt
        return nxt

    # ---- export
    def soft(self) -> np.ndarray:
        """The mask as sent to the engine: hard edge blurred by `feather` pixels."""
        if not self.feather:
            return self.data.copy()
        sigma = self.feather / 2.0
        return cv2.GaussianBlur(self.data, (0, 0), sigmaX=sigma, sigmaY=sigma)


def write_png(mask: np.ndarray, path: str) -> None:
    """Writes atomically: the engine or a resumed panel never reads half a mask."""
    import os

    tmp = f"{path}.tmp.png"
    if not cv2.imwrite(tmp, mask):
        raise OSError(f"could not write the mask to {path}")
    os.replace(tmp, path)


def read_png(path: str) -> np.ndarray | None:
    image = cv2.imread(path, cv2.IMREAD_GRAYSCALE)
    return image
