"""`restyle`: looks that keep structure and motion: named ones (1970s film, bleach bypass, ink), or
one taken from a reference image (`--reference IMG`, `vision.style_transfer`).

Temporal stability is designed in, not filtered in afterwards: every style is a fixed function of
the frame (no per-frame statistics, no normalisation by this frame's histogram), so identical input
frames give identical outputs; the only thing that varies over time is film grain, which is
deterministic from (seed, frame index) and low-amplitude. Posterisation in `ink` uses soft steps so a
pixel near a level boundary cannot flip between levels from frame to frame (or between backends).

A reference look is a fixed function too, fitted once per shot: the clip's shots are found
(`vision.shots`), the source's OKLab statistics sampled across each shot (inside the mask, when one
is given) and matched to the reference's. A preview, which sees one frame, fits on that frame.
When a generative model that takes a reference image is installed it registers in
`REFERENCE_CONDITIONERS`; `--conditioner NAME` hands it the frame, the reference and the classical
result (its starting point).

`--prompt TEXT` restyles with a video model (`learned.generative`): video to video with the source
as the model's condition, so structure and motion stay; the whole frame, or the masked region.
`--strength S` then mixes the model's output with the source (1: all of it; a mix of pictures, not a
noise level: diffusers' VACE pipeline starts every window from pure noise), and `--style-image IMG`
gives the model a style reference image.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import cv2
import numpy as np

from ..errors import InvalidArgument
from ..media.sequence import read_frame
from ..timecode import FrameRange
from ..vision.shots import detect_shots
from . import generative_params as gp
from . import register
from .base import EditContext, MaskUse, Op, OpSpec, ParamSpec, ParamType
from .color import clip, matmul3, saturation_matrix, to_unit_torch, torch_device, torch_of, where
from .feather import alpha_for, alpha_tensor, blend, blend_torch, gaussian, guided_filter

#: Rec.709 luma weights on encoded values (a look, not a measurement).
LUMA_709 = np.array([0.2126, 0.7152, 0.0722])


@dataclass(frozen=True)
class Film:
    """1970s colour negative printed warm: faded blacks, warm cast, halation, grain."""

    black: float = 0.07  # lifted, faded blacks
    white: float = 0.96
    warmth: tuple[float, float, float] = (1.06, 1.0, 0.86)  # per-channel gain
    saturation: float = 0.82
    halation_threshold: float = 0.7
    halation_sigma: float = 6.0  # px at 1/4 resolution (about 24 px at full resolution)
    halation_tint: tuple[float, float, float] = (0.35, 0.14, 0.06)
    grain: float = 0.012  # standard deviation in encoded units, strongest in the midtones


@dataclass(frozen=True)
class BleachBypass:
    """Silver retained: luminance overlaid on the colour, desaturated, harder."""

    overlay: float = 0.7
    saturation: float = 0.55


@dataclass(frozen=True)
class Ink:
    """Comic inking: edge-preserving smoothing, soft posterised colour, dark XDoG lines."""

    radius: int = 4
    eps: float = 0.004
    levels: int = 6
    softness: float = 0.35  # fraction of a level over which a step ramps (continuous => stable)
    line_sigma: float = 1.2
    line_gain: float = 60.0
    line_strength: float = 0.9


STYLES = {"film-1970s": Film(), "bleach-bypass": BleachBypass(), "ink": Ink()}

if TYPE_CHECKING:  # imported where used: vision.style_transfer imports this package's colour maths
    from ..vision.style_transfer import Transfer

#: frames sampled per shot for its statistics (spread evenly over the shot)
SAMPLES_PER_SHOT = 12


class ReferenceConditioner(Protocol):
    """A generative model's reference conditioning (an image-prompt adapter), when one is installed."""

    def restyle(self, frame: np.ndarray, reference: np.ndarray, classical: np.ndarray) -> np.ndarray:
        """Unit-range RGB crops: the source, the reference image, the classical transfer's result
        (a starting point it may refine). Returns the restyled crop, the frame's shape."""
        ...


#: conditioners by name, registered by learned backends whose weights are in the model store
REFERENCE_CONDITIONERS: dict[str, Callable[[], ReferenceConditioner]] = {}


def _luma(v):
    t = torch_of(v)
    w = LUMA_709 if t is None else t.as_tensor(LUMA_709, dtype=v.dtype, device=v.device)
    return (v * w).sum(-1) if t is not None else cv2.transform(v, LUMA_709[None].astype(np.float32))


def _resize(x, size: tuple[int, int], *, shrink: bool):
    """(H, W, C) -> size (w, h): area average when shrinking, bilinear when enlarging (both backends)."""
    t = torch_of(x)
    if t is None:
        return cv2.resize(x, size, interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR)
    import torch.nn.functional as F

    y = x.permute(2, 0, 1)[None]
    y = F.interpolate(y, size=(size[1], size[0]), mode="area" if shrink else "bilinear", align_corners=None)
    return y[0].permute(1, 2, 0)


def grain_field(seed: int, index: int, shape: tuple[int, int]) -> np.ndarray:
    """Monochrome grain (H, W, 1), unit variance, clipped to +-2.5: the same for the same seed and frame.

    Drawn at half resolution and enlarged, which gives a grain about two pixels across (film-like) and
    costs a quarter of the random numbers.
    """
    rng = np.random.default_rng([seed & 0xFFFFFFFF, index & 0xFFFFFFFF, 0x5EED])
    h, w = shape
    small = rng.standard_normal(((h + 1) // 2, (w + 1) // 2), dtype=np.float32)
    big = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
    # Bilinear enlargement lowers the variance; 1.6 brings it back near 1.
    return np.clip(big * 1.6, -2.5, 2.5)[..., None]


def film(v, s: Film, grain):
    """Encoded RGB 0..1 -> the film look. `grain` is a (H, W, 1) field of the same backend."""
    h, w = v.shape[:2]
    y = _luma(v)
    y3 = y[..., None]
    # Halation: bright areas bleed a red-orange glow, blurred at quarter resolution (cheap and soft).
    bright = clip((y3 - s.halation_threshold) / (1.0 - s.halation_threshold), 0.0, 1.0) * v
    small = (max(1, w // 4), max(1, h // 4))
    # (Tiny crops: the blur must fit in the image for a reflect border on both backends.)
    sigma = min(s.halation_sigma, (min(small) - 1) / 3.0)
    glow = _resize(bright, small, shrink=True)
    glow = _resize(gaussian(glow, sigma) if sigma >= 0.5 else glow, (w, h), shrink=False)
    glow_l = _luma(glow)[..., None]
    tint = np.array(s.halation_tint) / float(np.dot(s.halation_tint, LUMA_709))
    v = v + glow_l * _like(v, tint) * 0.5
    # Print: warm cast, less saturation, faded blacks and softened whites.
    # One 3x4 matrix: saturation and warmth, then levels (black + (white - black) * v) as its offset.
    m = (s.white - s.black) * saturation_matrix(s.saturation) @ np.diag(s.warmth)
    v = matmul3(clip(v, 0.0, 1.0), m, np.full(3, s.black))
    # Grain: strongest in the midtones, as on film; absent in pure black and white.
    return v + grain * (s.grain * 4.0) * (y3 * (1.0 - y3))


def bleach_bypass(v, s: BleachBypass):
    y3 = _luma(v)[..., None]
    over = where(v < 0.5, 2.0 * v * y3, 1.0 - 2.0 * (1.0 - v) * (1.0 - y3))
    v = v + s.overlay * (over - v)
    return matmul3(v, saturation_matrix(s.saturation))


def ink(v, s: Ink):
    y = _luma(v)
    smooth = guided_filter(y, v, s.radius, s.eps, subsample=2)
    # Soft posterisation: within each level a smooth step of width `softness` replaces the jump.
    q = clip(smooth, 0.0, 1.0) * (s.levels - 1)
    base = q.floor() if torch_of(q) is not None else np.floor(q)
    f = clip((q - base - 0.5) / s.softness + 0.5, 0.0, 1.0)
    poster = (base + f * f * (3.0 - 2.0 * f)) / (s.levels - 1)
    # XDoG lines on the smoothed luma: dark where the fine blur dips under the coarse one.
    ys = _luma(clip(smooth, 0.0, 1.0))
    dog = gaussian(ys, s.line_sigma) - gaussian(ys, s.line_sigma * 1.6)
    line = clip(-dog * s.line_gain, 0.0, 1.0)[..., None]
    return poster * (1.0 - s.line_strength * line)


def _like(v, arr: np.ndarray):
    t = torch_of(v)
    return arr.astype(np.float32) if t is None else t.as_tensor(arr, dtype=v.dtype, device=v.device)


@register
class Restyle(Op):
    spec = OpSpec(
        name="restyle",
        summary="Change the look, keep structure and motion: 1970s film, bleach bypass, ink.",
        params=(
            # One look: a named --style, a --reference image (classical), or a --prompt (a video model).
            ParamSpec("style", ParamType.CHOICE, "The look.", choices=tuple(STYLES), exclusive_group="look"),
            ParamSpec("reference", ParamType.PATH, "Take the look from this image (colour and tone, per "
                      "luminance band).", exclusive_group="look"),
            ParamSpec("prompt", ParamType.TEXT, "a look in words, made by a video model (e.g. '16 mm film')",
                      exclusive_group="look"),
            ParamSpec("style_image", ParamType.PATH, "with --prompt: a style reference image for the video model"),
            ParamSpec("bands", ParamType.INTEGER, "Luminance bands matched to the reference's (1: the whole "
                      "image; 3: shadows, mids, highlights).", default=3, minimum=1, maximum=8),
            ParamSpec("strength", ParamType.NUMBER, "How far to go towards the reference's look (with --prompt: "
                      "how much of the model's picture replaces the source, a mix).", default=1.0, minimum=0,
                      maximum=1),
            ParamSpec("conditioner", ParamType.TEXT, "A generative model's reference conditioning (default: "
                      "none, the classical transfer alone).", default=""),
            ParamSpec("feather", ParamType.NUMBER, "Soft edge of the mask.", default=0.0, minimum=0,
                      maximum=500, unit=" px"),
            *gp.MODEL_PARAMS,
        ),
        mask=MaskUse.OPTIONAL,
    )  # fmt: skip

    def __init__(self) -> None:
        #: (shot, its transfer) for a reference look, fitted in `prepare`
        self._transfers: list[tuple[FrameRange, Transfer]] | None = None
        self._reference: np.ndarray | None = None
        self._generated = None  # a learned.generative.GenerativeRun, with --prompt

    @classmethod
    def check_params(cls, params: dict) -> None:
        if params.get("prompt") not in (None, ""):
            from ..learned import generative

            generative.check(params, prompt_required=True)
            # at submit: a bad image never starts a job
            generative.read_reference(params.get("style_image"), field="params.style_image")
        else:  # what only the model reads would be ignored without a word
            for name in ("style_image", "model"):
                if params.get(name) not in (None, ""):
                    raise InvalidArgument(f"--{name.replace('_', '-')} goes with --prompt (the video model's "
                                          "restyle)", field=f"params.{name}")
        name = params.get("conditioner") or ""
        if name and name not in REFERENCE_CONDITIONERS:
            have = ", ".join(sorted(REFERENCE_CONDITIONERS)) or "none is installed"
            raise InvalidArgument(f"no reference conditioner {name!r} (installed: {have})", field="params.conditioner")
        if name and not params.get("reference"):
            raise InvalidArgument("a conditioner needs a --reference image", field="params.conditioner")

    def prepare(self, ctx: EditContext) -> None:
        if ctx.params.get("prompt") not in (None, ""):
            self._prepare_generative(ctx)
            return
        if not ctx.params.get("reference"):
            return
        from ..vision.style_transfer import LabStats, Transfer, sample_pixels, to_oklab

        self.check_params(ctx.params)
        ref = read_frame(Path(ctx.params["reference"]), field="params.reference")
        self._reference = ref.astype(np.float32) / float(np.iinfo(ref.dtype).max)
        bands = int(ctx.params.get("bands") or 3)
        ref_stats = LabStats.of(to_oklab(self._reference), bands)
        span = ctx.frame_range
        shots = [span]
        if len(span) > 2:
            shots = detect_shots(ctx.source.frames(span), span, check_cancelled=ctx.check_cancelled).shots
        strength = float(ctx.params.get("strength") if ctx.params.get("strength") is not None else 1.0)
        self._transfers = []
        for n, shot in enumerate(shots):
            ctx.check_cancelled()
            picks = sorted({int(round(x)) for x in np.linspace(shot.start, shot.end - 1, SAMPLES_PER_SHOT)})
            frames = [ctx.source.frame(i) for i in picks]
            masks = [ctx.masks.mask(i) if ctx.masks is not None else None for i in picks]
            px = sample_pixels(frames, masks)
            if len(px) == 0:  # the mask is empty throughout the shot: nothing there is restyled
                continue
            self._transfers.append((shot, Transfer.fit(px, ref_stats, strength)))
            ctx.progress("restyle: fit", n + 1, len(shots))

    def _prepare_generative(self, ctx: EditContext) -> None:
        from ..learned import generative, video

        masks = ctx.masks
        reference = generative.read_reference(ctx.params.get("style_image"), field="params.style_image")

        def inputs(index: int) -> video.FrameInput:
            return video.FrameInput(ctx.source.frame(index), masks.mask(index) if masks is not None else None)

        self._generated = generative.GenerativeRun()
        self._generated.prepare(ctx, "restyle", inputs, self.scratch_dir(ctx), whole_frame=masks is None,
                                strength=1.0 if ctx.params.get("strength") is None else float(ctx.params["strength"]),
                                reference=reference)

    def _transfer(self, index: int, ctx: EditContext) -> Transfer | None:
        if self._transfers is None:
            self.prepare(ctx)
        return next((t for shot, t in self._transfers if index in shot), None)

    def render(self, index: int, frame: np.ndarray, ctx: EditContext) -> np.ndarray:
        if ctx.params.get("prompt") not in (None, ""):
            if self._generated is None:
                self.prepare(ctx)  # a one-frame preview: a window of that frame alone
            return self._generated.render(index, frame)
        mask = ctx.masks.mask(index) if ctx.masks is not None else None
        got = alpha_for(mask, frame, ctx.params.get("feather") or 0.0, required=False)
        if got is None:
            return frame.copy()
        alpha, region = got
        if ctx.params.get("reference"):
            return self._render_reference(index, frame, ctx, alpha, region)
        style = STYLES[ctx.params["style"]]
        crop = frame[region.slices]
        full = float(np.iinfo(frame.dtype).max)
        device = torch_device(ctx.device)
        grain = grain_field(ctx.seed, index, crop.shape[:2]) if isinstance(style, Film) else None
        if device is None:
            v = crop.astype(np.float32) * np.float32(1.0 / full)
            out = self._apply(v, style, grain)
            return blend(frame, np.clip(out, 0.0, 1.0) * full, alpha, region)
        import torch

        v = to_unit_torch(crop, device)
        g = None if grain is None else torch.from_numpy(grain).to(device)
        out = self._apply(v, style, g)
        return blend_torch(frame, out.clamp(0.0, 1.0) * full, alpha_tensor(alpha, device), region)

    def _render_reference(self, index, frame, ctx, alpha, region) -> np.ndarray:
        transfer = self._transfer(index, ctx)
        if transfer is None:
            return frame.copy()
        full = float(np.iinfo(frame.dtype).max)
        crop = frame[region.slices].astype(np.float32) / full
        out = transfer.apply(crop)
        name = ctx.params.get("conditioner") or ""
        if name:
            out = np.clip(REFERENCE_CONDITIONERS[name]().restyle(crop, self._reference, out), 0.0, 1.0)
        return blend(frame, out * full, alpha, region)

    @staticmethod
    def _apply(v, style, grain):
        if isinstance(style, Film):
            return film(v, style, grain)
        if isinstance(style, BleachBypass):
            return bleach_bypass(v, style)
        return ink(v, style)
