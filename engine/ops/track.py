"""`track`: the editor's mask(s) carried through the range (DESIGN: `retakes track`).

The mask of `mask_frame` (read from ctx.masks), and any further masks the editor gave on
other frames (`--mask M --mask-frame K`, repeated), are carried through the range by a
`vision.tracker.Tracker` (the classical one: flow warp + occlusion test + appearance). The
op's output is the mask sequence itself, as RGB frames (white = object), so the engine writes
it like any other render; its report says on which frames the object was lost.

`track_anchors` is the reusable form: other ops that are given mask images (propagate,
remove, recolor, background) call it to get a mask per frame. Results are PNGs in a folder
of the job's workdir named after the inputs, with the per-frame confidence beside them, so
a resumed job reads them back.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import cv2
import numpy as np

from ..errors import InvalidArgument
from ..learned import track_backend as learned
from ..learned.track_backend import BACKENDS
from ..media.mask_image import write_png_atomically
from ..pipeline import BackgroundConsumer
from ..timecode import FrameRange
from ..vision.flow import FlowEstimator
from ..vision.segment import TrackerConfig
from ..vision.tracker import FlowTracker, TrackedMask, Tracker, TrackingReport, make_tracker
from . import register
from .base import EditContext, FrameSource, MaskUse, Op, OpReport, OpSpec, ParamSpec, ParamType

DONE = "done"
CONFIDENCE = "confidence.npy"


def cache_folder(workdir: Path, frame_range: FrameRange, anchors: Mapping[int, np.ndarray], tracker: Tracker) -> Path:
    """The folder of one tracking's results: named after everything they depend on."""
    h = hashlib.sha1(f"{frame_range}:{tracker.tag}".encode())
    for k in sorted(anchors):
        h.update(f":{k}:{anchors[k].shape}".encode())
        h.update((anchors[k] > 127).tobytes())
    return workdir / f"track-{min(anchors)}-{h.hexdigest()[:12]}"


def mask_path(folder: Path, index: int) -> Path:
    return folder / f"{index:06d}.png"


def read_report(folder: Path, frame_range: FrameRange) -> TrackingReport | None:
    """The report of a finished tracking kept in `folder` (None if it is not finished)."""
    if not (folder / DONE).exists():
        return None
    return TrackingReport(frame_range.start, tuple(float(c) for c in np.load(folder / CONFIDENCE)))


def track_anchors(
    source: FrameSource,
    frame_range: FrameRange,
    anchors: Mapping[int, np.ndarray],
    workdir: Path | None,
    progress: Callable[[str, int, int], None] = lambda stage, done, total: None,
    check_cancelled: Callable[[], None] = lambda: None,
    *,
    tracker: Tracker | None = None,
) -> Iterator[TrackedMask]:
    """Yields a TrackedMask (full resolution, 0/255) for every frame of `frame_range`, once each.

    `anchors`: the editor's masks by source frame, all inside the range. With a `workdir` the
    masks and their confidence are also written there and a second call reads them back.
    """
    if not anchors:
        raise InvalidArgument("expected the mask of at least one frame", field="mask")
    for k in anchors:
        if int(k) not in frame_range:
            raise InvalidArgument(f"mask frame {k} lies outside the range {frame_range}", field="mask_frame")
    tracker = tracker or FlowTracker(FlowEstimator())
    anchors = {int(k): np.asarray(m) for k, m in anchors.items()}
    folder = None
    if workdir is not None:
        folder = cache_folder(Path(workdir), frame_range, anchors, tracker)
        if (folder / DONE).exists():
            confidence = np.load(folder / CONFIDENCE)
            for i in frame_range:
                mask = cv2.imread(str(mask_path(folder, i)), cv2.IMREAD_GRAYSCALE)
                yield TrackedMask(i, mask, float(confidence[i - frame_range.start]))
            return
        folder.mkdir(parents=True, exist_ok=True)
    confidence = np.ones(len(frame_range), np.float32)
    # Each mask is written on a thread of its own (a full-resolution PNG: a tenth of a tracking
    # step), whole or not at all: a render may read it while the tracking goes on.
    writer = None if folder is None else BackgroundConsumer(
        lambda item: write_png_atomically(mask_path(folder, item.index), item.mask), name="retakes-track-write")
    try:
        for item in tracker.track(source, frame_range, anchors, progress, check_cancelled):
            if writer is not None:
                writer.put(item)
            confidence[item.index - frame_range.start] = item.confidence
            yield item
    finally:
        if writer is not None:
            writer.close()  # every mask on disk (or the first write's error raised) before DONE
    if folder is not None:
        np.save(folder / CONFIDENCE, confidence)
        (folder / DONE).touch()  # written last: it says the masks and confidences are whole


def track_masks(
    source: FrameSource,
    frame_range: FrameRange,
    key_frame: int,
    key_mask: np.ndarray,
    workdir: Path | None,
    progress: Callable[[str, int, int], None] = lambda stage, done, total: None,
    check_cancelled: Callable[[], None] = lambda: None,
    *,
    estimator: FlowEstimator | None = None,
    config: TrackerConfig | None = None,
) -> Iterator[tuple[int, np.ndarray]]:
    """One keyframe mask tracked by the classical tracker: (index, uint8 mask 0/255) for every
    frame of `frame_range`; the key frame first, then forward to the end, then backward."""
    tracker = FlowTracker(estimator or FlowEstimator(), config)
    for item in track_anchors(source, frame_range, {key_frame: key_mask}, workdir, progress, check_cancelled,
                              tracker=tracker):
        yield item.index, item.mask


def anchors_of(ctx: EditContext, key: int) -> dict[int, np.ndarray]:
    """The editor's masks to track: every one the mask provider holds inside the range
    (`--mask`/`--mask-frame`, repeated), else the mask of `key` alone."""
    given = getattr(ctx.masks, "anchors", None)
    if given:
        inside = {k: m for k, m in given.items() if k in ctx.frame_range}
        if key in inside:
            return inside
    return {key: ctx.masks.mask(key)}


@register
class TrackOp(Op):
    spec = OpSpec(
        name="track",
        summary="Carry a keyframe mask through the clip (optical flow, occlusion checks, appearance).",
        params=(
            ParamSpec(
                "mask_frame", ParamType.INTEGER, "source frame whose mask is given (default: range start)"
            ),
            ParamSpec(
                "preset", ParamType.CHOICE, "optical flow quality", "medium", choices=("fast", "medium")
            ),
            ParamSpec(
                "flow_width", ParamType.INTEGER, "max width for flow analysis", 960, minimum=64, maximum=8192,
                unit=" px",
            ),
            ParamSpec("backend", ParamType.CHOICE, "classical (optical flow), learned (SAM 2 from the model "
                      "store), auto (learned when its weights are here)", "auto", choices=BACKENDS),
            ParamSpec("model", ParamType.TEXT, "the learned tracker's model (default: the store's)", ""),
        ),
        mask=MaskUse.REQUIRED,
        temporal=True,
        # The classical tracker is the optical-flow walk: DIS on the CPU, the torch flow on the job's
        # GPU. The learned one takes the first GPU there is by itself (learned.track_backend).
        gpu=True,
        writes_mask=True,
    )

    def __init__(self) -> None:
        self._folder: Path | None = None

    @classmethod
    def check_params(cls, params: dict) -> None:
        learned.check(params)

    def prepare(self, ctx: EditContext) -> None:
        run = self.start_analysis(ctx)
        if run is not None:
            run()

    def start_analysis(self, ctx: EditContext) -> Callable[[], None] | None:
        """Names the tracking's folder now; returns the tracking itself (None when a finished one
        is there), which writes each frame's mask as it goes: the output's frames are its masks,
        so each is encoded as soon as it is tracked rather than after the whole range."""
        if ctx.masks is None:
            raise InvalidArgument("track needs a mask of the key frame", field="mask")
        key = ctx.params.get("mask_frame")
        key = ctx.frame_range.start if key is None else int(key)
        if key not in ctx.frame_range:
            raise InvalidArgument(
                f"mask frame {key} lies outside the range {ctx.frame_range}", field="mask_frame"
            )
        workdir = self.scratch_dir(ctx)
        tracker = make_tracker(ctx.params, 960, learned.chosen(ctx.params), device=ctx.device)
        anchors = anchors_of(ctx, key)
        self._folder = cache_folder(workdir, ctx.frame_range, anchors, tracker)
        if (self._folder / DONE).exists():
            return None

        def run() -> None:
            for _ in track_anchors(ctx.source, ctx.frame_range, anchors, workdir, ctx.progress, ctx.check_cancelled,
                                   tracker=tracker):
                pass

        return run

    def analysed(self, index: int) -> bool:
        return self._folder is not None and ((self._folder / DONE).exists() or mask_path(self._folder, index).exists())

    def report(self, ctx: EditContext) -> OpReport:
        tracking = None if self._folder is None else read_report(self._folder, ctx.frame_range)
        return OpReport.of(tracking)

    def render(self, index: int, frame: np.ndarray, ctx: EditContext) -> np.ndarray:
        if self._folder is None:
            self.prepare(ctx)
        m = cv2.imread(str(mask_path(self._folder, index)), cv2.IMREAD_GRAYSCALE)
        if m is None:
            raise InvalidArgument(f"frame {index} is outside the tracked range", field="range")
        if frame.dtype != np.uint8:
            m = m.astype(frame.dtype) * (np.iinfo(frame.dtype).max // 255)
        return cv2.cvtColor(m, cv2.COLOR_GRAY2RGB)  # np.repeat would hold the interpreter lock
