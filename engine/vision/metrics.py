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
