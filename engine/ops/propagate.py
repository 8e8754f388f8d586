"""`propagate`: the editor's edited keyframe(s) carried through the clip.

At each keyframe k the change is measured against the original frame (vision.colour):
a 3D colour LUT original -> edited fitted on the changed region and its surroundings,
plus the per-pixel residual the LUT cannot express. The region (the given mask, or
where the edit changed the frame, in CIELAB) is tracked away from k frame by frame
(vision.segment), and the flow from every frame back to k is chained. A frame t gets

    pred_k(t) = LUT_k(frame_t) + conf_k(t) * residual_k(x + flow_{t->k}(x))

so its own shading and texture stay (the LUT is applied to *its* pixels) and painted
detail moves with the object. conf is the chained forward-backward consistency: where
flow fails (occluded, newly revealed) the residual fades and the region-level LUT
alone edits the pixel. Frames between two keys blend both keys' predictions, weighted
by temporal distance x flow confidence. Outside the feathered tracked region the
output is the source, bit for bit.

A keyframe whose edited image shows no change (nothing differs by more than `threshold`
delta E, or, with a mask, nothing inside it differs at all) is a valid request: nothing is
carried from it, frames nearest it keep the source, and the job's notes say so. Given mask
images on several frames (`--mask M --mask-frame K`, repeated), the region on every frame is
the one the shared tracker carries through all of them (`engine.masks_tracked`), instead of
this op's own tracking from each keyframe; either way the report says where it was lost.

`--backend generative` (or `auto` with a video model in the store) hands the edited keyframes to a
video model instead (`learned.generative`): each keyframe is a frame the model must keep (mask 0)
in the window that holds it, and the first keyframe is its reference image in every window, so
edits that change shape or add things (which a colour transfer cannot carry) are regenerated in
the region (the mask, or the whole frame without one) on the other frames.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ..errors import InvalidArgument
from ..media.mask_image import write_png_atomically
from ..media.paths import atomic_temp_path, publish
from ..timecode import FrameRange
from ..vision.colour import ColourLUT, change_region, to_unit
from ..vision.flow import FlowEstimator, torch_device, warp
from ..vision.segment import MaskTracker
from ..vision.tracker import TrackingReport
from ..vision.walk import walk
from . import generative_params as gp
from . import register
from .base import EditContext, MaskUse, Op, OpReport, OpSpec, ParamSpec, ParamType

#: residual magnitude (unit range) below which the keyframe's residual is LUT noise
RESIDUAL_FLOOR = 6.0 / 255


@dataclass
class _Key:
    index: int
    folder: Path
    lut: ColourLUT
    #: float32 (h, w, 3), unit range: the keyframe residual's nonzero box (zero elsewhere),
    #: whose top-left pixel is `origin` (y, x) of the keyframe's grid. Every render instance
    #: holds one per key: a full 1080p frame of it would be 25 MB each.
    residual: np.ndarray
    origin: tuple[int, int]
    span: FrameRange

    @classmethod
    def cropped(cls, index: int, folder: Path, lut: ColourLUT, residual: np.ndarray, span: FrameRange) -> _Key:
        ys, xs = np.nonzero(np.any(residual != 0, axis=-1))
        if len(ys) == 0:
            return cls(index, folder, lut, np.zeros((1, 1, 3), np.float32), (0, 0), span)
        box = residual[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
        return cls(index, folder, lut, np.ascontiguousarray(box, np.float32), (int(ys.min()), int(xs.min())), span)


def feather_alpha(
    mask_small: np.ndarray, shape: tuple[int, int], radius: int
) -> tuple[np.ndarray, tuple[int, int, int, int]] | None:
    """Soft mask at full size, grown by `radius` (full-size pixels) and feathered; exactly 0 far
    outside. Grown and blurred at the mask's own (working) resolution, only the bounding box of
    the result is upsampled. Returns (alpha over its box, the box (y0, y1, x0, x1)), None for an
    empty mask: outside the box alpha is 0."""
    h, w = shape
    hs, ws = mask_small.shape
    sx, sy = w / ws, h / hs
    rs = max(radius / sx, 0.5)
    m = mask_small.astype(np.float32)
    ys, xs = np.nonzero(mask_small)
    if len(ys) == 0:
        return None
    pad = int(np.ceil(3 * rs)) + 2
    y0, y1 = max(0, ys.min() - pad), min(hs, ys.max() + pad + 1)
    x0, x1 = max(0, xs.min() - pad), min(ws, xs.max() + pad + 1)
    sub = m[y0:y1, x0:x1]
    ri = max(1, int(round(rs)))
    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * ri + 1, 2 * ri + 1))
    soft = np.maximum(cv2.GaussianBlur(cv2.dilate(sub, k), (0, 0), rs / 2.0), sub)
    # full-size box of the small box; INTER_LINEAR with the same pixel-centre mapping as a
    # whole-frame resize, so the result does not depend on where the box lies
    fy0, fy1 = int(np.floor(y0 * sy)), min(h, int(np.ceil(y1 * sy)))
    fx0, fx1 = int(np.floor(x0 * sx)), min(w, int(np.ceil(x1 * sx)))
    gx = ((np.arange(fx0, fx1, dtype=np.float32) + 0.5) / sx - 0.5 - x0)[None, :]
    gy = ((np.arange(fy0, fy1, dtype=np.float32) + 0.5) / sy - 0.5 - y0)[:, None]
    mx = np.broadcast_to(gx, (fy1 - fy0, fx1 - fx0)).astype(np.float32)
    my = np.broadcast_to(gy, (fy1 - fy0, fx1 - fx0)).astype(np.float32)
    up = cv2.remap(soft, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    up[up < 1.0 / 512] = 0.0
    return up, (fy0, fy1, fx0, fx1)


def resize_box(small: np.ndarray, shape: tuple[int, int], roi: tuple[slice, slice]) -> np.ndarray:
    """`cv2.resize(small, shape[::-1], INTER_LINEAR)[roi]` without the whole frame: the same
    pixel-centre mapping and edge clamping, computed for the box alone (float32)."""
    h, w = shape
    hs, ws = small.shape[:2]

    def taps(start: int, stop: int, n_small: int, n_full: int):
        x = (np.arange(start, stop, dtype=np.float64) + 0.5) * (n_small / n_full) - 0.5
        x0 = np.floor(x)
        f = x - x0
        low, high = x0 < 0, x0 >= n_small - 1
        f[low | high] = 0.0
        x0 = np.clip(x0, 0, n_small - 1).astype(np.intp)
        return x0, np.minimum(x0 + 1, n_small - 1), f.astype(np.float32)

    y0, y1, fy = taps(roi[0].start, roi[0].stop, hs, h)
    x0, x1, fx = taps(roi[1].start, roi[1].stop, ws, w)
    extra = (None,) * (small.ndim - 2)  # channels broadcast
    fx, fy = fx[(slice(None), *extra)], fy[(slice(None), None, *extra)]
    top = small[y0][:, x0] * (1 - fx) + small[y0][:, x1] * fx
    bottom = small[y1][:, x0] * (1 - fx) + small[y1][:, x1] * fx
    return (top * (1 - fy) + bottom * fy).astype(np.float32)


def compose_roi(source: np.ndarray, pred: np.ndarray, alpha: np.ndarray, roi: tuple[slice, slice]) -> np.ndarray:
    """Source with `pred` (unit range, ROI-sized) blended in by `alpha` (ROI); bit-exact at alpha == 0."""
    full = float(np.iinfo(source.dtype).max)
    out = source.copy()
    a = alpha[..., None]
    src = source[roi].astype(np.float32)
    blend = np.clip(np.rint(src * (1 - a) + pred * full * a), 0, full).astype(source.dtype)
    inside = alpha > 0
    out[roi][inside] = blend[inside]
    return out


@register
class PropagateOp(Op):
    spec = OpSpec(
        name="propagate",
        summary="Carry the edit of one or more keyframes through the clip, keeping each frame's shading.",
        params=(
            ParamSpec("preset", ParamType.CHOICE, "optical flow quality", "medium", choices=("fast", "medium")),
            ParamSpec("flow_width", ParamType.INTEGER, "max width for flow analysis", 480, minimum=64, maximum=8192,
                      unit=" px"),
            ParamSpec("threshold", ParamType.NUMBER, "delta E that counts as changed (no mask)", 4.0, minimum=0.5,
                      maximum=100),
            ParamSpec("feather", ParamType.NUMBER, "edge feather, fraction of width", 0.006, minimum=0.0, maximum=0.25),
            gp.backend_param(),
            gp.prompt_param(help="generative backend: the edit in words (helps the model; optional)"),
            *gp.MODEL_PARAMS,
        ),
        mask=MaskUse.OPTIONAL,
        # each key's analysis folder is named by a digest of its edit, region and flow settings
        analysis_params=("preset", "flow_width", "threshold"),
        uses_keyframes=True,
        temporal=True,
    )

    def __init__(self) -> None:
        self._keys: list[_Key] = []
        self._residuals: dict[tuple[int, str], object] = {}  # (key frame, device) -> tensor
        #: keyframes whose edited image shows no change (the job's notes say so)
        self._unchanged: list[int] = []
        #: the mask provider whose tracked masks give the region, when masks came on several frames
        self._given = None
        self._generated = None  # a learned.generative.GenerativeRun, with the generative backend

    @classmethod
    def check_params(cls, params: dict) -> None:
        from ..learned import generative

        gp.refuse_unused(params)
        if gp.chosen(params) == gp.GENERATIVE:
            generative.check(params, prompt_required=False)

    # -- analysis -------------------------------------------------------------------------
    def prepare(self, ctx: EditContext) -> None:
        if gp.chosen(ctx.params) == gp.GENERATIVE:
            self._generate(ctx)
            return
        self.start_analysis(ctx)()

    def _generate(self, ctx: EditContext) -> None:
        from ..learned import generative, video

        if not ctx.keyframes:
            raise InvalidArgument("propagate needs at least one edited keyframe", field="keyframes")
        for k in ctx.keyframes:
            if k not in ctx.frame_range:
                raise InvalidArgument(f"keyframe {k} lies outside the range {ctx.frame_range}", field="keyframes")
        masks, keys = ctx.masks, ctx.keyframes

        def inputs(index: int) -> video.FrameInput:
            return video.FrameInput(ctx.source.frame(index), masks.mask(index) if masks is not None else None,
                              condition=keys.get(index))

        self._generated = generative.GenerativeRun()
        self._generated.prepare(ctx, "propagate", inputs, self.scratch_dir(ctx), whole_frame=masks is None,
                                default_prompt="the same scene, edited as the reference shows",
                                reference=keys[min(keys)])

    def start_analysis(self, ctx: EditContext) -> Callable[[], None] | None:
        """Fits each keyframe's colour change now; returns the walks (tracking and flow chains
        away from each key, the long part), which write each frame's results as they go."""
        if gp.chosen(ctx.params) == gp.GENERATIVE:
            return None  # the engine calls `prepare`, which runs the model
        if not ctx.keyframes:
            raise InvalidArgument("propagate needs at least one edited keyframe", field="keyframes")
        keys = sorted(ctx.keyframes)
        for k in keys:
            if k not in ctx.frame_range:
                raise InvalidArgument(f"keyframe {k} lies outside the range {ctx.frame_range}", field="keyframes")
        workdir = self.scratch_dir(ctx)
        est = FlowEstimator.from_params(ctx.params, 480, ctx.device)
        self._given = ctx.masks if len(getattr(ctx.masks, "anchors", None) or ()) > 1 else None
        if self._given is not None and hasattr(self._given, "track"):
            self._given.track()  # here, before the walks' thread reads the masks: they share a reader
        self._keys, self._unchanged, walks = [], [], []
        for n, k in enumerate(keys):
            lo = keys[n - 1] + 1 if n > 0 else ctx.frame_range.start
            hi = keys[n + 1] if n + 1 < len(keys) else ctx.frame_range.end
            key, region = self._fit_key(ctx, k, FrameRange(lo, hi), est, workdir)
            self._keys.append(key)
            if not (key.folder / "done").exists():
                walks.append((key, region))

        def walk_all() -> None:
            for key, region in walks:
                for direction in (1, -1):  # forward first: the order frames are rendered in
                    self._walk(ctx, key.index, key.span, est, region, key.folder, direction)
                (key.folder / "done").touch()

        return walk_all

    def analysed(self, index: int) -> bool:
        return all(
            (key.folder / "done").exists() or (key.folder / f"f{index:06d}.npy").exists()
            for key in self._keys
            if index in key.span
        )

    def _fit_key(
        self, ctx: EditContext, k: int, span: FrameRange, est: FlowEstimator, workdir: Path
    ) -> tuple[_Key, np.ndarray]:
        """The keyframe's LUT and residual (computed once, then read back), and its edit region."""
        original, edited = ctx.source.frame(k), ctx.keyframes[k]
        if edited.shape != original.shape or edited.dtype != original.dtype:
            raise InvalidArgument(
                f"edited keyframe {k} is {edited.shape} {edited.dtype}, the source is "
                f"{original.shape} {original.dtype}",
                field="keyframes",
            )
        if ctx.masks is not None:
            region = ctx.masks.mask(k) > 127
            unchanged = np.array_equal(original[region], edited[region])
        else:
            region = change_region(original, edited, threshold=float(ctx.params.get("threshold") or 4.0))
            unchanged = not region.any()
        if unchanged:  # nothing to carry: an empty region, so every frame it reaches keeps the source
            self._unchanged.append(k)
            region = np.zeros_like(region)
        digest = hashlib.sha1(edited.tobytes() + region.tobytes() + f"{span}:{est}".encode()).hexdigest()[:12]
        folder = workdir / f"propagate-{k}-{digest}"
        folder.mkdir(parents=True, exist_ok=True)
        if (folder / "lut.npy").exists():
            lut = ColourLUT(np.load(folder / "lut.npy"), np.load(folder / "lut-domain.npy"))
            return _Key.cropped(k, folder, lut, np.load(folder / "residual.npy"), span), region
        o, e = to_unit(original), to_unit(edited)
        lut = ColourLUT.fit(o[region], e[region])
        residual = np.zeros_like(o)
        res = e[region] - lut.apply(o[region])
        # what the colour function cannot express (painted detail) is carried along the flow;
        # its small part is the LUT's own fitting noise, which would only move around: shrunk.
        # Outside the region nothing was edited: no residual there (flow that slips across the
        # edge must not drag the LUT's answer for background colours into the object)
        residual[region] = np.sign(res) * np.maximum(np.abs(res) - RESIDUAL_FLOOR, 0.0)
        np.save(folder / "lut-domain.npy", lut.domain)
        np.save(folder / "residual.npy", residual.astype(np.float16))
        _save_atomically(folder / "lut.npy", lut.grid)  # written last: it says the other two are whole
        return _Key.cropped(k, folder, lut, residual, span), region

    def _walk(self, ctx, k, span, est, region, folder, direction) -> None:
        tracker = chain = conf = None
        sure: list[tuple[int, float]] = []  # (frame, the tracker's confidence)
        for step in walk(ctx.source, span, k, direction, est, ctx.check_cancelled):
            if tracker is None:
                hs, ws = step.small.shape[:2]
                small_region = cv2.resize(region.astype(np.float32), (ws, hs), interpolation=cv2.INTER_AREA)
                tracker = MaskTracker(step.small, small_region)
                mask = small_region > 0.5
                chain = np.zeros((hs, ws, 2), np.float32)
                conf = np.ones((hs, ws), np.float32)
            else:
                if self._given is None or not region.any():
                    mask = tracker.step(step.small, step.flow_to_prev, step.occluded)
                    sure.append((step.index, tracker.confidence))
                else:
                    given = (self._given.mask(step.index) > 127).astype(np.float32)
                    mask = cv2.resize(given, (ws, hs), interpolation=cv2.INTER_AREA) > 0.5
                chain = step.flow_to_prev + warp(chain, step.flow_to_prev)
                conf = warp(conf, step.flow_to_prev) * ~step.occluded
            # written whole or not at all, the chain last: its presence says the frame is analysed
            # (frames are rendered while the walk goes on; see `analysed`)
            write_png_atomically(folder / f"m{step.index:06d}.png", mask.astype(np.uint8) * 255)
            write_png_atomically(folder / f"c{step.index:06d}.png", np.rint(conf * 255).astype(np.uint8))
            _save_atomically(folder / f"f{step.index:06d}.npy", chain.astype(np.float16))
            ctx.progress("propagate: analyse", step.index - span.start + 1, len(span))
        _save_atomically(folder / f"confidence{'+' if direction > 0 else '-'}.npy", np.float32(sure).reshape(-1, 2))

    def report(self, ctx: EditContext) -> OpReport:
        notes = []
        if self._unchanged:
            frames = ", ".join(str(k) for k in self._unchanged)
            given = "inside the mask" if ctx.masks is not None else (
                f"by more than delta E {float(ctx.params.get('threshold') or 4.0):g}")
            one = len(self._unchanged) == 1
            what = f"the edited keyframe{'' if one else 's'} {frames} show{'s' if one else ''} no change from the " \
                   f"source (nothing differs {given})"
            if len(self._unchanged) == len(self._keys):
                notes.append(f"{what}: there was nothing to carry, and the output is the source, unchanged")
            else:
                notes.append(f"{what}: nothing is carried from {'it' if one else 'them'}, and the frames nearest "
                             f"{'it' if one else 'them'} keep the source")
        if self._given is not None:
            return OpReport.of(self._given.report(), *notes)
        sure: dict[int, float] = {}
        for key in self._keys:  # a frame two keys reach is lost only if both lost it
            for direction in "+-":
                path = key.folder / f"confidence{direction}.npy"
                for index, c in np.load(path) if path.exists() else ():
                    sure[int(index)] = max(sure.get(int(index), 0.0), float(c))
        return OpReport.of(TrackingReport.of(ctx.frame_range, sure), *notes)

    # -- synthesis ------------------------------------------------------------------------
    def render(self, index: int, frame: np.ndarray, ctx: EditContext) -> np.ndarray:
        if gp.chosen(ctx.params) == gp.GENERATIVE:
            if self._generated is None:
                self.prepare(ctx)
            return self._generated.render(index, frame)
        if not self._keys:
            self.prepare(ctx)
        h, w = frame.shape[:2]
        radius = max(1, int(round(float(ctx.params.get("feather") or 0.006) * w)))
        parts = []
        for key in self._keys:
            if index not in key.span:
                continue
            mask = cv2.imread(str(key.folder / f"m{index:06d}.png"), cv2.IMREAD_GRAYSCALE) > 127
            conf = cv2.imread(str(key.folder / f"c{index:06d}.png"), cv2.IMREAD_GRAYSCALE) / np.float32(255)
            chain = np.load(key.folder / f"f{index:06d}.npy").astype(np.float32)
            parts.append((key, mask, conf, chain))
        if not parts or not any(p[1].any() for p in parts):
            return frame.copy()
        feathered = [feather_alpha(p[1], (h, w), radius) for p in parts]
        boxes = [f[1] for f in feathered if f is not None]
        roi = (
            slice(min(b[0] for b in boxes), max(b[1] for b in boxes)),
            slice(min(b[2] for b in boxes), max(b[3] for b in boxes)),
        )
        alphas = [_in_roi(f, roi) for f in feathered]  # each key's alpha over the ROI
        union = np.maximum.reduce(alphas)
        device = torch_device(ctx.device)
        if device is not None:
            return self._render_torch(index, frame, parts, alphas, union, roi, device)
        img = to_unit(frame[roi])
        num = np.zeros(img.shape, np.float32)
        den = np.zeros(img.shape[:2], np.float32)
        alpha = np.zeros(img.shape[:2], np.float32)
        for (key, _mask, conf, chain), a in zip(parts, alphas, strict=True):
            flow = resize_box(chain, (h, w), roi)
            flow[..., 0] *= w / chain.shape[1]
            flow[..., 1] *= h / chain.shape[0]
            c = resize_box(conf, (h, w), roi)
            pred = self._predict(key, img, flow, c, roi)
            wgt = _key_weight(index, key) * (0.1 + c) * np.maximum(a, 1e-3)
            num += pred * wgt[..., None]
            den += wgt
            alpha += a * wgt
        pred = num / den[..., None]
        alpha = np.clip(alpha / den, 0, 1) * (union > 0)
        return compose_roi(frame, pred, alpha, roi)

    def _render_torch(self, index, frame, parts, alphas, union, roi, device) -> np.ndarray:
        """`render`'s blend on a torch device: only the frame's box and the small analysis maps are
        uploaded (the keyframe residual stays there), and only the box comes back, as integers."""
        import torch
        import torch.nn.functional as F

        from ..vision.flow import remap_torch

        dev = torch.device(device)
        h, w = frame.shape[:2]
        full = float(np.iinfo(frame.dtype).max)
        box = np.ascontiguousarray(frame[roi])
        if box.dtype == np.uint16:  # few torch ops take uint16: widen through int16's bits
            src = torch.from_numpy(box.view(np.int16)).to(dev).to(torch.int32).bitwise_and_(0xFFFF)
        else:
            src = torch.from_numpy(box).to(dev)
        src = src.to(torch.float32).permute(2, 0, 1)[None]  # (1, 3, hh, ww) code values
        img = src / full
        ys = torch.arange(roi[0].start, roi[0].stop, device=dev, dtype=torch.float32)
        xs = torch.arange(roi[1].start, roi[1].stop, device=dev, dtype=torch.float32)
        gy, gx = torch.meshgrid(ys, xs, indexing="ij")

        def upsampled(small: np.ndarray) -> torch.Tensor:  # cv2.resize INTER_LINEAR's sampling, then the box
            t = torch.from_numpy(np.ascontiguousarray(small, np.float32)).to(dev)
            t = t[None, None] if t.ndim == 2 else t.permute(2, 0, 1)[None]
            return F.interpolate(t, size=(h, w), mode="bilinear", align_corners=False)[0, :, roi[0], roi[1]]

        num = den = alpha = None
        for (key, _mask, conf, chain), a in zip(parts, alphas, strict=True):
            flow = upsampled(chain)
            hs, ws = chain.shape[:2]
            c = upsampled(conf)[0]
            residual = self._device_residual(key, dev)
            oy, ox = key.origin
            res = remap_torch(residual, (gx - ox + flow[0] * (w / ws))[None], (gy - oy + flow[1] * (h / hs))[None])
            pred = key.lut.apply_torch(img) + c * res
            a_box = torch.from_numpy(a).to(dev)
            wgt = _key_weight(index, key) * (0.1 + c) * a_box.clamp_min(1e-3)
            num = pred * wgt if num is None else num + pred * wgt
            den = wgt if den is None else den + wgt
            alpha = a_box * wgt if alpha is None else alpha + a_box * wgt
        inside = torch.from_numpy(union > 0).to(dev)
        a = ((alpha / den).clamp(0, 1) * inside)[None, None]
        blend = (src * (1 - a) + (num / den) * full * a).round_().clamp_(0, full)
        out_box = torch.where(a > 0, blend, src)[0].permute(1, 2, 0)
        wire = torch.uint8 if frame.dtype == np.uint8 else torch.int32
        out = frame.copy()
        out[roi] = out_box.to(wire).cpu().numpy()
        return out

    def _device_residual(self, key: _Key, dev):
        """The keyframe's residual as a (1, 3, H, W) tensor on `dev`, uploaded once per key."""
        import torch

        slot = (key.index, str(dev))
        if slot not in self._residuals:
            self._residuals[slot] = torch.from_numpy(key.residual).to(dev).permute(2, 0, 1)[None].contiguous()
        return self._residuals[slot]

    @staticmethod
    def _predict(key: _Key, img, flow, conf, roi) -> np.ndarray:
        """LUT of this frame's pixels + the keyframe residual carried along the flow."""
        y0, x0 = roi[0].start, roi[1].start
        hh, ww = img.shape[:2]
        gx, gy = np.meshgrid(np.arange(x0, x0 + ww, dtype=np.float32), np.arange(y0, y0 + hh, dtype=np.float32))
        oy, ox = key.origin  # the residual is stored as its nonzero box; zero around it
        mx, my = gx - ox + flow[..., 0], gy - oy + flow[..., 1]
        res = cv2.remap(key.residual, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
        return key.lut.apply(img) + conf[..., None] * res


def _key_weight(index: int, key: _Key) -> float:
    """The nearer keyframe counts more."""
    return 1.0 / (1.0 + abs(index - key.index))


def _save_atomically(path: Path, array: np.ndarray) -> None:
    temp = atomic_temp_path(path)
    np.save(temp, array)  # the temp name keeps the .npy suffix, so np.save adds none
    publish(temp, path)


def _in_roi(feathered: tuple[np.ndarray, tuple[int, int, int, int]] | None, roi: tuple[slice, slice]) -> np.ndarray:
    """A key's box-sized alpha placed on the ROI (zeros where the key's alpha is zero)."""
    out = np.zeros((roi[0].stop - roi[0].start, roi[1].stop - roi[1].start), np.float32)
    if feathered is not None:
        alpha, (y0, y1, x0, x1) = feathered
        out[y0 - roi[0].start : y1 - roi[0].start, x0 - roi[1].start : x1 - roi[1].start] = alpha
    return out
