"""The generative backend behind `replace`, `remove`, `restyle` and `propagate`: the seam the ops call.

An op says, per frame, what the model is shown and where it may generate (`video.FrameInput`);
this module picks the model from the store (the video-edit task), runs the windows
(`video.run_windows`) in the job's work folder, and reads the frames back at render time.
Without weights, a request for the generative backend is refused when it is submitted, with the
command that provides them ("needs weights: retakes models pull wan2.1-vace-1.3b ...").
`auto` means generative when the store has a video-edit model, the classical op otherwise.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from ..devices import resolve_device
from ..errors import InvalidArgument
from ..models import VIDEO_EDIT, runtime
from ..models.memory import choose
from ..ops.base import EditContext
from ..ops.generative_params import AUTO, BACKENDS, CLASSICAL, GENERATIVE, MODEL_PARAMS, chosen
from . import video

__all__ = ["AUTO", "BACKENDS", "CLASSICAL", "GENERATIVE", "MODEL_PARAMS", "GenerativeRun", "check", "chosen",
           "read_reference"]

def check(params: dict[str, Any], *, prompt_required: bool) -> None:
    """At submit, before anything runs: the prompt and the weights."""
    prompt = params.get("prompt")
    if prompt is not None and not str(prompt).strip():
        raise InvalidArgument("expected a prompt saying what to make, e.g. 'a 1970s brick building'; "
                              "it is empty", field="params.prompt")
    if prompt_required and prompt is None:
        raise InvalidArgument("expected --prompt: what to make of the masked region", field="params.prompt")
    window = int(params.get("window") or 81)
    if (window - 1) % 4:
        raise InvalidArgument(f"expected a window of 4k+1 frames (the model's VAE packs 4 frames), got {window}",
                              field="params.window")
    model = params.get("model") or ""
    runtime().require(VIDEO_EDIT, model, field="params.model" if model else "params.backend")


@dataclass
class GenerativeRun:
    """One op's generated frames: run once in `prepare` (resumable), read back in `render`."""

    stored: video.StoredFrames | None = None

    def prepare(self, ctx: EditContext, op: str, inputs: Callable[[int], video.FrameInput], workdir: Path, *,
                whole_frame: bool, default_prompt: str = "", strength: float = 1.0,
                reference: np.ndarray | None = None, gpu: bool = True) -> None:
        from .vace import VaceModel, VaceSettings

        p = ctx.params
        rt = runtime()
        model = p.get("model") or ""
        entry = rt.require(VIDEO_EDIT, model, field="params.model" if model else "params.backend")
        layout = rt.store.layout(entry)
        placement = choose(layout, resolve_device(ctx.device if gpu else "auto"), model_name=entry.name)
        prompt = (p.get("prompt") or default_prompt).strip()
        window = int(p.get("window") or 81)
        settings = video.WindowSettings(overlap=int(p.get("overlap") if p.get("overlap") is not None else 8),
                                  feather=float(p.get("gen_feather") if p.get("gen_feather") is not None else 4.0),
                                  seed=int(ctx.seed), strength=strength, reference=reference)
        # the folder is named after everything the frames depend on, so a changed request never reads old ones
        key = json.dumps([op, str(ctx.frame_range), entry.digest, placement.device, placement.dtype, prompt,
                          {k: v for k, v in sorted(p.items()) if k != "model"}, ctx.seed, whole_frame, strength,
                          None if reference is None else hashlib.sha1(reference.tobytes()).hexdigest()],
                         default=str)
        folder = workdir / f"generate-{op}-{hashlib.sha1(key.encode()).hexdigest()[:12]}"
        fr = ctx.frame_range
        windows_steps = int(p.get("steps") or 30)

        def progress(w: video.WindowProgress) -> None:
            ctx.progress(f"generate: window {w.window + 1} of {w.windows}", w.window * w.steps + w.step,
                         w.windows * w.steps)

        with rt.cache.use(entry, layout, placement) as loaded:
            vace = VaceModel(loaded, VaceSettings(prompt, windows_steps, float(p.get("guidance") or 5.0),
                                                  window=window))
            self.stored = video.run_windows(vace, fr.start, len(fr), inputs, folder, settings, whole_frame=whole_frame,
                                      progress=progress, check_cancelled=ctx.check_cancelled)

    def render(self, index: int, base: np.ndarray) -> np.ndarray:
        assert self.stored is not None, "prepare first"
        return self.stored.final(index, base)


def read_reference(path: str | None, field: str = "params.reference") -> np.ndarray | None:
    """A style or content reference image as uint8 RGB; InvalidArgument naming `field`."""
    if not path:
        return None
    if not Path(path).is_file():
        raise InvalidArgument(f"no such image: {path}", field=field)
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise InvalidArgument(f"{path} is not an image OpenCV reads (PNG, JPEG, TIFF, ...)", field=field)
    return np.ascontiguousarray(image[..., ::-1])
