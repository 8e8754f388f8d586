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

import numpy as np

from . import register
from .base import EditContext, MaskUse, Op, OpSpec, ParamSpec, ParamType, parse_color
from .color import (
    clip,
    decode_linear,
    encode_codes,
    gamut_clip,
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
        inside = mask >= 128
        lab = linear_to_oklab(decode_linear(ref[inside][:, None, :]))
        return float(np.median(np.hypot(lab[..., 1], lab[..., 2])))

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
            lab = recolor_lab(linear_to_oklab(decode_linear(crop)), target)
            lin = np.ascontiguousarray(gamut_clip(oklab_to_linear(lab), lab[..., 0]), dtype=np.float32)
            return blend(frame, encode_codes(lin, frame.dtype), alpha, region)
        full = float(np.iinfo(frame.dtype).max)
        lin = oklab_to_linear(
            recolor_lab(linear_to_oklab(srgb_to_linear(to_unit_torch(crop, device))), target)
        )
        edited = linear_to_srgb(clip(lin, 0.0, 1.0)) * full
        return blend_torch(frame, edited, alpha_tensor(alpha, device), region)
