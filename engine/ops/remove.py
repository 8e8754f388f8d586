"""`remove`: what the mask covers is removed, filled with what other frames show behind it.

Classical and streamed, so memory stays flat in clip length:
1. Analysis, one pass: flow between neighbours on frames whose hole is blanked (push-pull),
   and the camera's motion fitted to it as a homography (`vision.camera`), which is
   defined inside the hole where flow is not. Pixels that move on their own (people, cars,
   the removed object's shadow) are found as the flow's disagreement with the camera and
   are never used as a source, so nothing else that moves is pasted in as a ghost. Each
   frame is kept in the workdir with its usable pixels marked.
2. Two sweeps, forward and backward, carry for every pixel *which frame* last showed it
   (an index map, nearest-neighbour warped by the camera's motion): no colour is resampled
   along the way, so nothing blurs however far the source is. A hole's fringe (the
   object's shadow, blur or loose mask edge travels with it) counts only where no frame
   shows the point clear of it.
3. A frame's hole takes each pixel from the nearest frame in each direction that shows it,
   sampled once through the composed homography, the two blended by inverse distance in
   time. A membrane correction, measured on a band just outside the hole, removes
   low-frequency seams; pixels no frame reveals are then inpainted spatially (cv2 TELEA
   and push-pull).
Outside the (dilated) mask the output is the source, bit for bit, and nothing the mask
covers in any frame is ever read.

`--backend generative` (or `auto` with a video model in the store) adds a video model for what no
frame reveals: the classical fill above runs first, and the pixels it could only inpaint spatially
(`never`: no frame shows them, as behind a person in front of a still camera) become the model's
region, with the classically filled frames as everything it is shown. So the model generates only
what no frame shows; what some frame does show stays the real background. The output may differ
from the source only inside the dilated mask, whatever the model's feather (`limit`).

Measured on davis-dev at 432x240 (bench/quality.py; the history is in BENCHMARKS.md):
27.82 / 21.47 / 31.10 dB on blackswan / breakdance / car-shadow, against 27.18 / 20.90 /
29.04 for the earlier design that carried colours frame to frame along dense flow
completed inside the hole, and visibly sharper. breakdance's camera is still, so its
stationary test hole is never revealed and only the spatial fill works there. A
homography is wrong for close, parallax-rich backgrounds: there the fill is sharp but
shifted by the parallax. Tried and measured worse: dense flow completed inside the hole
with source coordinates chained along it (FGVC's flow tracing), a homography fitted only
around the hole, a translation per source fitted on a ring around it. The fringe rule
costs 0.06 dB on davis-dev's stationary masks and gains 4.4 dB inside the hole on a
moving object with an unmasked shadow (tests/engine/ops/test_remove.py).
"""

from __future__ import annotations

import os
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import cv2
import numpy as np

from ..errors import InvalidArgument
from ..learned.track_backend import LEARNED
from ..media.paths import require_free_space
from ..vision.camera import CameraMotion, fit_camera_motion, rescale
from ..vision.fill import push_pull, seam_correction
from ..vision.flow import FlowEstimator
from ..vision.tracker import FlowTracker
from ..vision.walk import Step, walk
from . import generative_params as gp
from . import register
from .base import EditContext, MaskUse, Op, OpReport, OpSpec, ParamSpec, ParamType
from .track import anchors_of, cache_folder, read_report, track_anchors

_CROSS = cv2.getStructuringElement(cv2.MORPH_CROSS, (3, 3))
_NONE = -1  # in an index map: no frame has shown this pixel
#: The fringe around a hole, as a share of the working width: where an object's shadow, motion
#: blur, reflection or a loose mask edge travels with it. A frame's fringe pixels are used only
#: where no frame shows the point clear of any hole: pasted into the hole of a frame the
#: object has left, they repeat the object's edge as a trail of ghosts.
FRINGE = 0.01
#: the weight of a fringe sighting against a clear one, where both directions offer one
_FRINGE_WEIGHT = 0.1
_BAD, _IN_FRINGE = 255, 128  # levels of the stored per-frame map of what a frame may not give
#: width of the band around the hole where the seam correction measures (px, within the sweeps' blanked margin)
_BAND = 2
#: threads that keep frames and fit the camera's motion beside the analysis's walk
ANALYSIS_WORKERS = 6


def hole_of(mask: np.ndarray, grow: int) -> np.ndarray:
    m = (mask > 127).astype(np.uint8)
    return (cv2.dilate(m, _CROSS, iterations=grow) if grow > 0 else m).astype(bool)


@register
class RemoveOp(Op):
    spec = OpSpec(
        name="remove",
        summary="Remove what the mask covers, filled from what other frames reveal behind it.",
        params=(
            ParamSpec("mask_frame", ParamType.INTEGER, "track this frame's mask instead of per-frame masks"),
            ParamSpec("grow", ParamType.INTEGER, "mask dilation (3x3 cross iterations)", 2, minimum=0, maximum=256),
            ParamSpec("preset", ParamType.CHOICE, "optical flow quality", "medium", choices=("fast", "medium")),
            ParamSpec("flow_width", ParamType.INTEGER, "max width for flow", 960, minimum=64, maximum=8192, unit=" px"),
            gp.backend_param(),
            gp.prompt_param(help="generative backend: what fills what no frame reveals "
                            "(default: the background)"),
            *gp.MODEL_PARAMS,
        ),
        mask=MaskUse.REQUIRED,
        # its analysis folder is named by the range alone: the params it reads must match
        analysis_params=("mask_frame", "grow", "preset", "flow_width"),
        temporal=True,
        gpu=False,  # optical flow (DIS: the torch flow costs quality here, see prepare) and OpenCV's inpainting
    )

    def __init__(self) -> None:
        self._dir: Path | None = None
        self._track: dict[int, Path] | None = None
        self._tracking: Path | None = None  # the tracker's own folder (its report)
        #: per frame of the range, the homography from the range's first frame to it (full resolution)
        self._to_frame: np.ndarray | None = None
        self._generated = None  # a learned.generative.GenerativeRun, with the generative backend

    @classmethod
    def check_params(cls, params: dict) -> None:
        from ..learned import generative

        gp.refuse_unused(params)
        if gp.chosen(params) == gp.GENERATIVE:
            generative.check(params, prompt_required=False)

    def _hole(self, ctx: EditContext, index: int) -> np.ndarray:
        grow = int(ctx.params.get("grow") if ctx.params.get("grow") is not None else 2)
        if self._track is not None:
            return hole_of(cv2.imread(str(self._track[index]), cv2.IMREAD_GRAYSCALE), grow)
        return hole_of(ctx.masks.mask(index), grow)

    def prepare(self, ctx: EditContext) -> None:
        if ctx.masks is None:
            raise InvalidArgument("remove needs a mask of what to remove", field="mask")
        work = self.scratch_dir(ctx)
        # DIS on the CPU whatever the device: with the torch flow (vision.flow_torch) removal lost
        # 4 dB on davis-dev's car-shadow (31.10 -> 27.14, docs/BENCHMARKS.md, issue 16)
        est = FlowEstimator.from_params(ctx.params, 960)
        key = ctx.params.get("mask_frame")
        if key is not None:
            tracked = work / "remove-masks"
            tracked.mkdir(parents=True, exist_ok=True)
            self._track = {}
            chosen = getattr(ctx.masks, "tracker", None)  # EditRequest.tracker (masks_tracked.KeyMasksOnly)
            tracker = chosen.make(ctx.params) if chosen is not None and chosen.backend == LEARNED else FlowTracker(est)
            anchors = anchors_of(ctx, int(key))
            for item in track_anchors(ctx.source, ctx.frame_range, anchors, work, ctx.progress, ctx.check_cancelled,
                                      tracker=tracker):
                cv2.imwrite(str(tracked / f"{item.index:06d}.png"), item.mask)
                self._track[item.index] = tracked / f"{item.index:06d}.png"
            self._tracking = cache_folder(work, ctx.frame_range, anchors, tracker)
        folder = work / f"remove-{ctx.frame_range}"
        folder.mkdir(parents=True, exist_ok=True)
        if not (folder / "analysis.done").exists():
            self._analyse(ctx, est, folder)
            (folder / "analysis.done").touch()
        self._to_frame = np.load(folder / "to_frame.npy")
        for direction, name in ((1, "f"), (-1, "b")):
            if not (folder / f"{name}.done").exists():
                self._sweep(ctx, folder, direction, name)
                (folder / f"{name}.done").touch()
        self._dir = folder
        if gp.chosen(ctx.params) == gp.GENERATIVE:
            self._generate(ctx)

    def _generate(self, ctx: EditContext) -> None:
        from ..learned import generative, video

        def inputs(index: int) -> video.FrameInput:
            frame = ctx.source.frame(index)
            filled, never, hole = self._classical(index, frame, ctx)
            if hole.all():
                raise InvalidArgument(f"the mask covers the whole of frame {index}: nothing is left to remove "
                                      "it from", field="mask")
            return video.FrameInput(filled, np.where(never, 255, 0).astype(np.uint8), limit=hole)

        self._generated = generative.GenerativeRun()
        self._generated.prepare(ctx, "remove", inputs, self.scratch_dir(ctx), whole_frame=False,
                                default_prompt="the empty background, nothing in front of it", gpu=False)

    def report(self, ctx: EditContext) -> OpReport:
        return OpReport.of(None if self._tracking is None else read_report(self._tracking, ctx.frame_range))

    def _analyse(self, ctx: EditContext, est: FlowEstimator, folder: Path) -> None:
        """Keeps every frame with its usable pixels marked, and the camera's motion between neighbours."""
        fr = ctx.frame_range
        for sub in ("frames", "bad"):
            (folder / sub).mkdir(exist_ok=True)
        holes_small: dict[int, np.ndarray] = {}
        scale = 1.0

        def blank(index: int, small: np.ndarray) -> np.ndarray:
            h = cv2.resize(self._hole(ctx, index).astype(np.uint8), small.shape[1::-1], interpolation=cv2.INTER_NEAREST)
            holes_small[index] = cv2.dilate(h, _CROSS, iterations=2).astype(bool)
            return np.rint(push_pull(small.astype(np.float32), 1.0 - holes_small[index])).astype(np.uint8)

        pairs = np.full((max(len(fr) - 1, 0), 3, 3), np.nan)  # pair k: frame fr.start+k -> the next, full res
        moving_prev: np.ndarray | None = None
        in_flight: deque[tuple[int, int, int | None, Future]] = deque()

        def settle() -> None:
            """The oldest frame's results, in frame order: the camera's motion to it from the previous
            frame, and then what the previous frame may not give (its own moving pixels and this pair's)."""
            nonlocal moving_prev
            n, index, prev, kept = in_flight.popleft()
            motion = kept.result()
            moving_here = np.zeros(holes_small[index].shape, bool)
            if motion is not None:
                if motion.homography is not None:
                    pairs[n - 1] = rescale(motion.homography, scale)
                self._save_bad(folder, prev, holes_small.pop(prev), moving_prev | motion.moving_a)
                moving_here = motion.moving_b
            moving_prev = moving_here
            ctx.progress("remove: analysis", n + 1, len(fr))

        # What each frame needs beyond the walk (its copy kept on disk, the camera fit to the flows) does
        # not depend on the other frames: it runs on a pool, OpenCV and numpy releasing the interpreter
        # lock, while the walk goes on. Its results are taken in frame order, and a few frames at most are
        # in flight, so memory stays flat.
        workers = max(1, min(ANALYSIS_WORKERS, os.cpu_count() or 1))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="retakes-remove") as pool:
            for n, step in enumerate(walk(ctx.source, fr, fr.start, 1, est, ctx.check_cancelled, for_flow=blank)):
                hole = self._hole(ctx, step.index)  # here: a mask provider may read a video, on one thread
                scale = hole.shape[1] / step.small.shape[1]
                if n == 0:  # every frame is kept, and two index maps per frame at the working size
                    per_frame = step.frame[..., :1].nbytes * 4 + 2 * step.small.shape[0] * step.small.shape[1] * 4
                    require_free_space(folder, per_frame * (len(fr) - 1), what=f"remove's analysis of {len(fr)} frames")
                prev_hole = holes_small[step.prev] if step.prev is not None else None
                in_flight.append((n, step.index, step.prev,
                                  pool.submit(_keep_frame, folder, step, hole, prev_hole, holes_small[step.index])))
                while len(in_flight) > 2 * workers or (in_flight and in_flight[0][3].done()):
                    settle()
            while in_flight:
                settle()
        if len(fr):
            self._save_bad(folder, fr.end - 1, holes_small[fr.end - 1], moving_prev)
        to_frame = np.empty((len(fr), 3, 3))
        to_frame[0] = np.eye(3)
        for k, pair in enumerate(pairs):  # across an unlinked pair nothing is carried, so identity is never used
            to_frame[k + 1] = (np.eye(3) if np.isnan(pair).any() else pair) @ to_frame[k]
        np.save(folder / "pairs.npy", pairs)
        np.save(folder / "to_frame.npy", to_frame)

    @staticmethod
    def _save_bad(folder: Path, index: int, hole_small: np.ndarray, moving: np.ndarray) -> None:
        """What frame `index` may not give (_BAD) and may give only as a last resort (_IN_FRINGE)."""
        reach = max(1, int(round(FRINGE * hole_small.shape[1])))
        disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * reach + 1,) * 2)
        fringe = cv2.dilate(hole_small.astype(np.uint8), disc).astype(bool)
        levels = np.where(hole_small | moving, _BAD, np.where(fringe, _IN_FRINGE, 0)).astype(np.uint8)
        cv2.imwrite(str(folder / "bad" / f"{index:06d}.png"), levels)

    def _sweep(self, ctx: EditContext, folder: Path, direction: int, name: str) -> None:
        """For each frame, which frame nearest in `direction`'s past last showed each pixel."""
        fr = ctx.frame_range
        pairs = np.load(folder / "pairs.npy")
        (folder / name).mkdir(exist_ok=True)
        order = range(fr.start, fr.end) if direction > 0 else range(fr.end - 1, fr.start - 1, -1)
        full_shape = self._stored_shape(folder)
        seen: np.ndarray | None = None
        for n, index in enumerate(order):
            ctx.check_cancelled()
            levels = cv2.imread(str(folder / "bad" / f"{index:06d}.png"), cv2.IMREAD_GRAYSCALE)
            bad, fringe = levels == _BAD, levels == _IN_FRINGE
            here = np.where(bad, np.float32(_NONE), np.where(fringe, np.float32(_as_fringe(index)), np.float32(index)))
            if seen is not None:
                # the pair between this frame and the previous one in the sweep; its homography maps
                # this frame's pixels into the previous frame when walking backward, the reverse forward
                pair = pairs[index - fr.start - (1 if direction > 0 else 0)]
                if not np.isnan(pair).any():
                    small = rescale(pair, bad.shape[1] / full_shape[1])
                    to_prev = np.linalg.inv(small) if direction > 0 else small
                    carried = cv2.warpPerspective(
                        seen, to_prev, bad.shape[::-1], flags=cv2.INTER_NEAREST | cv2.WARP_INVERSE_MAP,
                        borderMode=cv2.BORDER_CONSTANT, borderValue=_NONE,
                    )  # fmt: skip
                    # a clear sighting in an earlier frame (of the sweep) beats this frame's fringe
                    here = np.where(bad | (fringe & (carried >= 0)), carried, here)
            seen = here
            np.save(folder / name / f"{index:06d}.npy", seen.astype(np.int32))
            ctx.progress(f"remove: sweep {'forward' if direction > 0 else 'backward'}", n + 1, len(fr))

    @staticmethod
    def _stored_shape(folder: Path) -> tuple[int, int]:
        """Full-resolution (h, w) of the stored frames."""
        first = next((folder / "frames").glob("*.npy"))
        return np.load(first, mmap_mode="r").shape[:2]

    def render(self, index: int, frame: np.ndarray, ctx: EditContext) -> np.ndarray:
        if self._dir is None:
            self.prepare(ctx)
        filled = self._classical(index, frame, ctx)[0]
        return filled if self._generated is None else self._generated.render(index, filled)

    def _classical(self, index: int, frame: np.ndarray, ctx: EditContext) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The classical fill of frame `index`, where no frame revealed the background (the spatial
        inpainting's pixels), and the hole (all full-frame bool)."""
        whole = self._hole(ctx, index)
        never_full = np.zeros(whole.shape, bool)
        if not whole.any():
            return frame.copy(), never_full, whole
        # everything below works in the hole's box with a margin: the spatial fill and the seam
        # correction only need the hole's surroundings, and a small hole in a 4K frame stays cheap
        box = _box_around(whole)
        hole, source_box = whole[box], frame[box]
        # the fill is also sampled on a thin band around the hole (inside the sweeps' blanked
        # area, so it too comes from other frames): the seam correction measures the mismatch there
        band = cv2.dilate(hole.astype(np.uint8), _CROSS, iterations=_BAND).astype(bool) & ~hole
        fill, known = self._temporal_fill(index, whole.shape, box, hole | band, ctx.frame_range.start, source_box)
        fill = seam_correction(fill, source_box, hole, band & known)
        never = hole & ~known
        full = float(np.iinfo(frame.dtype).max)
        if never.any():
            fill[band | ~hole] = source_box[band | ~hole]
            base = np.clip(np.rint(fill * (255.0 / full)), 0, 255).astype(np.uint8)
            telea = cv2.inpaint(base, never.astype(np.uint8), 5, cv2.INPAINT_TELEA).astype(np.float32)
            smooth = push_pull(fill, (~never).astype(np.float32))
            fill[never] = 0.5 * telea[never] * (full / 255.0) + 0.5 * smooth[never]
        out = frame.copy()
        out[box][hole] = np.clip(np.rint(fill[hole]), 0, full).astype(frame.dtype)
        never_full[box] = never
        return out, never_full, whole

    def _temporal_fill(
        self,
        index: int,
        frame_shape: tuple[int, int],
        box: tuple[slice, slice],
        wanted: np.ndarray,
        start: int,
        source_box: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        """What other frames show at the `wanted` pixels of `box`: (values float32, where known).

        Each direction's nearest revealing frame, blended by inverse distance in time (FGVC's
        fusion of its forward and backward candidates): where the source switches from one
        frame to another the fill fades instead of jumping. Outside what is known the values
        are the source's.
        """
        ys, xs = np.nonzero(wanted)
        at = (xs + box[1].start, ys + box[0].start)
        total = np.zeros((len(ys), source_box.shape[2]), np.float64)
        weight = np.zeros(len(ys))
        for source in self._source_maps(index, frame_shape, box):
            code = source[ys, xs]
            for c in np.unique(code[code != _NONE]):
                s = int(c) if c >= 0 else _as_fringe(int(c))
                if s == index:
                    continue
                sel = np.flatnonzero(code == c)
                to_source = self._to_frame[s - start] @ np.linalg.inv(self._to_frame[index - start])
                values, ok = _sample(self._dir / "frames" / f"{s:06d}.npy", to_source, at[0][sel], at[1][sel])
                nearness = (1.0 if c >= 0 else _FRINGE_WEIGHT) / (1.0 + abs(s - index))
                total[sel[ok]] += nearness * values[ok]
                weight[sel[ok]] += nearness
        fill = source_box.astype(np.float32)
        got = weight > 0
        fill[ys[got], xs[got]] = total[got] / weight[got, None]
        known = np.zeros(wanted.shape, bool)
        known[ys[got], xs[got]] = True
        return fill, known

    def _source_maps(self, index: int, shape: tuple[int, int], box: tuple[slice, slice]) -> list[np.ndarray]:
        """The forward and backward sweeps' index maps over `box`, at full resolution."""
        return [
            cv2.resize(np.load(self._dir / name / f"{index:06d}.npy"), shape[::-1], interpolation=cv2.INTER_NEAREST)[
                box
            ]
            for name in ("f", "b")
        ]


def _keep_frame(folder: Path, step: Step, hole: np.ndarray, prev_hole_small: np.ndarray | None,
                hole_small: np.ndarray) -> CameraMotion | None:
    """Keeps frame `step` with its usable pixels marked (never what the mask covers) and returns the
    camera's motion from the previous frame (None for the first)."""
    usable = ~cv2.dilate(hole.astype(np.uint8), _CROSS).astype(bool)  # bilinear taps stay off the hole
    stored = np.dstack([step.frame, usable.astype(step.frame.dtype)])
    stored[~usable, :3] = 0
    np.save(folder / "frames" / f"{step.index:06d}.npy", stored)
    if step.prev is None:
        return None
    return fit_camera_motion(step.flow_from_prev, step.flow_to_prev, prev_hole_small, hole_small)


def _as_fringe(code: int) -> int:
    """A frame index to its code as a fringe sighting in an index map, and back (below _NONE)."""
    return -code - 2


def _box_around(hole: np.ndarray) -> tuple[slice, slice]:
    """The hole's bounding box grown by half its size (at least 32 px), within the frame."""
    x, y, w, h = cv2.boundingRect(hole.astype(np.uint8))
    m = max(32, max(w, h) // 2)
    return slice(max(0, y - m), min(hole.shape[0], y + h + m)), slice(max(0, x - m), min(hole.shape[1], x + w + m))


def _sample(path: Path, homography: np.ndarray, xs: np.ndarray, ys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bilinear samples of a stored frame at `homography` (x, y), and where all four taps were usable.

    The file is mapped for this call only: pages read through a mapping count in the process's
    memory while it lasts (keeping a frame's sources mapped until the next frame cost 137 MB at
    1080p). A plain view of it, because np.memmap's own indexing wraps every result in Python."""
    stored = np.load(path, mmap_mode="r").view(np.ndarray)
    h, w = stored.shape[:2]
    pts = np.stack([xs, ys], -1).astype(np.float64).reshape(-1, 1, 2)
    q = cv2.perspectiveTransform(pts, homography).reshape(-1, 2)
    x0, y0 = np.floor(q[:, 0]), np.floor(q[:, 1])
    ok = (x0 >= 0) & (y0 >= 0) & (x0 + 1 < w) & (y0 + 1 < h)
    x0 = np.where(ok, x0, 0).astype(np.intp)
    y0 = np.where(ok, y0, 0).astype(np.intp)
    ax = (q[:, 0] - x0).astype(np.float32)[:, None]
    ay = (q[:, 1] - y0).astype(np.float32)[:, None]
    taps = [stored[y0 + dy, x0 + dx].astype(np.float32) for dy in (0, 1) for dx in (0, 1)]
    ok &= (taps[0][:, 3] > 0) & (taps[1][:, 3] > 0) & (taps[2][:, 3] > 0) & (taps[3][:, 3] > 0)
    top = taps[0][:, :3] * (1 - ax) + taps[1][:, :3] * ax
    bottom = taps[2][:, :3] * (1 - ax) + taps[3][:, :3] * ax
    return top * (1 - ay) + bottom * ay, ok
