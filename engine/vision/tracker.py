"""The mask tracker's seam: frames and the editor's masks in, a mask and a confidence per frame out.

Every op that follows an object (`track`, and the ops given one mask image: remove, recolor,
background, relight, propagate) gets its masks through a `Tracker`, so a learned tracker
plugs in beside the classical one without touching them (`TRACKERS`, `make_tracker`).

The editor may give masks on several frames ("anchors"), as Resolve's Magic Mask takes
strokes on any frame: a frame given a mask uses it exactly; the tracker restarts from each
one. Between two anchors a frame is tracked from both sides and takes the mask of the side
whose confidence, weighted by nearness in time, is higher: the hand-over follows whichever
side still sees the object (a tracker that lost it behind an occluder hands over to the mask
given after the occlusion).

Confidence (0..1) says how sure the tracker is that its mask is still the anchor's object;
`TrackingReport` turns it into the frames where the object was lost, for the job's notes.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import cv2
import numpy as np

from ..timecode import FrameRange
from .flow import FlowEstimator
from .segment import MaskTracker, TrackerConfig
from .walk import walk

if TYPE_CHECKING:  # ops imports vision at load time; a runtime import here would be circular
    from ..ops.base import FrameSource

#: confidence under which a frame's object counts as lost (or hidden) in the job's notes
LOST = 0.3

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class TrackedMask:
    index: int
    #: uint8 (H, W), 0 or 255, full resolution
    mask: np.ndarray
    #: 0..1; 1.0 on a frame the editor gave a mask for
    confidence: float


class Tracker(Protocol):
    """Carries the editor's masks through a span of frames."""

    #: names the tracker and its settings: the cache of tracked masks is keyed by it
    tag: str

    def track(
        self,
        source: FrameSource,
        span: FrameRange,
        anchors: Mapping[int, np.ndarray],
        progress: Progress = lambda stage, done, total: None,
        check_cancelled: Callable[[], None] = lambda: None,
    ) -> Iterator[TrackedMask]:
        """One TrackedMask per frame of `span`, each once, in any order. `anchors` maps frames of
        `span` to uint8 (H, W) masks (> 127: object); those frames get their mask exactly."""
        ...


@dataclass(frozen=True)
class FlowTracker:
    """The classical tracker: `segment.MaskTracker` (flow warp, occlusion test, colour models)
    walked frame by frame away from each anchor."""

    estimator: FlowEstimator
    config: TrackerConfig | None = None

    @property
    def tag(self) -> str:
        backend = "" if self.estimator.backend == "dis" else f":{self.estimator.backend}"  # DIS caches stay valid
        return f"{self.estimator.preset}:{self.estimator.max_width}:{self.config}{backend}"

    @classmethod
    def from_params(cls, params: Mapping[str, Any], default_width: int = 960, device: str | None = None) -> FlowTracker:
        return cls(FlowEstimator.from_params(dict(params), default_width, device))

    def track(self, source, span, anchors, progress=lambda stage, done, total: None,
              check_cancelled=lambda: None) -> Iterator[TrackedMask]:
        keys = sorted(anchors)
        total, done = len(span), 0

        def out(item: TrackedMask) -> TrackedMask:
            nonlocal done
            done += 1
            progress("track", done, total)
            return item

        yield out(TrackedMask(keys[0], _hard(anchors[keys[0]]), 1.0))
        # after the last anchor and before the first, one side only: with one anchor, the whole span
        for item in self._from(source, FrameRange(keys[-1], span.end), keys[-1], 1, anchors[keys[-1]], check_cancelled):
            yield out(item)
        for item in self._from(source, FrameRange(span.start, keys[0] + 1), keys[0], -1, anchors[keys[0]],
                               check_cancelled):
            yield out(item)
        for a, b in zip(keys, keys[1:], strict=False):
            yield out(TrackedMask(b, _hard(anchors[b]), 1.0))
            yield from map(out, self._between(source, a, b, anchors, check_cancelled))

    def _from(self, source, span: FrameRange, key: int, direction: int, key_mask: np.ndarray,
              check_cancelled) -> Iterator[TrackedMask]:
        """The frames of `span` after `key` (toward `direction`), tracked from `key`'s mask."""
        key_bool = key_mask > 127
        tracker: MaskTracker | None = None
        for step in walk(source, span, key, direction, self.estimator, check_cancelled):
            shape = step.frame.shape[:2]
            if key_bool.shape != shape:
                from ..errors import InvalidArgument

                raise InvalidArgument(
                    f"mask is {key_bool.shape[1]}x{key_bool.shape[0]}, frames are {shape[1]}x{shape[0]}",
                    field="mask",
                )
            if tracker is None:
                small_mask = cv2.resize(
                    key_bool.astype(np.float32), step.small.shape[1::-1], interpolation=cv2.INTER_AREA
                )
                tracker = MaskTracker(step.small, small_mask, self.config)
                continue  # the anchor itself is given, not tracked
            mask = _upscale(tracker.step(step.small, step.flow_to_prev, step.occluded), shape)
            yield TrackedMask(step.index, mask, tracker.confidence)

    def _between(self, source, a: int, b: int, anchors, check_cancelled) -> Iterator[TrackedMask]:
        """Frames strictly between anchors a < b: tracked from both, each from the surer side."""
        if b - a < 2:
            return
        with tempfile.TemporaryDirectory(prefix="retakes-track-") as tmp:
            forward: dict[int, float] = {}
            for item in self._from(source, FrameRange(a, b), a, 1, anchors[a], check_cancelled):
                cv2.imwrite(str(Path(tmp) / f"{item.index:06d}.png"), item.mask)
                forward[item.index] = item.confidence
            for item in self._from(source, FrameRange(a + 1, b + 1), b, -1, anchors[b], check_cancelled):
                t = item.index
                # nearness in time decides between equally sure sides; a lost side (0) always yields
                from_a = (forward[t] + 1e-3) * (b - t)
                from_b = (item.confidence + 1e-3) * (t - a)
                if from_b >= from_a:
                    yield item
                else:
                    mask = cv2.imread(str(Path(tmp) / f"{t:06d}.png"), cv2.IMREAD_GRAYSCALE)
                    yield TrackedMask(t, mask, forward[t])


def _hard(mask: np.ndarray) -> np.ndarray:
    return np.where(mask > 127, 255, 0).astype(np.uint8)


def _upscale(mask_small: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    h, w = shape
    if mask_small.shape == (h, w):
        return mask_small.astype(np.uint8) * 255
    up = cv2.resize(mask_small.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR)
    return (up > 0.5).astype(np.uint8) * 255


#: tracker backends by name: each builds its tracker from an op's parameters
TRACKERS: dict[str, Callable[[Mapping[str, Any], int], Tracker]] = {"classical": FlowTracker.from_params}


def make_tracker(params: Mapping[str, Any], default_width: int = 960, backend: str = "classical",
                 device: str = "cpu") -> Tracker:
    """The tracker an op's parameters ask for (`preset`, `flow_width`, ...); the classical one's
    flow runs on `device` (a torch device: the GPU flow, vision.flow_torch)."""
    if backend == "classical":
        return FlowTracker.from_params(params, default_width, device)
    return TRACKERS[backend](params, default_width)


@dataclass(frozen=True)
class TrackingReport:
    """A tracked range's per-frame confidence, and what the editor should hear about it."""

    start: int
    confidence: tuple[float, ...]

    @classmethod
    def of(cls, frame_range: FrameRange, confidence: Mapping[int, float]) -> TrackingReport:
        return cls(frame_range.start, tuple(float(confidence.get(i, 1.0)) for i in frame_range))

    def lost(self, below: float = LOST) -> list[FrameRange]:
        """The frames whose confidence is under `below`, as end-exclusive ranges."""
        ranges: list[FrameRange] = []
        for i, c in enumerate(self.confidence, self.start):
            if c >= below:
                continue
            if ranges and ranges[-1].end == i:
                ranges[-1] = FrameRange(ranges[-1].start, i + 1)
            else:
                ranges.append(FrameRange(i, i + 1))
        return ranges

    def note(self) -> str | None:
        """One sentence for JobResult.notes, None when the object was never lost."""
        lost = self.lost()
        if not lost:
            return None
        spans = ", ".join(str(r.start) if len(r) == 1 else f"{r.start}:{r.end}" for r in lost)
        count = sum(len(r) for r in lost)
        lowest = min(self.confidence)
        return (
            f"the tracker lost the masked object (or it was hidden) on {count} frame{'s' * (count != 1)}: "
            f"{spans} (source frames, end exclusive; confidence under {LOST:g}, lowest {lowest:.2f}): check the "
            "masks there, and give the object's mask on a frame after the loss to correct it (--mask M "
            "--mask-frame K, repeatable)"
        )
