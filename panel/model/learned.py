"""What the panel knows about the engine's learned keyframe edits: whether one can run, and the request.

The engine's capabilities list each learned backend with its state ("ready (NAME)", or "needs weights:
..." with the command that provides them). The panel never guesses a model: it shows those words, and
lets the engine pick the model for the task (an inpainting model when a mask is painted, an
instruction-edit model otherwise), as `retakes keyframe` does without `--model`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from retakes.bridge.clipref import ClipRef
from retakes.v1 import engine_pb2 as pb

THUMB_WIDTH = 112  # px: three variants side by side in the edit column


@dataclass(frozen=True)
class KeyframeReadiness:
    """Whether "Edit frame from prompt" can run now, and the words that say why (or with which model)."""

    ready: bool
    words: str


def keyframe_readiness(caps: pb.Capabilities | None, has_mask: bool) -> KeyframeReadiness:
    """From the engine's learned backends: an instruction-edit model works with or without a mask, an
    inpainting model only with one (it repaints the masked region)."""
    if caps is None:
        return KeyframeReadiness(False, "connect to the engine")
    backends = {b.backend: b for b in caps.learned if b.op == "keyframe"}
    if not backends:
        return KeyframeReadiness(False, f"engine {caps.engine_version} has no learned keyframe edits")
    instruct, inpaint = backends.get("instruct"), backends.get("inpaint")
    if has_mask and inpaint is not None and inpaint.ready:
        return KeyframeReadiness(True, inpaint.state)
    if instruct is not None and instruct.ready:
        return KeyframeReadiness(True, instruct.state)
    if inpaint is not None and inpaint.ready:
        return KeyframeReadiness(False, f"paint a mask on this frame: {inpaint.model} is an inpainting model "
                                        "and repaints only the masked region")
    # No weights at all: the engine's own words, for the model that works with a mask or without one.
    first = instruct or next(iter(backends.values()))
    return KeyframeReadiness(False, first.state)


def keyframe_request(clip: ClipRef, frame: int, prompt: str, *, mask_path: str = "", variants: int = 1,
                     seed: int = 0, steps: int = 0) -> pb.KeyframeRequest:
    """EditKeyframe for source frame `frame` of the clip's media (a media index, as in EditRequest)."""
    request = pb.KeyframeRequest(source=pb.MediaRef(path=clip.media_path), frame=frame, prompt=prompt,
                                 variants=variants, seed=seed, steps=steps)
    if Path(clip.media_path).is_dir():
        request.sequence_rate = str(clip.source_rate)
    if mask_path:
        request.mask.path = mask_path
    return request


def thumbnail(png: bytes, width: int = THUMB_WIDTH) -> np.ndarray:
    """A variant's PNG (8 or 16 bit) as a small 8-bit RGB image (worker thread)."""
    image = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_UNCHANGED)
    if image is None:
        raise ValueError("the engine sent a variant that is not a readable PNG")
    if image.dtype == np.uint16:
        image = (image >> 8).astype(np.uint8)
    if image.ndim == 2:
        image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    h, w = image.shape[:2]
    small = cv2.resize(image[..., :3], (width, max(1, round(h * width / w))), interpolation=cv2.INTER_AREA)
    return cv2.cvtColor(small, cv2.COLOR_BGR2RGB)
