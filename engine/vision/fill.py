"""Push-pull hole filling and membrane seam correction.

Push-pull (Gortler et al. 1996, the "pull-push" of the Lumigraph) fills unknown values
from known ones by normalised averaging over an image pyramid and pasting the coarse
answer back only where the fine level knows nothing. It is a fast, smooth approximation
of a membrane (harmonic) interpolant, which is what flow completion inside a hole
(FGVC's smooth-flow assumption) and Poisson-style seam correction both need, at a cost
linear in pixels and with no linear solve.
"""

from __future__ import annotations

import cv2
import numpy as np


def push_pull(values: np.ndarray, known: np.ndarray, *, min_size: int = 2) -> np.ndarray:
    """Fills values where `known` is 0; keeps them exactly where `known` is 1.

    values: float32 (H, W) or (H, W, C); known: float32/bool (H, W), weights in 0..1.
    """
    squeeze = values.ndim == 2
    v = values[..., None] if squeeze else values
    w = known.astype(np.float32)
    if not w.any():
        return np.zeros_like(values)
    levels: list[tuple[np.ndarray, np.ndarray]] = []
    num = v.astype(np.float32) * w[..., None]
    den = w
    while True:
        levels.append((num, den))
        h, wd = den.shape
        if min(h, wd) <= min_size:
            break
        size = ((wd + 1) // 2, (h + 1) // 2)
        num = cv2.resize(num, size, interpolation=cv2.INTER_AREA).reshape(size[1], size[0], -1)
        den = cv2.resize(den, size, interpolation=cv2.INTER_AREA)
    num, den = levels[-1]
    filled = num / np.maximum(den, 1e-8)[..., None]
    if not (den > 0).all():  # coarsest level still has holes: use the global mean there
        mean = num.reshape(-1, num.shape[-1]).sum(0) / max(float(den.sum()), 1e-8)
        filled[den <= 0] = mean
    for level in range(len(levels) - 2, -1, -1):
        num, den = levels[level]
        h, wd = den.shape
        up = cv2.resize(filled, (wd, h), interpolation=cv2.INTER_LINEAR).reshape(h, wd, -1)
        # the finest level keeps known values exactly; coarser ones trust partial coverage
        alpha = (den if level == 0 else np.minimum(den * 4.0, 1.0))[..., None]
        fine = num / np.maximum(den, 1e-8)[..., None]
        filled = alpha * fine + (1.0 - alpha) * up
    return filled[..., 0] if squeeze else filled


def seam_correction(
    fill: np.ndarray, source: np.ndarray, hole: np.ndarray, measured: np.ndarray, *, sigma: float = 3.0
) -> np.ndarray:
    """Smooth offset that makes `fill` meet `source` at the hole's edge (membrane blend).

    `fill` must also be known on `measured`, a thin band just outside the hole where the
    source is known too: the mismatch is measured there, between two real values, then
    low-passed (so exposure and colour drift are corrected, grain and texture are not) and
    spread into the hole by push-pull. Estimating it inside the hole instead, against the
    outside's smooth continuation, would mistake the texture at the edge for drift and
    push a fill that was already right off by it, differently every frame. Returns the
    corrected fill (float32); apply it only inside `hole`. No band measured: no correction.
    """
    fill = fill.astype(np.float32)
    band = (measured & ~hole).astype(np.float32)
    if not hole.any() or not band.any():
        return fill
    diff = (source.astype(np.float32) - fill) * band[..., None]
    wsum = cv2.GaussianBlur(band, (0, 0), sigma)
    dsum = cv2.GaussianBlur(diff, (0, 0), sigma).reshape(diff.shape)
    smooth = dsum / np.maximum(wsum, 1e-6)[..., None]
    return fill + push_pull(smooth, band)
