"""Crop a keyframe to its mask's box at the model's working size, and stitch the result back.

A 4K frame never goes through an image model whole: the model sees the mask's box (grown by
the feather and some context, so it knows what surrounds the region), scaled so its longer side
is the model's native size and both sides are multiples of what its VAE and patching need. The
output is scaled back to the box and blended through the feathered mask (`ops.feather`), so
every pixel beyond the feather is the source's, bit for bit (DESIGN invariants 1 and 6).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ..ops.feather import Region, blend, soft_alpha

#: context around the mask's box, as a share of the box's longer side (at least MIN_CONTEXT px)
CONTEXT = 0.25
MIN_CONTEXT = 16


@dataclass(frozen=True)
class Crop:
    """The frame's box [y0, y1) x [x0, x1) the model sees, and the size it sees it at."""

    region: Region
    work_width: int
    work_height: int

    @property
    def width(self) -> int:
        return self.region.x1 - self.region.x0

    @property
    def height(self) -> int:
        return self.region.y1 - self.region.y0


def plan_crop(shape: tuple[int, ...], mask: np.ndarray | None, *, working: int, multiple: int,
              feather: float) -> Crop:
    """The box around `mask` (>= 128 inside; None: the whole frame) and its working size."""
    h, w = shape[:2]
    if mask is None:
        region = Region.full(shape)
    else:
        x, y, bw, bh = cv2.boundingRect((mask >= 128).view(np.uint8))
        margin = int(round(feather)) + 1 + max(MIN_CONTEXT, int(CONTEXT * max(bw, bh)))
        region = Region(y, y + bh, x, x + bw).grow(margin, shape)
    rw, rh = region.x1 - region.x0, region.y1 - region.y0
    scale = working / max(rw, rh)
    work_w = max(multiple, int(round(rw * scale / multiple)) * multiple)
    work_h = max(multiple, int(round(rh * scale / multiple)) * multiple)
    return Crop(region, work_w, work_h)


def to_model(frame: np.ndarray, crop: Crop) -> np.ndarray:
    """The box of `frame` as uint8 RGB at the working size (what image pipelines take)."""
    box = frame[crop.region.slices]
    if box.dtype != np.uint8:
        box = (box >> 8).astype(np.uint8)
    shrinking = crop.work_width < crop.width
    return cv2.resize(box, (crop.work_width, crop.work_height),
                      interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_CUBIC)


def mask_to_model(mask: np.ndarray, crop: Crop, *, grow: int = 0) -> np.ndarray:
    """The box of the mask (uint8 0/255) at the working size, optionally grown by `grow` px first,
    so the model repaints a little past the edge the feather will blend over."""
    box = (mask[crop.region.slices] >= 128).astype(np.uint8) * 255
    if grow > 0:
        box = cv2.dilate(box, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1)))
    return cv2.resize(box, (crop.work_width, crop.work_height), interpolation=cv2.INTER_NEAREST)


def stitch(frame: np.ndarray, edited: np.ndarray, crop: Crop, mask: np.ndarray | None, feather: float) -> np.ndarray:
    """`frame` with the model's output (float RGB 0..1 at the working size) put back.

    With a mask, only the feathered mask's pixels change; without one, the box (the whole frame)
    is the model's output.
    """
    growing = crop.width > crop.work_width
    back = cv2.resize(np.ascontiguousarray(edited, dtype=np.float32), (crop.width, crop.height),
                      interpolation=cv2.INTER_CUBIC if growing else cv2.INTER_AREA)
    codes = np.clip(back, 0.0, 1.0) * float(np.iinfo(frame.dtype).max)
    if mask is None:
        return blend(frame, codes, None, crop.region)
    soft = soft_alpha(mask, feather)
    if soft is None:
        return frame.copy()
    alpha, region = soft
    r = crop.region
    # The alpha's region lies inside the crop (the crop grew the box by the feather and more).
    inner = codes[region.y0 - r.y0:region.y1 - r.y0, region.x0 - r.x0:region.x1 - r.x0]
    return blend(frame, inner, alpha, region)
