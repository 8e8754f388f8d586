"""`track --backend classical|learned|auto`: which tracker runs, and the learned one as a track op step.

`auto` (the default for requests) is the learned tracker when the model store has one, the
classical tracker otherwise; `learned` without weights is refused when the job is submitted, with
the command that provides them. The learned run writes the same per-frame PNG cache as the
classical one (`ops.track.mask_path`), plus each frame's confidence, so a resumed job reads
them back instead of tracking again.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import cv2
import numpy as np

from ..devices import resolve_device
from ..models import TRACK, runtime
from ..models.memory import choose
from ..ops.base import EditContext

CLASSICAL, LEARNED, AUTO = "classical", "learned", "auto"
BACKENDS = (CLASSICAL, LEARNED, AUTO)
DONE = "done"


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


def track_to_folder(ctx: EditContext, key: int, key_mask: np.ndarray, workdir: Path) -> Path:
    """Tracks with the store's SAM 2 model into a cache folder of per-frame PNGs; returns the folder."""
    from ..ops.track import mask_path
    from .sam2_tracker import Sam2Tracker

    rt = runtime()
    entry = rt.require(TRACK, ctx.params.get("model") or "", field="params.backend")
    h = hashlib.sha1((key_mask > 127).tobytes())
    h.update(f"{ctx.frame_range}:{key}:{entry.digest}".encode())
    folder = Path(workdir) / f"track-learned-{key}-{h.hexdigest()[:12]}"
    if (folder / DONE).exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    layout = rt.store.layout(entry)
    # `track` is a CPU op to the planner (its classical tracker is); the model goes on a GPU if there is one.
    placement = choose(layout, resolve_device("auto"), model_name=entry.name)
    confidence: dict[int, float] = {}
    total = len(ctx.frame_range)
    with rt.cache.use(entry, layout, placement) as loaded:
        tracker = Sam2Tracker(loaded.model, Path(entry.path))
        for done, tracked in enumerate(tracker.track(ctx.source, ctx.frame_range, {key: key_mask},
                                                     check_cancelled=ctx.check_cancelled), start=1):
            cv2.imwrite(str(mask_path(folder, tracked.index)), tracked.mask)
            confidence[tracked.index] = round(tracked.confidence, 4)
            ctx.progress("track", done, total)
    (folder / "confidence.json").write_text(json.dumps({"model": entry.name, "digest": entry.digest,
                                                        "confidence": confidence}))
    (folder / DONE).touch()
    return folder
