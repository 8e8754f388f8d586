"""A look taken from a reference image: colour and tone transfer in OKLab, per luminance band.

Reinhard et al.'s colour transfer (match each channel's mean and spread in a decorrelated colour
space) done in OKLab (perceptually uniform: a step in a, b is the same visible change in shadows
and highlights) and, as colourists grade, separately for shadows, midtones and highlights:

- tone: L is mapped by histogram matching (the source's L quantiles onto the reference's), a
  monotone curve, so the reference's contrast and black/white levels come across and no two
  tones swap places;
- colour: each luminance band (soft bands that hold equal shares of each image's pixels, so the
  source's shadows meet the reference's shadows) has its own mean and spread of a and b, and
  a pixel's (a, b) is moved from its band's source statistics to the reference's, the bands'
  moves blended by the pixel's band weights.

The result is a `Transfer`: a fixed function of a pixel's colour. Computed once per shot from
pixels sampled across the shot, it gives identical outputs for identical inputs on every frame,
so nothing flickers that did not flicker in the source (no per-frame statistics to pump).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..ops.color import gamut_clip, linear_to_oklab, linear_to_srgb, oklab_to_linear, srgb_to_linear

#: tone curve resolution (knots over 0..1 quantile)
KNOTS = 65
#: a band's spread may be scaled by at most this factor (or its inverse): a flat band of the
#: source (a grey wall) must not be blown into noise
MAX_SPREAD_GAIN = 3.0


def to_oklab(rgb_unit: np.ndarray) -> np.ndarray:
    """sRGB-encoded unit-range (..., 3) -> OKLab (..., 3), float32."""
    return np.asarray(linear_to_oklab(srgb_to_linear(np.asarray(rgb_unit, np.float32))), np.float32)


def from_oklab(lab: np.ndarray) -> np.ndarray:
    """OKLab -> sRGB-encoded unit range, out-of-gamut colours moved towards grey (hue kept)."""
    lin = gamut_clip(oklab_to_linear(np.asarray(lab, np.float32)), lab[..., 0])
    return np.clip(linear_to_srgb(lin), 0.0, 1.0).astype(np.float32)


@dataclass(frozen=True)
class LabStats:
    """What the transfer needs of one image (or the sampled pixels of a shot)."""

    #: L at quantiles 0..1 (KNOTS values)
    quantiles: np.ndarray
    #: per band: mean (a, b) and spread (a, b); (bands, 2) each
    mean: np.ndarray
    spread: np.ndarray

    @classmethod
    def of(cls, lab: np.ndarray, bands: int) -> LabStats:
        px = lab.reshape(-1, 3)
        L = px[:, 0]
        q = np.quantile(L, np.linspace(0, 1, KNOTS)).astype(np.float32)
        w = band_weights(rank_of(L, q), bands)  # (P, bands)
        total = np.maximum(w.sum(0), 1e-6)[:, None]
        mean = (w.T @ px[:, 1:]) / total
        var = (w.T @ (px[:, 1:] ** 2)) / total - mean**2
        return cls(q, mean.astype(np.float32), np.sqrt(np.maximum(var, 1e-8)).astype(np.float32))


def rank_of(L: np.ndarray, quantiles: np.ndarray) -> np.ndarray:
    """A lightness's place in an image's distribution, 0..1 (its CDF, piecewise linear)."""
    q = np.maximum.accumulate(quantiles + np.arange(len(quantiles), dtype=np.float32) * 1e-7)
    return np.interp(L, q, np.linspace(0, 1, len(q))).astype(np.float32)


def band_weights(rank: np.ndarray, bands: int) -> np.ndarray:
    """Soft membership (..., bands) of each rank in `bands` bands; each row sums to 1 (hat functions)."""
    if bands == 1:
        return np.ones((*rank.shape, 1), np.float32)
    centres = np.linspace(0, 1, bands, dtype=np.float32)
    width = 1.0 / (bands - 1)
    w = np.clip(1.0 - np.abs(rank[..., None] - centres) / width, 0.0, 1.0)
    return (w / np.maximum(w.sum(-1, keepdims=True), 1e-6)).astype(np.float32)


@dataclass(frozen=True)
class Transfer:
    """The source's statistics -> the reference's, as a fixed per-pixel function."""

    source: LabStats
    reference: LabStats
    strength: float = 1.0

    @property
    def bands(self) -> int:
        return len(self.source.mean)

    @classmethod
    def fit(cls, pixels: np.ndarray, reference: LabStats, strength: float = 1.0, *, refine: int = 2) -> Transfer:
        """From the source's sampled pixels (P, 3), unit-range RGB, to the reference's statistics.

        Soft bands blend their neighbours' moves, which pulls each band's result part-way to the
        next band's target; `refine` passes measure the result on the same pixels and aim each
        band's target by what it missed (still one fixed function of colour)."""
        bands = len(reference.mean)
        source = LabStats.of(to_oklab(pixels[:, None, :]), bands)
        transfer = cls(source, reference, 1.0)
        for _ in range(refine):
            got = LabStats.of(to_oklab(transfer.apply(pixels[:, None, :])), bands)
            aim = LabStats(transfer.reference.quantiles, transfer.reference.mean + (reference.mean - got.mean),
                           transfer.reference.spread * reference.spread / np.maximum(got.spread, 1e-4))
            transfer = cls(source, aim, 1.0)
        return cls(transfer.source, transfer.reference, strength)

    def apply(self, rgb_unit: np.ndarray) -> np.ndarray:
        """sRGB unit-range (..., 3) -> restyled, same shape."""
        lab = to_oklab(rgb_unit)
        L = lab[..., 0]
        rank = rank_of(L, self.source.quantiles)
        # tone: the source's quantile of this L, read on the reference's curve
        L2 = np.interp(rank, np.linspace(0, 1, KNOTS), self.reference.quantiles).astype(np.float32)
        w = band_weights(rank, self.bands)  # (..., bands)
        gain = np.clip(self.reference.spread / np.maximum(self.source.spread, 1e-4), 1 / MAX_SPREAD_GAIN,
                       MAX_SPREAD_GAIN)  # (bands, 2)
        ab = lab[..., 1:]
        moved = np.zeros_like(ab)
        for k in range(self.bands):
            moved += w[..., k : k + 1] * ((ab - self.source.mean[k]) * gain[k] + self.reference.mean[k])
        out = np.concatenate([L2[..., None], moved], -1)
        s = np.float32(self.strength)
        if s < 1.0:
            out = lab + s * (out - lab)
        return from_oklab(out)


def sample_pixels(frames: list[np.ndarray], masks: list[np.ndarray | None], limit: int = 200_000) -> np.ndarray:
    """Unit-range RGB pixels (P, 3) of the frames (inside their masks), thinned evenly to about `limit`."""
    chunks = []
    for frame, mask in zip(frames, masks, strict=True):
        px = frame[mask > 127] if mask is not None else frame.reshape(-1, 3)
        chunks.append(px)
    px = np.concatenate(chunks) if chunks else np.zeros((0, 3), np.uint8)
    if len(px) > limit:
        px = px[:: -(-len(px) // limit)]
    full = float(np.iinfo(px.dtype).max) if px.dtype.kind == "u" else 1.0
    return px.astype(np.float32) / full
