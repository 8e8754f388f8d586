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

from dataclasses import dataclass, field

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


EPS = 1.0 / 64  # intensity floor of the relative change (dark pixels: absolute change)


def lut_coords(rgb: np.ndarray) -> np.ndarray:
    """Unit-range RGB (P, 3) -> LUT coordinates in 0..1: chromaticity (r/S, g/S) and sqrt(S/3).

    Shading scales a surface's RGB; chromaticity does not move under it, so the edit
    learned at one brightness carries to the same surface in another light.
    """
    rgb = np.clip(rgb, 0.0, 1.0)
    s = rgb.sum(-1, keepdims=True)
    chroma = rgb[:, :2] / np.maximum(s, 1e-4)
    chroma = np.where(s > 1e-4, chroma, 1.0 / 3.0)
    return np.concatenate([chroma, np.sqrt(s / 3.0)], -1).astype(np.float32)


def _corners(p01: np.ndarray):
    """Trilinear cell index and weights of LUT coordinates (P, 3) in 0..1."""
    p = np.clip(p01, 0.0, 1.0) * (NODES - 1)
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
    """[1 2 1]/4 along each of the three axes of a (N, N, N, C) grid."""
    for ax in range(3):
        g = np.moveaxis(grid, ax, 0)
        s = g * 0.5
        s[1:] += 0.25 * g[:-1]
        s[:-1] += 0.25 * g[1:]
        s[0] += 0.25 * g[0]
        s[-1] += 0.25 * g[-1]
        grid = np.moveaxis(s, 0, ax)
    return grid


def _push_pull3(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """Normalised values num/den, filled where den is ~0 from coarser 3D levels (push-pull)."""
    if min(den.shape[:3]) <= 2:
        tot = den.sum()
        mean = num.reshape(-1, num.shape[-1]).sum(0) / max(float(tot), 1e-12)
        val = num / np.maximum(den, 1e-12)
        return np.where(den > 1e-12, val, mean)
    pad = [(0, s % 2) for s in den.shape[:3]] + [(0, 0)]
    n2 = np.pad(num, pad, mode="constant")
    d2 = np.pad(den, pad, mode="constant")
    shp = [s // 2 for s in n2.shape[:3]]
    n2 = n2.reshape(shp[0], 2, shp[1], 2, shp[2], 2, -1).sum((1, 3, 5))
    d2 = d2.reshape(shp[0], 2, shp[1], 2, shp[2], 2, 1).sum((1, 3, 5))
    coarse = _push_pull3(n2, d2)
    up = coarse.repeat(2, 0).repeat(2, 1).repeat(2, 2)[: den.shape[0], : den.shape[1], : den.shape[2]]
    up = _smooth3(up)
    a = np.minimum(den / 0.5, 1.0)  # half a sample's weight is enough to trust a cell
    return a * (num / np.maximum(den, 1e-12)) + (1 - a) * up


@dataclass
class ColourLUT:
    """The edit as a function of colour.

    `grid` (N, N, N, 3) float32, over `lut_coords` (chromaticity x, y; sqrt intensity),
    holds the change relative to intensity: edited = rgb + (mean(rgb) + EPS) * grid(coords).
    A pure recolour (hue rotation, tint) is then the same at every brightness of a surface.
    """

    grid: np.ndarray
    #: (2, 3): the coordinate box the grid spans (low, high); colours outside are clamped to it
    domain: np.ndarray = field(default_factory=lambda: np.float32([[0, 0, 0], [1, 1, 1]]))

    def _unit(self, coords: np.ndarray) -> np.ndarray:
        lo, hi = self.domain
        return (coords - lo) / (hi - lo)

    @classmethod
    def fit(cls, original: np.ndarray, edited: np.ndarray, *, smooth: int = 0) -> ColourLUT:
        """From matching (P, 3) unit-range samples; cells no sample reached are filled from
        the nearest populated ones (3D push-pull), so unseen shades get their neighbours' edit."""
        src = original.reshape(-1, 3).astype(np.float32)
        dst = edited.reshape(-1, 3).astype(np.float32)
        if len(src) == 0:
            return cls(np.zeros((NODES, NODES, NODES, 3), np.float32))
        rel = (dst - src) / (src.mean(-1, keepdims=True) + EPS)
        coords = lut_coords(src)
        # the grid spans the colours the edit was shown (plus a margin), not the whole cube:
        # one object's colours fill a few percent of chromaticity space
        lo, hi = np.percentile(coords, 0.2, axis=0), np.percentile(coords, 99.8, axis=0)
        pad = 0.1 * (hi - lo) + 0.02
        domain = np.float32([np.maximum(lo - pad, 0.0), np.minimum(hi + pad, 1.0)])
        lut = cls(np.zeros((NODES, NODES, NODES, 3), np.float32), domain)
        num = np.zeros((NODES**3, 3), np.float64)
        den = np.zeros(NODES**3, np.float64)
        for idx, w in _corners(lut._unit(coords)):
            den += np.bincount(idx, w, minlength=NODES**3)
            for c in range(3):
                num[:, c] += np.bincount(idx, w * rel[:, c], minlength=NODES**3)
        num = num.reshape(NODES, NODES, NODES, 3)
        den = den.reshape(NODES, NODES, NODES, 1)
        for _ in range(smooth):
            num, den = _smooth3(num), _smooth3(den)
        # unseen shades of a seen chromaticity first take the change of that chromaticity's
        # nearest seen shades (a recolour does not depend on the light), then push-pull fills
        # chromaticities never seen from their neighbours
        z = np.arange(NODES, dtype=np.float64)
        k = np.exp(-np.abs(z[:, None] - z[None, :]) / 3.0)
        num_z = np.einsum("kz,xyzc->xykc", k, num)
        den_z = np.einsum("kz,xyzc->xykc", k, den)
        a = np.minimum(den / 0.5, 1.0)
        num = a * num + (1 - a) * num_z / np.maximum(den_z, 1e-12) * np.minimum(den_z, 1.0)
        den = a * den + (1 - a) * np.minimum(den_z, 1.0)
        lut.grid = _push_pull3(num, den).astype(np.float32)
        return lut

    def _atlas(self) -> np.ndarray:
        """The grid as one 2D float image (X rows, Z tiles of Y columns) for cv2.remap."""
        if getattr(self, "_atlas_cache", None) is None:
            n = self.grid.shape[0]
            self._atlas_cache = np.ascontiguousarray(self.grid.transpose(0, 2, 1, 3).reshape(n, n * n, 3))
        return self._atlas_cache

    def apply(self, rgb: np.ndarray) -> np.ndarray:
        """Unit-range (..., 3) -> edited, trilinear (numpy + cv2.remap: bilinear in chromaticity
        within two intensity slices, then linear between them)."""
        shape = rgb.shape
        flat = rgb.reshape(-1, 3).astype(np.float32)
        if len(flat) == 0:  # cv2.remap refuses empty maps (an empty region: an unedited keyframe)
            return flat.reshape(shape)
        n = self.grid.shape[0]
        u = np.clip(self._unit(lut_coords(flat)), 0.0, 1.0) * (n - 1)
        z0 = np.minimum(np.floor(u[:, 2]), n - 2)
        fz = (u[:, 2] - z0)[:, None]
        atlas = self._atlas()
        rows = max(1, min(4096, len(flat)))
        size = (rows, -(-len(flat) // rows))
        pad = size[0] * size[1] - len(flat)

        def lookup(col: np.ndarray) -> np.ndarray:
            mx = np.pad(col, (0, pad)).reshape(size[1], size[0]).astype(np.float32)
            my = np.pad(u[:, 0], (0, pad)).reshape(size[1], size[0]).astype(np.float32)
            return cv2.remap(atlas, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE).reshape(-1, 3)[
                : len(flat)
            ]

        rel = lookup(u[:, 1] + z0 * n) * (1 - fz) + lookup(u[:, 1] + (z0 + 1) * n) * fz
        return (flat + (flat.mean(-1, keepdims=True) + EPS) * rel).reshape(shape)

    def apply_torch(self, rgb):
        """Same on a torch tensor (N, 3, H, W), via 3D grid_sample (the GPU path)."""
        import torch

        n, _, h, w = rgb.shape
        c = rgb.clamp(0, 1)
        s = c.sum(1, keepdim=True)
        chroma = torch.where(s > 1e-4, c[:, :2] / s.clamp_min(1e-4), torch.full_like(c[:, :2], 1.0 / 3.0))
        coords = torch.cat([chroma, torch.sqrt(s / 3.0)], 1).permute(0, 2, 3, 1)
        lo, hi = (torch.as_tensor(d, device=rgb.device, dtype=rgb.dtype) for d in self.domain)
        coords = (coords - lo) / (hi - lo) * 2 - 1
        lut = torch.as_tensor(self.grid, device=rgb.device, dtype=rgb.dtype)  # (X, Y, Z, 3)
        lut = lut.permute(3, 0, 1, 2).unsqueeze(0)  # (1, 3, D=X, H=Y, W=Z)
        grid = coords.flip(-1).reshape(n, 1, 1, h * w, 3)  # grid_sample wants (x=Z, y=Y, z=X)
        rel = torch.nn.functional.grid_sample(
            lut.expand(n, -1, -1, -1, -1),
            grid,
            mode="bilinear",
            padding_mode="border",
            align_corners=True,
        ).reshape(n, 3, h, w)
        return rgb + (rgb.mean(1, keepdim=True) + EPS) * rel
