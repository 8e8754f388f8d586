"""`recolor`: change an object's colour in OKLCh, keeping its shading, highlights and texture.

Per pixel, OKLab lightness L is kept exactly (so shading and texture survive); only (a, b) change:
- `hue`: (a, b) rotated by the angle (chroma and the object's own hue variation kept);
- `color`: (a, b) point at the target's hue, with chroma = target chroma x (pixel chroma / the
  object's median chroma), so chroma texture remains and near-neutral pixels (specular highlights,
  deep shadows) stay near neutral. A near-neutral object (a white car) has no chroma texture to keep:
  it gets the target chroma throughout, rolled off towards white so highlights stay highlights.
The object's median chroma is measured once per clip, on the first frame of the range whose mask is
not empty, so the colour does not pump as the mask changes from frame to frame.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from . import register
from .base import EditContext, MaskUse, Op, OpSpec, ParamSpec, ParamType, parse_color
from .color import (
    OKLAB_M1,
    OKLAB_M1_INV,
    OKLAB_M2,
    OKLAB_M2_INV,
    clip,
    decode_linear,
    encode_codes,
    linear_to_oklab,
    linear_to_srgb,
    matmul3,
    oklab_to_linear,
    srgb8_to_oklch,
    srgb_to_linear,
    to_unit_torch,
    torch_device,
    torch_of,
)
from .feather import alpha_for, alpha_tensor, blend, blend_torch, check_mask

#: Objects with a median OKLab chroma below this count as neutral (white, grey, black paint).
NEUTRAL_CHROMA = 0.04
#: Pixel chroma may reach at most this multiple of the target chroma (keeps saturated texture sane).
MAX_RELATIVE_CHROMA = 2.0
#: Rows per strip of the CPU path (a 1080p crop's temporaries per strip: well under a megabyte).
STRIP_ROWS = 48


@dataclass(frozen=True)
class Target:
    """What to do to (a, b): rotate by `rotate` radians, or aim at hue `hue` with chroma `chroma`."""

    strength: float
    rotate: float | None = None
    hue: float = 0.0
    chroma: float = 0.0
    median_chroma: float = 0.0


def recolor_lab(lab, t: Target):
    """OKLab (..., 3) -> recoloured OKLab, L untouched. numpy or torch."""
    if t.rotate is not None:
        c, s = math.cos(t.rotate), math.sin(t.rotate)
        rot = np.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]])
        m = (1.0 - t.strength) * np.eye(3) + t.strength * rot  # a linear map: one matmul
        return matmul3(lab, m)
    tt = torch_of(lab)
    L, a, b = lab[..., 0], lab[..., 1], lab[..., 2]
    C = (a * a + b * b) ** 0.5
    neutral = min(1.0, t.median_chroma / NEUTRAL_CHROMA)  # 1: chromatic object, 0: neutral one
    rel = clip(C / max(t.median_chroma, 1e-4), 0.0, MAX_RELATIVE_CHROMA)
    c_new = t.chroma * (neutral * rel + (1.0 - neutral))
    # Highlights: no chroma at L = 1, full below L = 0.85 (a white specular stays white).
    c_new = c_new * clip((1.0 - L) / 0.15, 0.0, 1.0)
    s = t.strength
    a2 = a + s * (c_new * math.cos(t.hue) - a)
    b2 = b + s * (c_new * math.sin(t.hue) - b)
    if tt is not None:
        return tt.stack([L, a2, b2], dim=-1)
    return np.stack([L, a2, b2], axis=-1).astype(np.float32, copy=False)


def recolor_codes(frame: np.ndarray, t: Target) -> np.ndarray:
    """The CPU path: uint8/uint16 frame -> recoloured code values of its dtype.

    The formulas of `recolor_lab` and `gamut_clip`, evaluated with OpenCV on channel planes and with
    the linear maps folded together (a hue rotation is one 3x3 matrix from LMS' to LMS'), in float32,
    with in-place temporaries, in strips of rows: each strip's temporaries stay in cache and are
    reused by the allocator instead of being page-faulted in afresh for every frame (which cost as
    much as the arithmetic on a whole 1080p crop).
    """
    out = np.empty(frame.shape, frame.dtype)
    for y in range(0, frame.shape[0], STRIP_ROWS):
        out[y : y + STRIP_ROWS] = _recolor_strip(frame[y : y + STRIP_ROWS], t)
    return out


def _recolor_strip(frame: np.ndarray, t: Target) -> np.ndarray:
    lin = decode_linear(frame)
    lms = np.cbrt(cv2.transform(lin, OKLAB_M1.astype(np.float32)))
    if t.rotate is not None:
        c, s = math.cos(t.rotate), math.sin(t.rotate)
        rot = np.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]])
        m = (1.0 - t.strength) * np.eye(3) + t.strength * rot
        L = cv2.transform(lms, OKLAB_M2[:1].astype(np.float32))
        lms = cv2.transform(lms, (OKLAB_M2_INV @ m @ OKLAB_M2).astype(np.float32))
    else:
        L, a, b = cv2.split(cv2.transform(lms, OKLAB_M2.astype(np.float32)))
        neutral = min(1.0, t.median_chroma / NEUTRAL_CHROMA)
        c_new = cv2.magnitude(a, b)
        # rel = clip(C / median, 0, MAX); c_new = chroma (neutral rel + 1 - neutral) clip((1 - L) / 0.15, 0, 1)
        c_new *= np.float32(1.0 / max(t.median_chroma, 1e-4))
        np.minimum(c_new, np.float32(MAX_RELATIVE_CHROMA), out=c_new)
        c_new *= np.float32(t.chroma * neutral)
        c_new += np.float32(t.chroma * (1.0 - neutral))
        hl = np.float32(1.0 / 0.15) - L * np.float32(1.0 / 0.15)
        np.clip(hl, 0.0, 1.0, out=hl)
        c_new *= hl
        s = t.strength
        a *= np.float32(1.0 - s)
        a += c_new * np.float32(s * math.cos(t.hue))
        b *= np.float32(1.0 - s)
        b += c_new * np.float32(s * math.sin(t.hue))
        lms = cv2.transform(cv2.merge([L, a, b]), OKLAB_M2_INV.astype(np.float32))
    cube = cv2.multiply(lms, lms)
    cube *= lms
    return encode_codes(gamut_clip_planes(cv2.transform(cube, OKLAB_M1_INV.astype(np.float32)), L), frame.dtype)


def gamut_clip_planes(lin: np.ndarray, L: np.ndarray) -> np.ndarray:
    """`color.gamut_clip` for a contiguous float32 (H, W, 3) numpy array, computed in place.

    Branch-free: k1 = (1 - g) / (max(mx, 1) - g) is exactly 1 where mx <= 1 (x / x), and
    k2 = g / (g - min(mn, 0)) exactly 1 where mn >= 0; the only 0/0 cases (g = 1 with mx <= 1, g = 0
    with mn >= 0) are NaN, which `fmin` passes over, leaving the other factor: the same k as the
    `where` form.
    """
    g = np.clip(L, 0.0, 1.0)
    g = cv2.multiply(cv2.multiply(g, g), g)
    mx = np.maximum(np.maximum(lin[..., 0], lin[..., 1]), lin[..., 2])
    mn = np.minimum(np.minimum(lin[..., 0], lin[..., 1]), lin[..., 2])
    with np.errstate(divide="ignore", invalid="ignore"):
        np.maximum(mx, 1.0, out=mx)
        mx -= g
        k = np.subtract(1.0, g, dtype=np.float32)
        k /= mx
        np.minimum(mn, 0.0, out=mn)
        np.subtract(g, mn, out=mn)
        np.divide(g, mn, out=mn)
        np.fmin(k, mn, out=k)
    np.clip(k, 0.0, 1.0, out=k)
    # g + k (lin - g), per channel, then clip to [0, 1]
    g3 = cv2.merge([g, g, g])
    lin -= g3
    lin *= cv2.merge([k, k, k])
    lin += g3
    cv2.threshold(lin, 1.0, 0, cv2.THRESH_TRUNC, dst=lin)
    cv2.threshold(lin, 0, 0, cv2.THRESH_TOZERO, dst=lin)
    return lin


def first_mask(ctx: EditContext, frame: np.ndarray) -> tuple[int, np.ndarray] | None:
    """(index, mask) of the first frame of the range whose mask is not empty."""
    if ctx.masks is None:
        return None
    for i in ctx.frame_range:
        m = check_mask(ctx.masks.mask(i), frame)
        if (m >= 128).any():
            return i, m
    return None


@register
class Recolor(Op):
    spec = OpSpec(
        name="recolor",
        summary="Change an object's colour (target colour or hue rotation), keeping its shading.",
        params=(
            ParamSpec("color", ParamType.COLOR, "Target colour, '#RRGGBB'.", exclusive_group="target"),
            ParamSpec("hue", ParamType.NUMBER, "Hue rotation.", minimum=-360, maximum=360, unit=" deg",
                      exclusive_group="target"),
            ParamSpec("feather", ParamType.NUMBER, "Soft edge of the mask.", default=2.0, minimum=0,
                      maximum=500, unit=" px"),
            ParamSpec("strength", ParamType.NUMBER, "How far to go towards the new colour.", default=1.0,
                      minimum=0, maximum=1),
        ),
        mask=MaskUse.REQUIRED,
        # its only analysis is tracking the mask images, which reads no param
        analysis_params=(),
    )  # fmt: skip

    def __init__(self) -> None:
        self._target: Target | None = None

    def target(self, index: int, frame: np.ndarray, ctx: EditContext) -> Target:
        if self._target is not None:
            return self._target
        p = ctx.params
        strength = float(p.get("strength", 1.0) if p.get("strength") is not None else 1.0)
        if p.get("hue") is not None:
            self._target = Target(strength, rotate=math.radians(float(p["hue"])))
            return self._target
        _, chroma, hue = srgb8_to_oklch(parse_color(p["color"]))
        self._target = Target(
            strength, hue=hue, chroma=chroma, median_chroma=self._median_chroma(index, frame, ctx)
        )
        return self._target

    @staticmethod
    def _median_chroma(index: int, frame: np.ndarray, ctx: EditContext) -> float:
        found = first_mask(ctx, frame)
        if found is None:
            return 0.0
        ref_index, mask = found
        ref = frame if ref_index == index or ctx.source is None else ctx.source.frame(ref_index)
        px = ref[mask >= 128][:, None, :]
        # OKLab (a, b) straight from LMS' (the L row is not needed), chroma as their magnitude.
        ab = cv2.transform(np.cbrt(cv2.transform(decode_linear(px), OKLAB_M1.astype(np.float32))),
                           OKLAB_M2[1:].astype(np.float32))
        a, b = cv2.split(ab)
        return float(np.median(cv2.magnitude(a, b)))

    def render(self, index: int, frame: np.ndarray, ctx: EditContext) -> np.ndarray:
        mask = ctx.masks.mask(index) if ctx.masks is not None else None
        got = alpha_for(mask, frame, ctx.params.get("feather") or 0.0, required=True)
        if got is None:
            return frame.copy()
        target = self.target(index, frame, ctx)
        alpha, region = got
        crop = frame[region.slices]
        device = torch_device(ctx.device)
        if device is None:
            return blend(frame, recolor_codes(crop, target), alpha, region)
        full = float(np.iinfo(frame.dtype).max)
        lin = oklab_to_linear(
            recolor_lab(linear_to_oklab(srgb_to_linear(to_unit_torch(crop, device))), target)
        )
        edited = linear_to_srgb(clip(lin, 0.0, 1.0)) * full
        return blend_torch(frame, edited, alpha_tensor(alpha, device), region)
