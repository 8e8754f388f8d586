"""Image quality metrics for the benchmarks and tests: PSNR and SSIM on 8-bit RGB.

SSIM follows scikit-image's defaults for a uniform window (data range 255, sample
covariance, border cropped), as the video-inpainting papers' scripts do (research notes,
engine.md section 5); scikit-image itself is not a dependency.
"""

from __future__ import annotations

import cv2
import numpy as np


def psnr(a, b, m=None) -> float:
    d = (a.astype(np.float64) - b.astype(np.float64)) ** 2
    d = d[m] if m is not None else d
    return float(10 * np.log10(255**2 / max(d.mean(), 1e-10)))


def ssim(a, b, win: int = 65) -> float:
    """SSIM with a uniform win x win window, data_range 255, sample covariance (skimage defaults)."""
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    vals = []
    n = win * win
    for c in range(3):
        x, y = a[..., c].astype(np.float64), b[..., c].astype(np.float64)
        k = (win, win)
        mx, my = cv2.blur(x, k), cv2.blur(y, k)
        cov = n / (n - 1)
        vx = (cv2.blur(x * x, k) - mx * mx) * cov
        vy = (cv2.blur(y * y, k) - my * my) * cov
        vxy = (cv2.blur(x * y, k) - mx * my) * cov
        s = ((2 * mx * my + c1) * (2 * vxy + c2)) / ((mx**2 + my**2 + c1) * (vx + vy + c2))
        p = win // 2
        vals.append(s[p:-p, p:-p].mean())  # skimage crops the border
    return float(np.mean(vals))


def warping_error(frames: list[np.ndarray], flows_from: list[np.ndarray] | None = None) -> float:
    """Temporal instability (Lai et al. 2018): mean squared difference, in unit range, between each
    frame and the next one warped back onto it by optical flow, over pixels the flow's
    forward-backward check trusts. Flow is measured on `flows_from` (default: `frames`), so an
    edit and its source can be scored along the same motion."""
    from .flow import FlowEstimator, gray, occlusion, warp

    est = FlowEstimator("medium", 480)
    guide = flows_from or frames
    total, count = 0.0, 0
    for t in range(len(frames) - 1):
        a, b = gray(est.small(guide[t])), gray(est.small(guide[t + 1]))
        fwd, bwd = est.flow(a, b), est.flow(b, a)
        keep = ~occlusion(fwd, bwd)
        size = (fwd.shape[1], fwd.shape[0])
        ft = cv2.resize(frames[t], size, interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0
        fn = cv2.resize(frames[t + 1], size, interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0
        d = ((ft - warp(fn, fwd)) ** 2).mean(-1)
        total += float(d[keep].sum())
        count += int(keep.sum())
    return total / max(count, 1)
