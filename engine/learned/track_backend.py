"""`track --backend classical|learned|auto`: which tracker runs, and the learned one as a track op step.

`auto` (the default for requests) is the learned tracker when the model store has one, the
classical tracker otherwise; `learned` without weights is refused when the job is submitted, with
the command that provides them. The learned tracker plugs into the same seam as the classical one
(`vision.tracker.TRACKERS`), so its masks go through the same per-frame cache and a resumed job
reads them back instead of tracking again.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..devices import resolve_device
from ..errors import InvalidArgument
from ..models import TRACK, runtime
from ..models.memory import choose
from ..models.store import ModelEntry
from ..vision.tracker import TRACKERS, TrackedMask, Tracker, make_tracker

CLASSICAL, LEARNED, AUTO = "classical", "learned", "auto"
BACKENDS = (CLASSICAL, LEARNED, AUTO)


def chosen(params: dict) -> str:
    """The backend a request's params pick: classical or learned (a bare EditContext: classical)."""
    backend = params.get("backend") or CLASSICAL
    if backend == AUTO:
        return LEARNED if params.get("model") or runtime().store.for_task(TRACK) else CLASSICAL
    return backend


def check(params: dict) -> None:
    """At submit: a learned tracker asked for (or named) must have its weights here."""
    if chosen(params) == LEARNED:
        runtime().require(TRACK, params.get("model") or "",
                          field="params.model" if params.get("model") else "params.backend")


@dataclass(frozen=True)
class TrackerChoice:
    """Which tracker carries an op's keyframe masks through the clip (EditRequest.tracker and
    tracker_model), resolved when the job is planned: `classical`, or `learned` with its model."""

    backend: str = CLASSICAL
    model: str = ""

    @classmethod
    def of_request(cls, backend: str, model: str) -> TrackerChoice:
        """`backend` as a request gives it ("" is auto); raises naming `tracker` or `tracker_model`."""
        backend = backend or AUTO
        if backend not in BACKENDS:
            raise InvalidArgument(f"expected one of {', '.join(BACKENDS)}, got {backend!r}", field="tracker")
        if model and backend == CLASSICAL:
            raise InvalidArgument("a model is for the learned tracker; give --tracker learned (or auto)",
                                  field="tracker_model")
        if backend == AUTO and not (model or runtime().store.for_task(TRACK)):
            return cls(CLASSICAL)
        if backend == CLASSICAL:
            return cls(CLASSICAL)
        entry = runtime().require(TRACK, model, field="tracker_model" if model else "tracker")
        return cls(LEARNED, entry.name)

    def make(self, params: Mapping[str, Any], device: str = "cpu") -> Tracker:
        """The tracker itself: the classical one's flow on `device` (a torch device), or the store's model."""
        if self.backend == CLASSICAL:
            return make_tracker(params, 960, CLASSICAL, device=device)
        return LearnedTracker.from_params({"model": self.model})

    def describe(self) -> str:
        return "the classical tracker (optical flow)" if self.backend == CLASSICAL else \
            f"the learned tracker ({self.model})"


#: the default: what every job used before the learned tracker existed
CLASSICAL_TRACKER = TrackerChoice()


@dataclass(frozen=True)
class LearnedTracker:
    """The store's SAM 2 model behind the op's tracker seam (`vision.tracker.Tracker`): the same
    anchors in, the same per-frame masks and confidences out, so the cache, the resume and the
    report are the classical tracker's."""

    entry: ModelEntry

    @property
    def tag(self) -> str:
        return f"learned:{self.entry.name}:{self.entry.digest}"

    @classmethod
    def from_params(cls, params: Mapping[str, Any], default_width: int = 960) -> LearnedTracker:
        return cls(runtime().require(TRACK, params.get("model") or "", field="params.backend"))

    def track(self, source, span, anchors, progress=lambda stage, done, total: None,
              check_cancelled=lambda: None) -> Iterator[TrackedMask]:
        from .sam2_tracker import Sam2Tracker

        rt = runtime()
        layout = rt.store.layout(self.entry)
        # `track` is a CPU op to the planner (its classical tracker is); the model goes on a GPU if there is one.
        placement = choose(layout, resolve_device("auto"), model_name=self.entry.name)
        total = len(span)
        with rt.cache.use(self.entry, layout, placement) as loaded:
            tracker = Sam2Tracker(loaded.model, Path(self.entry.path))
            for done, tracked in enumerate(tracker.track(source, span, dict(anchors), check_cancelled=check_cancelled),
                                           start=1):
                # a frame the editor gave a mask for keeps it exactly, as with the classical tracker
                if tracked.index in anchors:
                    tracked = TrackedMask(tracked.index, np.where(anchors[tracked.index] > 127, 255, 0)
                                          .astype(np.uint8), 1.0)
                progress("track", done, total)
                yield tracked


TRACKERS[LEARNED] = LearnedTracker.from_params
