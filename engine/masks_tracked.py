"""The editor's mask images (one or several keyframes), given to an op that wants a mask on every frame.

DESIGN's `--mask` may be a single image: the mask of one keyframe, "tracked through the
clip"; `--mask M --mask-frame K`, repeated, gives masks on several frames, and the tracker
restarts from each (`vision.tracker`). Ops that track them themselves declare a `mask_frame`
parameter (track, remove); they get the masks as they are (`anchors`). Every other op gets
a `TrackedMasks` provider, which runs the tracker once, lazily, over the frames the job
needs, and serves each frame's mask from disk (memory does not grow with clip length);
its `report` says how sure the tracker was, for the job's notes.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import cv2
import numpy as np

from .learned.track_backend import CLASSICAL_TRACKER, TrackerChoice
from .media import KeyframeMasks
from .ops.base import FrameSource
from .timecode import FrameRange
from .vision.tracker import TrackingReport


def _anchors_for(keys: KeyframeMasks, frame_range: FrameRange) -> dict[int, np.ndarray]:
    """The anchors inside `frame_range` (a preview's range holds at least its nearest one);
    none inside: the nearest one."""
    anchors = keys.anchors()
    inside = {k: m for k, m in anchors.items() if k in frame_range}
    if inside:
        return inside
    nearest = min(anchors, key=lambda k: min(abs(k - frame_range.start), abs(k - (frame_range.end - 1))))
    return {nearest: anchors[nearest]}


class KeyMasksOnly:
    """The mask images as a provider, for ops that track them themselves."""

    def __init__(self, keys: KeyframeMasks, frame_range: FrameRange,
                 tracker: TrackerChoice = CLASSICAL_TRACKER) -> None:
        self.anchors = _anchors_for(keys, frame_range)
        #: the tracker the request chose, for the op to track them with
        self.tracker = tracker

    def mask(self, frame: int) -> np.ndarray:
        if frame in self.anchors:
            return self.anchors[frame]
        return self.anchors[min(self.anchors, key=lambda k: abs(k - frame))]


class TrackedMasks:
    def __init__(self, source: FrameSource, frame_range: FrameRange, keys: KeyframeMasks, workdir: Path | None,
                 progress=lambda stage, done, total: None, check_cancelled=lambda: None,
                 device: str = "cpu", tracker: TrackerChoice = CLASSICAL_TRACKER) -> None:
        self.source = source
        #: the job's device: on a GPU the classical tracker's flow runs there (vision.flow)
        self.device = device
        self.tracker = tracker
        self.anchors = _anchors_for(keys, frame_range)
        # The tracker needs the anchors inside the range it walks.
        self.frame_range = FrameRange(min(frame_range.start, min(self.anchors)),
                                      max(frame_range.end, max(self.anchors) + 1))
        self._progress, self._check_cancelled = progress, check_cancelled
        self._tmp = None if workdir is not None else tempfile.TemporaryDirectory(prefix="retakes-masks-")
        self._folder = Path(workdir) / "tracked-masks" if workdir is not None else Path(self._tmp.name)
        self._done = self._folder / "done"

    def _path(self, frame: int) -> Path:
        return self._folder / f"{frame:06d}.png"

    def _track(self) -> None:
        from .ops.track import track_anchors

        self._folder.mkdir(parents=True, exist_ok=True)
        confidence = np.ones(len(self.frame_range), np.float32)
        for item in track_anchors(self.source, self.frame_range, self.anchors, None, self._progress,
                                  self._check_cancelled, tracker=self.tracker.make({}, self.device)):
            cv2.imwrite(str(self._path(item.index)), item.mask)
            confidence[item.index - self.frame_range.start] = item.confidence
        np.save(self._folder / "confidence.npy", confidence)
        self._done.touch()

    def track(self) -> None:
        """Runs the tracker now, if it has not run (else the first `mask` of an untracked frame does)."""
        if not self._done.exists():
            self._track()

    def mask(self, frame: int) -> np.ndarray:
        if frame in self.anchors:
            return self.anchors[frame]
        self.track()
        mask = cv2.imread(str(self._path(frame)), cv2.IMREAD_GRAYSCALE)
        if mask is None:
            raise KeyError(f"no tracked mask for frame {frame}")
        return mask

    def report(self) -> TrackingReport | None:
        """How sure the tracker was on each frame, once it has run (None if no frame needed it)."""
        if not self._done.exists():
            return None
        confidence = np.load(self._folder / "confidence.npy")
        return TrackingReport(self.frame_range.start, tuple(float(c) for c in confidence))


def keyframe_mask_provider(op_spec, params: dict, keys: KeyframeMasks, source: FrameSource,
                           frame_range: FrameRange, workdir: Path | None, progress, check_cancelled,
                           device: str = "cpu", tracker: TrackerChoice = CLASSICAL_TRACKER):
    """Picks how an op receives the editor's mask images (see the module docstring); `tracker`:
    which tracker carries them (EditRequest.tracker), for the provider or the op that tracks."""
    if any(p.name == "mask_frame" for p in op_spec.params):
        provider = KeyMasksOnly(keys, frame_range, tracker)
        if params.get("mask_frame") is None or params["mask_frame"] not in provider.anchors:
            params["mask_frame"] = min(provider.anchors)
        return provider
    return TrackedMasks(source, frame_range, keys, workdir, progress, check_cancelled, device=device,
                        tracker=tracker)
