"""Wan2.1 VACE (diffusers' `WanVACEPipeline`) as a `learned.video.VideoModel`: one window per call.

Loading is the model store's (`models.loader`, once per process, `local_files_only`); this module
only runs a loaded pipeline on one window: the frames and masks (255 = generate, 0 = keep) at the
working size, an optional reference image, the prompt. Progress is reported after every denoising
step and cancellation is checked there (`callback_on_step_end`), so a cancel stops within one step.
Each window's noise comes from a CPU generator seeded per window: the same seed gives the same
window on the same device, which is what makes a resumed job byte-identical.

The working size follows the published checkpoints (1.3B: 480x832, 14B: 720x1280), recognised
by the transformer's width; a model of another width (the tiny ones the tests build) works at the
crop's own size.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..models.loader import LoadedModel
from .keyframe import check_prompt
from .video import ModelWindow

#: frames per window of the published checkpoints (what they were trained on)
WINDOW = 81
#: transformer width (heads x head dim) -> (height, width) the checkpoint was trained at
_TRAINED = {1536: (480, 832), 5120: (720, 1280)}


@dataclass
class VaceSettings:
    prompt: str
    steps: int = 30
    guidance: float = 5.0
    negative_prompt: str = ""
    window: int = WINDOW


class VaceModel:
    """A loaded WanVACEPipeline with the settings of one job."""

    def __init__(self, loaded: LoadedModel, settings: VaceSettings) -> None:
        self.loaded, self.settings = loaded, settings
        pipe = loaded.model
        config = pipe.transformer.config
        patch = tuple(config.patch_size)
        self._multiple = int(getattr(pipe, "vae_scale_factor_spatial", 8)) * int(patch[1])
        trained = _TRAINED.get(int(config.num_attention_heads) * int(config.attention_head_dim))
        self._area = trained[0] * trained[1] if trained else None
        self._aspect = trained[1] / trained[0] if trained else None
        check_prompt(loaded, settings.prompt, field="params.prompt")

    @property
    def window(self) -> int:
        return self.settings.window

    @property
    def multiple(self) -> int:
        return self._multiple

    @property
    def working_area(self) -> int | None:
        return self._area

    @property
    def aspect(self) -> float | None:
        return self._aspect

    def generate(self, window: ModelWindow, step: Callable[[int, int], None]) -> np.ndarray:
        import torch
        from PIL import Image

        pipe = self.loaded.model
        frames, height, width = window.video.shape[:3]
        steps = self.settings.steps

        def on_step(pipeline, index, timestep, tensors):
            step(index + 1, steps)  # raises Cancelled between two steps when the user cancelled
            return tensors

        tokenizer = getattr(pipe, "tokenizer", None)
        limit = int(getattr(tokenizer, "model_max_length", 512) or 512)
        kwargs = {}
        if window.reference is not None:
            kwargs["reference_images"] = [Image.fromarray(window.reference)]
        with torch.inference_mode():
            out = pipe(prompt=self.settings.prompt, negative_prompt=self.settings.negative_prompt or None,
                       video=[Image.fromarray(f) for f in window.video],
                       mask=[Image.fromarray(m) for m in window.mask], height=height, width=width,
                       num_frames=frames, num_inference_steps=steps, guidance_scale=self.settings.guidance,
                       generator=torch.Generator(device="cpu").manual_seed(int(window.seed)), output_type="np",
                       callback_on_step_end=on_step, max_sequence_length=min(512, limit), **kwargs)
        video = np.asarray(out.frames[0], dtype=np.float32)
        if window.reference is not None and video.shape[0] > frames:
            video = video[video.shape[0] - frames:]  # the reference frames lead the decoded video
        return video
