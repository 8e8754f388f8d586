"""`shots`: one edit applied to the same object in every shot of a clip (a plan from `retakes shots`).

The plan (`engine.shots.ShotPlan`) names each shot and, for the shots the editor accepted, the
object's mask on one of its frames. Each such mask is carried through its own shot by the
tracker (`track_anchors`, never across a cut: a shot's frames are tracked only from its own
mask). The edit is given once, for the reference shot, in either of two ways:

- `--color` / `--hue`: the recolor op's change in OKLCh (lightness kept per pixel);
- `--keyframe K --edited IMG`: the editor's edited frame K; the change is fitted as a colour
  function (`vision.colour.ColourLUT`, as `propagate` does: the change, not the pixels).

Each shot has its own light. Before the edit a shot's pixels are brought into the reference
shot's light by a per-channel gain (von Kries adaptation: the ratio of the object's mean colour
in the two shots, the same object under two lights), edited there, and taken back to the shot's
light by the inverse gain. So a recolor done in a warm daylight shot comes out as the same paint
seen under the cooler light of the next shot, not as the same pixels pasted there.

Outside each shot's (feathered) tracked mask, and in every shot without an accepted mask, the
output is the source, bit for bit (invariant 1).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ..errors import InvalidArgument
from ..shots import Shot, ShotPlan
from ..vision.colour import ColourLUT, to_unit
from ..vision.flow import FlowEstimator
from ..vision.tracker import FlowTracker
from . import register
from .base import EditContext, MaskUse, Op, OpReport, OpSpec, ParamSpec, ParamType, parse_color
from .color import OKLAB_M1, OKLAB_M2, decode_linear, srgb8_to_oklch
from .feather import alpha_for, blend
from .recolor import Target, recolor_codes
from .track import cache_folder, mask_path, track_anchors

#: a shot's gain is kept within this factor of the reference's (a wrong mask must not blow it up)
GAIN_LIMIT = 4.0


@dataclass
class _ShotWork:
    shot: Shot
    folder: Path
    #: per-channel gain of this shot's light relative to the reference shot's (unit-range RGB)
    gain: np.ndarray


@register
class MultiShot(Op):
    spec = OpSpec(
        name="shots",
        summary="Apply one edit to the same object in every accepted shot of a shots plan (`retakes shots`).",
        params=(
            ParamSpec("plan", ParamType.PATH, "The shots plan (written by `retakes shots find` / `match`).",
                      required=True),
            ParamSpec("color", ParamType.COLOR, "Target colour, '#RRGGBB'."),
            ParamSpec("hue", ParamType.NUMBER, "Hue rotation.", minimum=-360, maximum=360, unit=" deg"),
            ParamSpec("strength", ParamType.NUMBER, "How far to go towards the new colour.", default=1.0,
                      minimum=0, maximum=1),
            ParamSpec("feather", ParamType.NUMBER, "Soft edge of the mask.", default=2.0, minimum=0,
                      maximum=500, unit=" px"),
        ),
        mask=MaskUse.NONE,
        uses_keyframes=True,
        keyframes_optional=True,
        temporal=True,
        gpu=False,
    )  # fmt: skip

    def __init__(self) -> None:
        self._work: list[_ShotWork] = []
        self._lut: ColourLUT | None = None
        self._target: Target | None = None
        self._skipped: list[Shot] = []
        self._prepared = False

    @classmethod
    def check_params(cls, params: dict) -> None:
        if params.get("color") is not None and params.get("hue") is not None:
            raise InvalidArgument("give --color or --hue, not both", field="params.hue")

    # -- analysis -----------------------------------------------------------------------------
    def prepare(self, ctx: EditContext) -> None:
        plan = ShotPlan.load(Path(ctx.params["plan"]), field="params.plan")
        p = ctx.params
        modes = [m for m, given in (("--color", p.get("color") is not None), ("--hue", p.get("hue") is not None),
                                    ("--keyframe", bool(ctx.keyframes))) if given]
        if len(modes) != 1:
            what = "neither" if not modes else " and ".join(modes)
            raise InvalidArgument(f"the shots op needs exactly one edit: --color, --hue or --keyframe K --edited "
                                  f"IMG ({what} given)", field="params.color" if not modes else "keyframes")
        if len(ctx.keyframes) > 1:
            raise InvalidArgument("the shots op takes one edited keyframe (the edit, shown on one shot)",
                                  field="keyframes")
        source_range = ctx.source.frame_range
        if plan.end > source_range.end:
            raise InvalidArgument(f"the plan's shots run to frame {plan.end}; the source has {source_range.end}",
                                  field="params.plan")
        first = ctx.source.frame(ctx.frame_range.start)
        applied = [s for s in plan.applied() if s.start < ctx.frame_range.end and s.end > ctx.frame_range.start]
        if not applied:
            raise InvalidArgument("no shot of the plan in this range has an accepted mask (accept or correct "
                                  "proposals with `retakes shots decide`)", field="params.plan")
        self._skipped = [s for s in plan.shots if s not in applied and s.start < ctx.frame_range.end
                         and s.end > ctx.frame_range.start]
        # The reference light: the shot the edit was shown on (the keyframe's), else the editor's
        # reference shot, else the first accepted one.
        if ctx.keyframes:
            key = next(iter(ctx.keyframes))
            reference = next((s for s in applied if key in s.frame_range), None)
            if reference is None:
                raise InvalidArgument(f"keyframe {key} is not in a shot with an accepted mask", field="keyframes")
        else:
            reference = next((s for s in applied if s.status == "reference"), applied[0])
        tracker = FlowTracker(FlowEstimator())
        means: dict[int, np.ndarray] = {}
        self._work = []
        for n, shot in enumerate(applied):
            ctx.check_cancelled()
            mask = plan.read_mask(shot)
            if mask.shape != first.shape[:2]:
                raise InvalidArgument(f"shot {shot.index}'s mask is {mask.shape[1]}x{mask.shape[0]}, the source is "
                                      f"{first.shape[1]}x{first.shape[0]}", field=f"params.plan.shots[{shot.index}]")
            anchors = {int(shot.frame): mask}
            span = shot.frame_range
            scratch = self.scratch_dir(ctx) / f"shot-{shot.index}"
            for _ in track_anchors(ctx.source, span, anchors, scratch, self._progress(ctx, n, len(applied)),
                                   ctx.check_cancelled, tracker=tracker):
                pass
            inside = mask > 127
            px = to_unit(ctx.source.frame(int(shot.frame)))[inside]
            means[shot.index] = px.mean(0) if len(px) else np.ones(3, np.float32)
            self._work.append(_ShotWork(shot, cache_folder(scratch, span, anchors, tracker), np.ones(3)))
        ref_mean = np.maximum(means[reference.index], 1e-3)
        for w in self._work:
            w.gain = np.clip(means[w.shot.index] / ref_mean, 1 / GAIN_LIMIT, GAIN_LIMIT).astype(np.float32)
        if ctx.keyframes:
            key, edited = next(iter(ctx.keyframes.items()))
            original = ctx.source.frame(key)
            if edited.shape != original.shape or edited.dtype != original.dtype:
                raise InvalidArgument(f"edited keyframe {key} is {edited.shape} {edited.dtype}, the source is "
                                      f"{original.shape} {original.dtype}", field="keyframes")
            ref_work = next(w for w in self._work if w.shot is reference)
            region = self._mask(ref_work, key) > 127
            self._lut = ColourLUT.fit(to_unit(original)[region], to_unit(edited)[region])
        else:
            self._target = self._recolor_target(ctx, plan, reference)
        self._prepared = True

    @staticmethod
    def _progress(ctx: EditContext, n: int, total: int):
        def report(stage: str, done: int, of: int) -> None:
            ctx.progress("shots: track", n * 1000 + int(1000 * done / max(of, 1)), total * 1000)
        return report

    @staticmethod
    def _recolor_target(ctx: EditContext, plan: ShotPlan, reference: Shot) -> Target:
        p = ctx.params
        strength = float(p.get("strength") if p.get("strength") is not None else 1.0)
        if p.get("hue") is not None:
            return Target(strength, rotate=math.radians(float(p["hue"])))
        _, chroma, hue = srgb8_to_oklch(parse_color(p["color"]))
        # the object's median chroma on the reference shot (the recolor op's measure, once per clip)
        mask = plan.read_mask(reference) > 127
        px = ctx.source.frame(int(reference.frame))[mask][:, None, :]
        ab = cv2.transform(np.cbrt(cv2.transform(decode_linear(px), OKLAB_M1.astype(np.float32))),
                           OKLAB_M2[1:].astype(np.float32))
        a, b = cv2.split(ab)
        return Target(strength, hue=hue, chroma=chroma, median_chroma=float(np.median(cv2.magnitude(a, b))))

    @staticmethod
    def _mask(work: _ShotWork, index: int) -> np.ndarray:
        mask = cv2.imread(str(mask_path(work.folder, index)), cv2.IMREAD_GRAYSCALE)
        if mask is None:
            raise FileNotFoundError(f"tracked mask of frame {index} is missing from {work.folder}")
        return mask

    # -- rendering ----------------------------------------------------------------------------
    def render(self, index: int, frame: np.ndarray, ctx: EditContext) -> np.ndarray:
        if not self._prepared:
            self.prepare(ctx)
        work = next((w for w in self._work if index in w.shot.frame_range), None)
        if work is None:
            return frame.copy()
        got = alpha_for(self._mask(work, index), frame, ctx.params.get("feather") or 0.0, required=True)
        if got is None:
            return frame.copy()
        alpha, region = got
        full = float(np.iinfo(frame.dtype).max)
        crop = frame[region.slices].astype(np.float32) / full
        # into the reference shot's light, the edit there, back into this shot's light
        seen = np.clip(crop / work.gain, 0.0, 1.0)
        if self._lut is not None:
            edited = self._lut.apply(seen)
        else:
            codes = np.rint(seen * full).astype(frame.dtype)
            edited = recolor_codes(codes, self._target).astype(np.float32) / full
        out = np.clip(edited * work.gain, 0.0, 1.0) * full
        return blend(frame, out, alpha, region)

    def report(self, ctx: EditContext) -> OpReport:
        if not self._prepared:  # a resumed job: the tracking is read back from the workdir
            self.prepare(ctx)
        notes = [f"edited shots {', '.join(str(w.shot.index) for w in self._work)} "
                 f"(light gains {'; '.join(_gain_text(w.gain) for w in self._work)})"]
        if self._skipped:
            left = ", ".join(f"{s.index} ({s.status or 'no mask'})" for s in self._skipped)
            notes.append(f"shots left as they are (no accepted mask): {left}")
        return OpReport(tuple(notes))


def _gain_text(gain: np.ndarray) -> str:
    return "/".join(f"{g:.2f}" for g in gain)
