"""The keyframe's colour change as a function of colour, and the changed region.

`propagate` moves the *change*, not the pixels: at the keyframe it fits a 3D LUT (a
smooth function RGB -> edited RGB, the way a colourist's qualifier-and-grade behaves)
on the edited region and its surroundings. Applied to another frame's own pixels it
keeps that frame's shading, highlights and texture, and it is insensitive to a mask
that is a few pixels off, since background colours map to themselves. What the LUT
cannot express (painted detail: one colour becoming two) is kept as a per-pixel
residual that `propagate` carries along the flow.

Empty LUT cells are filled by normalised convolution, regularised toward an affine
colour transform fitted on the same pixels: colours never seen at the keyframe (newly
revealed parts of the object) still get a plausible, region-level edit.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

NODES = 33


def to_unit(img: np.ndarray) -> np.ndarray:
    return img.astype(np.float32) / float(np.iinfo(img.dtype).max)


def change_region(original: np.ndarray, edited: np.ndarray, *, threshold: float = 4.0) -> np.ndarray:
    """Where the edit changed the frame: CIELAB delta E > threshold, cleaned. bool HxW."""
    a = cv2.cvtColor(to_unit(original), cv2.COLOR_RGB2Lab)
    b = cv2.cvtColor(to_unit(edited), cv2.COLOR_RGB2Lab)
    de = np.sqrt(((a - b) ** 2).sum(-1))
    m = (de > threshold).astype(np.uint8)
    h, w = m.shape
    r = max(1, int(round(0.004 * max(h, w))))
    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))
    m = cv2.morphologyEx(m, cv2.MORPH_OPEN, k)  # isolated noise (compression, dithering)
    kc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (6 * r + 1, 6 * r + 1))
    m = cv2.morphologyEx(m, cv2.MORPH_CLOSE, kc)  # unchanged greys inside a recoloured object
    n, labels, stats, _ = cv2.connectedComponentsWithStats(1 - m, connectivity=4)
    for i in range(1, n):  # fill enclosed holes smaller than 1 % of the frame
        x, y, bw, bh, area = stats[i]
        if x > 0 and y > 0 and x + bw < w and y + bh < h and area < 0.01 * h * w:
            m[labels == i] = 1
    return m.astype(bool)


def _corners(rgb: np.ndarray):
    """Trilinear cell index and weights of unit-range colours (P, 3)."""
    p = np.clip(rgb, 0.0, 1.0) * (NODES - 1)
    i0 = np.minimum(p.astype(np.int32), NODES - 2)
    f = p - i0
    out = []
    for dr in (0, 1):
        for dg in (0, 1):
            for db in (0, 1):
                idx = ((i0[:, 0] + dr) * NODES + i0[:, 1] + dg) * NODES + i0[:, 2] + db
                w = (
                    (f[:, 0] if dr else 1 - f[:, 0])
                    * (f[:, 1] if dg else 1 - f[:, 1])
                    * (f[:, 2] if db else 1 - f[:, 2])
                )
                out.append((idx, w))
    return out


def _smooth3(grid: np.ndarray) -> np.ndarray:
    """[1 2 1]/4 along each of the three colour axes of a (N, N, N, C) grid."""
    for ax in range(3):
        g = np.moveaxis(grid, ax, 0)
        s = g * 0.5
        s[1:] += 0.25 * g[:-1]
        s[:-1] += 0.25 * g[1:]
        s[0] += 0.25 * g[0]
        s[-1] += 0.25 * g[-1]
        grid = np.moveaxis(s, 0, ax)
    return grid


@dataclass
class ColourLUT:
    """Edited colour = lut(original colour), unit-range RGB, (N, N, N, 3) float32 grid."""

    grid: np.ndarray

    @classmethod
    def fit(cls, original: np.ndarray, edited: np.ndarray, *, smooth: int = 2) -> ColourLUT:
        """From matching (P, 3) unit-range samples."""
        src = original.reshape(-1, 3).astype(np.float32)
        dst = edited.reshape(-1, 3).astype(np.float32)
        x = np.concatenate([src, np.ones((len(src), 1), np.float32)], 1)
        affine = (
            np.linalg.lstsq(x, dst, rcond=None)[0] if len(src) >= 4 else np.vstack([np.eye(3), np.zeros(3)])
        )
        num = np.zeros((NODES**3, 3), np.float64)
        den = np.zeros(NODES**3, np.float64)
        delta = dst - src
        for idx, w in _corners(src):
            den += np.bincount(idx, w, minlength=NODES**3)
            for c in range(3):
                num[:, c] += np.bincount(idx, w * delta[:, c], minlength=NODES**3)
        num = num.reshape(NODES, NODES, NODES, 3)
        den = den.reshape(NODES, NODES, NODES, 1)
        for _ in range(smooth):
            num, den = _smooth3(num), _smooth3(den)
        axis = np.linspace(0, 1, NODES, dtype=np.float32)
        nodes = np.stack(np.meshgrid(axis, axis, axis, indexing="ij"), -1)
        prior = nodes @ affine[:3] + affine[3] - nodes
        lam = 1e-3 * max(float(den.mean()), 1e-9)  # only where the keyframe said little
        grid = nodes + (num + lam * prior) / (den + lam)
        return cls(grid.astype(np.float32))

    def apply(self, rgb: np.ndarray) -> np.ndarray:
        """Unit-range (..., 3) -> edited, trilinear (numpy)."""
        shape = rgb.shape
        flat = rgb.reshape(-1, 3)
        g = self.grid.reshape(-1, 3)
        out = np.zeros_like(flat, dtype=np.float32)
        for idx, w in _corners(flat):
            out += g[idx] * w[:, None]
        return out.reshape(shape)

    def apply_torch(self, rgb):
        """Same on a torch tensor (N, 3, H, W), via 3D grid_sample (the GPU path)."""
        import torch

        n, _, h, w = rgb.shape
        lut = torch.as_tensor(self.grid, device=rgb.device, dtype=rgb.dtype)  # (R, G, B, 3)
        lut = lut.permute(3, 0, 1, 2).unsqueeze(0)  # (1, 3, D=R, H=G, W=B)
        coords = rgb.clamp(0, 1).permute(0, 2, 3, 1) * 2 - 1  # (N, H, W, 3) as (r, g, b)
        grid = coords.flip(-1).reshape(n, 1, 1, h * w, 3)  # grid_sample wants (x=b, y=g, z=r)
        out = torch.nn.functional.grid_sample(
            lut.expand(n, -1, -1, -1, -1),
            grid,
            mode="bilinear",
            padding_mode="border",
            align_corners=True,
        )
        return out.reshape(n, 3, h, w)
