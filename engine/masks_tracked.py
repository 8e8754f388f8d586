"""One keyframe mask, given to an op that wants a mask on every frame.

DESIGN's `--mask` may be a single image: the mask of one keyframe, "tracked through the
clip". Ops that track it themselves declare a `mask_frame` parameter (track, remove);
they get the keyframe mask as it is and the frame it belongs to. Every other op gets a
`TrackedMasks` provider, which runs the tracker once, lazily, over the frames the job
needs, and serves each frame's mask from disk (memory does not grow with clip length).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import cv2
import numpy as np

from .media import KeyframeMask
from .ops.base import FrameSource
from .timecode import FrameRange


class KeyMaskOnly:
    """The keyframe mask as a provider, for ops that track it themselves."""

    def __init__(self, key: KeyframeMask) -> None:
        self.key = key

    def mask(self, frame: int) -> np.ndarray:
        return self.key.image


class TrackedMasks:
    def __init__(self, source: FrameSource, frame_range: FrameRange, key: KeyframeMask, workdir: Path | None,
                 progress=lambda stage, done, total: None, check_cancelled=lambda: None) -> None:
        self.source, self.key = source, key
        # The tracker needs the keyframe inside the range it walks.
        self.frame_range = FrameRange(min(frame_range.start, key.frame), max(frame_range.end, key.frame + 1))
        self._progress, self._check_cancelled = progress, check_cancelled
        self._tmp = None if workdir is not None else tempfile.TemporaryDirectory(prefix="retakes-masks-")
        self._folder = Path(workdir) / "tracked-masks" if workdir is not None else Path(self._tmp.name)
        self._done = self._folder / "done"

    def _path(self, frame: int) -> Path:
        return self._folder / f"{frame:06d}.png"

    def _track(self) -> None:
        from .ops.track import track_masks

        self._folder.mkdir(parents=True, exist_ok=True)
        for index, mask in track_masks(self.source, self.frame_range, self.key.frame, self.key.image,
                                       self._folder / "cache", self._progress, self._check_cancelled):
            cv2.imwrite(str(self._path(index)), mask)
        self._done.touch()

    def mask(self, frame: int) -> np.ndarray:
        if frame == self.key.frame:
            return self.key.image
        if not self._done.exists():
            self._track()
        mask = cv2.imread(str(self._path(frame)), cv2.IMREAD_GRAYSCALE)
        if mask is None:
            raise KeyError(f"no tracked mask for frame {frame}")
        return mask


def keyframe_mask_provider(op_spec, params: dict, key: KeyframeMask, source: FrameSource,
                           frame_range: FrameRange, workdir: Path | None, progress, check_cancelled):
    """Picks how an op receives a single keyframe mask (see the module docstring)."""
    if any(p.name == "mask_frame" for p in op_spec.params):
        if params.get("mask_frame") is None:
            params["mask_frame"] = key.frame
        return KeyMaskOnly(key)
    return TrackedMasks(source, frame_range, key, workdir, progress, check_cancelled)
