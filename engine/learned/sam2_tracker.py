"""A learned mask tracker: SAM 2 video (transformers' `Sam2VideoModel`) from local weights.

frames + keyframe mask(s) -> a mask and a confidence per frame, the same shape of answer as the
classical tracker, so `track` (and the ops that track a keyframe mask) can use either.

- Streaming, with a bounded memory bank. Frames are fed one at a time (the model's streaming
  mode); after each frame the session forgets everything the model can no longer look at: frames
  older than its memory window (`num_maskmem` memories, `max_object_pointers_in_encoder`
  pointers), their cached features and outputs. What it holds is then the same after 100 frames
  as after 10 000 (`held_bytes`, shown at two lengths by the tests): memory flat in clip length.
- At the model's size. Each frame is scaled to the model's square input (1024 px for the
  published checkpoints); its mask logits come back at a quarter of that. They are scaled up to
  the frame and refined against the frame's own edges with a guided filter (guide: the frame's
  luma), so a 4K mask follows hair and edges the 256 px logits cannot resolve.
- Outward from the key. Forward from the first keyframe to the range's end, then backward to its
  start in a second session (time reversed, which is how SAM 2 itself tracks backward). A later
  keyframe met on the way re-conditions the model there.
- Confidence: the model's own object-presence score (sigmoid of its object logit): near 0 where
  it believes the object is gone or occluded.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ..errors import InvalidArgument
from ..ops.base import FrameSource
from ..ops.feather import guided_filter
from ..timecode import FrameRange
from ..vision.tracker import TrackedMask
from ..vision.walk import frames_outward

_MEAN, _STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
#: the guided filter's radius (fraction of the frame's longer side) and regularisation
_EDGE_RADIUS, _EDGE_EPS = 0.004, 1e-3


@dataclass
class TrackStats:
    """What the tracker held, for the memory tests and the benchmark."""

    frames: int = 0
    #: the most bytes of tensors the session held after any frame
    peak_held_bytes: int = 0


def _normalisation(path: Path | None, default_size: int) -> tuple[tuple, tuple, int]:
    if path is not None and (config := path / "preprocessor_config.json").is_file():
        data = json.loads(config.read_text())
        size = data.get("size", {})
        side = int(size.get("height") or size.get("longest_edge") or default_size)
        return tuple(data.get("image_mean", _MEAN)), tuple(data.get("image_std", _STD)), side
    return _MEAN, _STD, default_size


class Sam2Tracker:
    """One loaded SAM 2 video model; `track` may be called for many jobs (one at a time)."""

    def __init__(self, model, folder: Path | None = None) -> None:
        import torch

        self.model = model
        self.device = next(model.parameters()).device
        self.dtype = next(model.parameters()).dtype
        mean, std, side = _normalisation(folder, int(model.config.image_size))
        self.side = side
        self._mean = torch.tensor(mean, device=self.device).view(3, 1, 1)
        self._std = torch.tensor(std, device=self.device).view(3, 1, 1)
        cfg = model.config
        #: how many past frames the model can look at: its memories and its object pointers
        self.window = max(int(cfg.num_maskmem), int(cfg.max_object_pointers_in_encoder))

    # ------------------------------------------------------------------ pieces

    def _pixels(self, frame: np.ndarray):
        import torch

        small = cv2.resize(frame, (self.side, self.side), interpolation=cv2.INTER_AREA)
        if small.dtype != np.uint8:
            small = (small >> 8).astype(np.uint8)
        x = torch.from_numpy(np.ascontiguousarray(small)).to(self.device).permute(2, 0, 1).float() / 255.0
        return ((x - self._mean) / self._std).to(self.dtype)

    def _session(self, height: int, width: int):
        from transformers.models.sam2_video.modeling_sam2_video import Sam2VideoInferenceSession

        return Sam2VideoInferenceSession(video_height=height, video_width=width, inference_device=self.device,
                                         inference_state_device=self.device, video_storage_device=self.device,
                                         dtype=self.dtype)

    def _condition(self, session, step: int, mask: np.ndarray) -> None:
        import torch

        small = cv2.resize((mask >= 128).astype(np.float32), (self.side, self.side), interpolation=cv2.INTER_AREA)
        tensor = torch.from_numpy((small >= 0.5).astype(np.float32))[None, None]
        obj = session.obj_id_to_idx(1)
        session.add_mask_inputs(obj, step, tensor)
        session.obj_with_new_inputs = [1]

    def _forget(self, session, step: int) -> None:
        """Drops what the model can no longer attend to (the bounded memory bank)."""
        oldest = step - self.window
        if session.processed_frames:
            for k in [k for k in session.processed_frames if k < step]:
                del session.processed_frames[k]
        for out in session.output_dict_per_obj.values():
            for k in [k for k in out["non_cond_frame_outputs"] if k < oldest]:
                del out["non_cond_frame_outputs"][k]
        for tracked in session.frames_tracked_per_obj.values():
            for k in [k for k in tracked if k < oldest]:
                del tracked[k]

    def _refine(self, logits, frame: np.ndarray) -> tuple[np.ndarray, float]:
        import torch

        h, w = frame.shape[:2]
        prob = torch.sigmoid(logits.float())[0, 0].cpu().numpy()
        up = cv2.resize(prob, (w, h), interpolation=cv2.INTER_LINEAR)
        luma = cv2.cvtColor(frame if frame.dtype == np.uint8 else (frame >> 8).astype(np.uint8), cv2.COLOR_RGB2GRAY)
        radius = max(2, int(round(_EDGE_RADIUS * max(h, w))))
        # The fast guided filter (coefficients at 1/4 size) keeps this cheap at 4K.
        refined = guided_filter(luma.astype(np.float32) / 255.0, up.astype(np.float32), radius, _EDGE_EPS,
                                subsample=4 if max(h, w) > 1500 else 1)
        return (refined >= 0.5).astype(np.uint8) * 255, 0.0

    # ------------------------------------------------------------------ the walk

    def _walk(self, frames: Iterator[tuple[int, np.ndarray]], keys: dict[int, np.ndarray],
              check_cancelled: Callable[[], None], stats: TrackStats) -> Iterator[TrackedMask]:
        import torch

        session = None
        with torch.inference_mode():
            for step, (index, frame) in enumerate(frames):
                check_cancelled()
                if session is None:
                    session = self._session(*frame.shape[:2])
                if index in keys:
                    self._condition(session, step, keys[index])
                out = self.model(inference_session=session, frame=self._pixels(frame), frame_idx=step)
                self._forget(session, step)
                mask, _ = self._refine(out.pred_masks, frame)
                confidence = float(torch.sigmoid(out.object_score_logits.float()).reshape(-1)[0])
                stats.frames += 1
                stats.peak_held_bytes = max(stats.peak_held_bytes, held_bytes(session))
                yield TrackedMask(index, mask, confidence)

    def track(self, source: FrameSource, frame_range: FrameRange, keys: dict[int, np.ndarray], *,
              check_cancelled: Callable[[], None] = lambda: None,
              stats: TrackStats | None = None) -> Iterator[TrackedMask]:
        """Yields every frame of `frame_range` once: the first keyframe, forward to the end, then
        backward to the start. `keys` maps source frames to their masks (uint8, >= 128 inside)."""
        if not keys:
            raise InvalidArgument("the learned tracker needs at least one keyframe mask", field="mask")
        outside = [k for k in keys if k not in frame_range]
        if outside:
            raise InvalidArgument(f"mask frame {outside[0]} lies outside the range {frame_range}", field="mask_frame")
        for k, m in keys.items():
            if not (m >= 128).any():
                raise InvalidArgument(f"the mask of frame {k} is empty (no pixel >= 128)", field="mask")
        stats = stats if stats is not None else TrackStats()
        first = min(keys)
        yield from self._walk(frames_outward(source, frame_range, first, 1), keys, check_cancelled, stats)
        if first > frame_range.start:
            back = frames_outward(source, FrameRange(frame_range.start, first + 1), first, -1)
            for tracked in self._walk(back, keys, check_cancelled, stats):
                if tracked.index != first:  # the forward pass gave the key frame already
                    yield tracked


def held_bytes(session) -> int:
    """Bytes of every tensor an inference session holds: frames, cached features, outputs."""
    import torch

    seen, total = set(), 0

    def add(value) -> None:
        nonlocal total
        if isinstance(value, torch.Tensor):
            key = (value.data_ptr(), value.numel())
            if key not in seen:
                seen.add(key)
                total += value.numel() * value.element_size()
        elif isinstance(value, dict):
            for v in value.values():
                add(v)
        elif isinstance(value, (list, tuple)):
            for v in value:
                add(v)

    add(session.processed_frames or {})
    add(session.cache._vision_features)
    add(session.output_dict_per_obj)
    add(session.mask_inputs_per_obj)
    add(session.point_inputs_per_obj)
    return total
