"""`track`: a keyframe mask carried through the range (DESIGN: `retakes track`).

The mask of `mask_frame` (read from ctx.masks) is tracked forward to the range's end and
backward to its start with `vision.segment.MaskTracker` (flow warp + occlusion test +
appearance refinement). The op's output is the mask sequence itself, as RGB frames
(white = object), so the engine writes it like any other render.

`track_masks` is the reusable form: other ops that are given one keyframe mask (propagate,
remove, recolor, background) call it to get a mask per frame. Results are PNGs in a
folder of the job's workdir named after the inputs, so a resumed job reads them back.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from pathlib import Path

import cv2
import numpy as np

from ..errors import InvalidArgument
from ..learned import track_backend as learned
from ..learned.track_backend import BACKENDS
from ..timecode import FrameRange
from ..vision.flow import FlowEstimator
from ..vision.segment import MaskTracker, TrackerConfig
from ..vision.walk import walk
from . import register
from .base import EditContext, FrameSource, MaskUse, Op, OpSpec, ParamSpec, ParamType

DONE = "done"


def _cache_dir(workdir: Path, frame_range: FrameRange, key: int, key_mask: np.ndarray, tag: str) -> Path:
    h = hashlib.sha1(key_mask.tobytes())
    h.update(f"{frame_range}:{key}:{key_mask.shape}:{tag}".encode())
    return workdir / f"track-{key}-{h.hexdigest()[:12]}"


def mask_path(folder: Path, index: int) -> Path:
    return folder / f"{index:06d}.png"


def _upscale(mask_small: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    h, w = shape
    if mask_small.shape == (h, w):
        return mask_small.astype(np.uint8) * 255
    up = cv2.resize(mask_small.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR)
    return (up > 0.5).astype(np.uint8) * 255


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
    """Yields (index, uint8 mask 0/255, full resolution) for every frame of `frame_range`.

    Order: the key frame, then forward to the end, then backward to the start. With a
    `workdir` the masks are also written there and a second call reads them back.
    """
    if key_frame not in frame_range:
        raise InvalidArgument(
            f"mask frame {key_frame} lies outside the range {frame_range}", field="mask_frame"
        )
    estimator = estimator or FlowEstimator()
    key_bool = key_mask > 127
    folder = None
    if workdir is not None:
        tag = f"{estimator.preset}:{estimator.max_width}:{config}"
        folder = _cache_dir(Path(workdir), frame_range, key_frame, key_bool, tag)
        if (folder / DONE).exists():
            for i in frame_range:
                yield i, cv2.imread(str(mask_path(folder, i)), cv2.IMREAD_GRAYSCALE)
            return
        folder.mkdir(parents=True, exist_ok=True)
    total, done = len(frame_range), 0
    for direction in (1, -1):
        tracker: MaskTracker | None = None
        for step in walk(source, frame_range, key_frame, direction, estimator, check_cancelled):
            shape = step.frame.shape[:2]
            if key_bool.shape != shape:
                raise InvalidArgument(
                    f"mask is {key_bool.shape[1]}x{key_bool.shape[0]}, frames are {shape[1]}x{shape[0]}",
                    field="mask",
                )
            if tracker is None:
                small_mask = cv2.resize(
                    key_bool.astype(np.float32), step.small.shape[1::-1], interpolation=cv2.INTER_AREA
                )
                tracker = MaskTracker(step.small, small_mask, config)
                if direction < 0:
                    continue  # the key frame was yielded by the forward pass
                out = key_bool.astype(np.uint8) * 255
            else:
                out = _upscale(tracker.step(step.small, step.flow_to_prev, step.occluded), shape)
            if folder is not None:
                cv2.imwrite(str(mask_path(folder, step.index)), out)
            done += 1
            progress("track", done, total)
            yield step.index, out
    if folder is not None:
        (folder / DONE).touch()


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
                "flow_width", ParamType.INTEGER, "max width for flow analysis", 960, minimum=64, unit=" px"
            ),
            ParamSpec("backend", ParamType.CHOICE, "classical (optical flow), learned (SAM 2 from the model "
                      "store), auto (learned when its weights are here)", "auto", choices=BACKENDS),
            ParamSpec("model", ParamType.TEXT, "the learned tracker's model (default: the store's)", ""),
        ),
        mask=MaskUse.REQUIRED,
        temporal=True,
        # The classical tracker is the optical-flow walk (DIS), CPU only. The learned one takes the
        # first GPU there is by itself (learned.track_backend), whatever the job's device says.
        gpu=False,
        writes_mask=True,
    )

    def __init__(self) -> None:
        self._folder: Path | None = None

    @classmethod
    def check_params(cls, params: dict) -> None:
        learned.check(params)

    def prepare(self, ctx: EditContext) -> None:
        if ctx.masks is None:
            raise InvalidArgument("track needs a mask of the key frame", field="mask")
        key = ctx.params.get("mask_frame")
        key = ctx.frame_range.start if key is None else int(key)
        if key not in ctx.frame_range:
            raise InvalidArgument(
                f"mask frame {key} lies outside the range {ctx.frame_range}", field="mask_frame"
            )
        workdir = self.scratch_dir(ctx)
        key_mask = ctx.masks.mask(key)
        if learned.chosen(ctx.params) == learned.LEARNED:
            self._folder = learned.track_to_folder(ctx, key, key_mask, workdir)
            return
        estimator = FlowEstimator.from_params(ctx.params, 960)
        for _ in track_masks(
            ctx.source,
            ctx.frame_range,
            key,
            key_mask,
            workdir,
            ctx.progress,
            ctx.check_cancelled,
            estimator=estimator,
        ):
            pass
        tag = f"{estimator.preset}:{estimator.max_width}:None"
        self._folder = _cache_dir(workdir, ctx.frame_range, key, key_mask > 127, tag)

    def render(self, index: int, frame: np.ndarray, ctx: EditContext) -> np.ndarray:
        if self._folder is None:
            self.prepare(ctx)
        m = cv2.imread(str(mask_path(self._folder, index)), cv2.IMREAD_GRAYSCALE)
        if m is None:
            raise InvalidArgument(f"frame {index} is outside the tracked range", field="range")
        if frame.dtype != np.uint8:
            m = m.astype(frame.dtype) * (np.iinfo(frame.dtype).max // 255)
        return np.repeat(m[..., None], 3, axis=2)
