"""Shared fixtures of the colour/matte op tests: synthetic frames, masks, contexts, the CPU/torch check."""

from __future__ import annotations

import cv2
import numpy as np

from retakes.engine.ops.base import EditContext, Op
from retakes.engine.timecode import FrameRange

#: The stated CPU (numpy) vs torch tolerance, in 8-bit code values (scaled by 257 for 16-bit frames).
MAX_DIFF_8BIT = 1.0
MEAN_DIFF_8BIT = 0.1


class Masks:
    def __init__(self, mask: np.ndarray | dict[int, np.ndarray]) -> None:
        self.masks = mask

    def mask(self, frame: int) -> np.ndarray:
        return self.masks[frame] if isinstance(self.masks, dict) else self.masks


class Frames:
    """A FrameSource over in-memory frames."""

    def __init__(self, frames: dict[int, np.ndarray]) -> None:
        self.frames_ = frames

    @property
    def frame_range(self) -> FrameRange:
        return FrameRange(min(self.frames_), max(self.frames_) + 1)

    def frame(self, index: int) -> np.ndarray:
        return self.frames_[index]

    def frames(self, frames: FrameRange):
        for i in frames:
            yield i, self.frames_[i]


def textured(h: int = 64, w: int = 96, dtype=np.uint8, seed: int = 0) -> np.ndarray:
    """A smooth colourful frame with texture, full range of the dtype."""
    rng = np.random.default_rng(seed)
    f = cv2.GaussianBlur(rng.random((h, w, 3)).astype(np.float32), (0, 0), 2.0)
    f = (f - f.min()) / (f.max() - f.min())
    return np.rint(f * np.iinfo(dtype).max).astype(dtype)


def ellipse_mask(h: int = 64, w: int = 96) -> np.ndarray:
    m = np.zeros((h, w), np.uint8)
    cv2.ellipse(m, (w // 2, h // 2), (w // 5, h // 4), 0, 0, 360, 255, -1)
    return m


def far_outside(mask: np.ndarray, distance: int) -> np.ndarray:
    """Pixels farther than `distance` (Chebyshev) from the mask."""
    k = cv2.getStructuringElement(cv2.MORPH_RECT, (2 * distance + 3, 2 * distance + 3))
    return cv2.dilate((mask >= 128).astype(np.uint8), k) == 0


def deep_inside(mask: np.ndarray, distance: int) -> np.ndarray:
    k = cv2.getStructuringElement(cv2.MORPH_RECT, (2 * distance + 3, 2 * distance + 3))
    return cv2.erode((mask >= 128).astype(np.uint8), k) == 1


def ctx_for(
    op: Op, params: dict, *, mask=None, frames=None, device: str = "cpu", seed: int = 0
) -> EditContext:
    fr = FrameRange(0, 1) if frames is None else FrameRange(min(frames), max(frames) + 1)
    return EditContext(
        source=Frames(frames) if frames else None,
        frame_range=fr,
        params=op.spec.validate_params(params),
        masks=None if mask is None else Masks(mask),
        device=device,
        seed=seed,
    )


def assert_paths_agree(cpu: np.ndarray, gpu: np.ndarray) -> None:
    """The CPU and torch paths agree within the stated tolerance."""
    scale = 255.0 / np.iinfo(cpu.dtype).max
    d = np.abs(cpu.astype(np.int64) - gpu.astype(np.int64)) * scale
    assert d.max() <= MAX_DIFF_8BIT + 1e-9, f"max diff {d.max():.3f} (8-bit codes)"
    assert d.mean() < MEAN_DIFF_8BIT, f"mean diff {d.mean():.4f} (8-bit codes)"
