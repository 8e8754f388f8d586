"""Prompt-driven keyframe edits with a diffusers image pipeline from the store.

Two kinds of pipeline, told apart by the class the model folder declares (`models.layout`):
inpainting pipelines repaint the masked region from a prompt ("a red car"), instruction-edit
pipelines follow an instruction on the image ("make the car red"). Either way the model sees the
mask's box at its working size and its output is stitched back through the feathered mask
(`learned.crop`). Variants differ only by seed (seed, seed + 1, ...); each seed drives a CPU
generator, so a seed gives the same image on any machine's CPU path, and the seed is what the
lineage records. Progress is reported and cancellation checked between denoising steps.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..errors import InvalidArgument
from ..models.layout import KEYFRAME_INPAINT
from ..models.loader import LoadedModel
from .crop import Crop, mask_to_model, plan_crop, stitch, to_model

MAX_PROMPT_CHARS = 2000
#: the working size (longer side) by pipeline family, when the denoiser's config does not tell
_NATIVE = {"StableDiffusionXL": 1024, "Flux": 1024, "QwenImage": 1024, "StableDiffusion3": 1024}


@dataclass(frozen=True)
class KeyframeSettings:
    prompt: str
    seeds: tuple[int, ...]
    steps: int
    guidance: float | None = None
    feather: float = 8.0


def working_size(loaded: LoadedModel) -> tuple[int, int]:
    """(longer side the model was trained at, the multiple its sides must be)."""
    pipe = loaded.model
    vae_scale = int(getattr(pipe, "vae_scale_factor", 8) or 8)
    multiple = vae_scale * (2 if loaded.layout.class_name.startswith(("Flux", "QwenImage")) else 1)
    unet = getattr(pipe, "unet", None)
    if unet is not None and getattr(unet.config, "sample_size", None):
        sample = unet.config.sample_size
        sample = sample[0] if isinstance(sample, (list, tuple)) else sample
        return int(sample) * vae_scale, multiple
    for family, size in _NATIVE.items():
        if loaded.layout.class_name.startswith(family):
            return size, multiple
    return 1024, multiple


def check_prompt(loaded: LoadedModel, prompt: str, *, field: str = "prompt") -> None:
    """Empty, or longer than the text encoder reads: refused, naming the limit."""
    if not prompt.strip():
        raise InvalidArgument("expected a prompt saying what to change, e.g. 'a red car'", field=field)
    if len(prompt) > MAX_PROMPT_CHARS:
        raise InvalidArgument(f"the prompt is {len(prompt)} characters; at most {MAX_PROMPT_CHARS}", field=field)
    pipe = loaded.model
    # The tokenizer whose encoder carries the prompt: Flux's second (T5, 512 tokens), else the first.
    tokenizer = getattr(pipe, "tokenizer_2", None) if loaded.layout.class_name.startswith("Flux") else None
    tokenizer = tokenizer or getattr(pipe, "tokenizer", None)
    if tokenizer is None:
        return
    limit = int(getattr(tokenizer, "model_max_length", 0) or 0)
    if loaded.layout.class_name.startswith("Flux"):
        limit = min(limit or 512, 512)
    if not 0 < limit < 100_000:
        return
    count = len(tokenizer(prompt, truncation=False).input_ids)
    if count > limit:
        raise InvalidArgument(f"the prompt is {count} tokens; this model's text encoder "
                              f"({type(getattr(pipe, 'text_encoder_2', None) or pipe.text_encoder).__name__}) reads at "
                              f"most {limit}: shorten it", field=field)


def _call_kwargs(pipe, loaded: LoadedModel, image, mask_image, crop: Crop, settings: KeyframeSettings) -> dict:
    from PIL import Image

    accepted = set(inspect.signature(pipe.__call__).parameters)
    kwargs = {"prompt": settings.prompt, "image": Image.fromarray(image), "num_inference_steps": settings.steps,
              "output_type": "np"}
    if mask_image is not None:
        kwargs["mask_image"] = Image.fromarray(mask_image)
    if "height" in accepted:
        kwargs["height"], kwargs["width"] = crop.work_height, crop.work_width
    if "strength" in accepted and loaded.layout.tasks and loaded.layout.tasks[0] == KEYFRAME_INPAINT:
        kwargs["strength"] = 1.0
    if "_auto_resize" in accepted:  # Kontext would pick its own resolution; the crop already did
        kwargs["_auto_resize"] = False
    if settings.guidance is not None and "guidance_scale" in accepted:
        kwargs["guidance_scale"] = settings.guidance
    return kwargs


#: a working-size pixel counts as changed by an unmasked edit when a channel moved this much (of 1)
CHANGED = 0.08


def changed_region(before: np.ndarray, after: np.ndarray, crop: Crop, shape: tuple[int, ...]) -> np.ndarray:
    """Where an unmasked instruction edit changed the picture, as a full-frame mask (uint8 0/255).

    The model redraws the whole image at its working size; pasting all of it back would blur a
    4K frame everywhere. Only what it changed is kept (the way `propagate` finds an edit without
    a mask); the rest of the keyframe stays the source's, bit for bit.
    """
    import cv2

    diff = np.abs(after - before.astype(np.float32) / 255.0).max(axis=2)
    changed = (diff > CHANGED).astype(np.uint8)
    changed = cv2.morphologyEx(changed, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    changed = cv2.dilate(changed, np.ones((5, 5), np.uint8))
    full = np.zeros(shape[:2], np.uint8)
    r = crop.region
    full[r.slices] = cv2.resize(changed, (crop.width, crop.height), interpolation=cv2.INTER_NEAREST) * 255
    return full


def edit_keyframe(loaded: LoadedModel, frame: np.ndarray, mask: np.ndarray | None, settings: KeyframeSettings, *,
                  task: str, progress: Callable[[int, int, int], None] = lambda variant, step, steps: None,
                  check_cancelled: Callable[[], None] = lambda: None,
                  on_variant: Callable[[int, np.ndarray], None] | None = None) -> tuple[list[np.ndarray], Crop]:
    """One edited full frame per seed (same shape and dtype as `frame`), and the crop used.

    `progress(variant, step, steps)` after every denoising step; `check_cancelled()` raises
    engine.errors.Cancelled to stop between two steps.
    """
    import torch

    check_prompt(loaded, settings.prompt)
    if task == KEYFRAME_INPAINT and mask is None:
        raise InvalidArgument(f"{loaded.entry.name} is an inpainting model: it needs --mask (the region to repaint)",
                              field="mask")
    working, multiple = working_size(loaded)
    crop = plan_crop(frame.shape, mask, working=working, multiple=multiple, feather=settings.feather)
    image = to_model(frame, crop)
    grow = max(1, int(round(settings.feather * crop.work_width / crop.width)))
    mask_image = mask_to_model(mask, crop, grow=grow) if task == KEYFRAME_INPAINT else None
    pipe = loaded.model
    results = []
    for variant, seed in enumerate(settings.seeds):
        def on_step(pipeline, step, timestep, tensors, variant=variant):
            progress(variant, step + 1, settings.steps)
            check_cancelled()
            return tensors

        check_cancelled()
        kwargs = _call_kwargs(pipe, loaded, image, mask_image, crop, settings)
        generator = torch.Generator(device="cpu").manual_seed(int(seed))
        with torch.inference_mode():
            out = pipe(**kwargs, generator=generator, callback_on_step_end=on_step)
        edited = np.asarray(out.images[0], dtype=np.float32)
        if edited.shape[:2] != (crop.work_height, crop.work_width):  # a pipeline that sized the output itself
            import cv2

            edited = cv2.resize(edited, (crop.work_width, crop.work_height), interpolation=cv2.INTER_AREA)
        region = mask if mask is not None else changed_region(image, edited, crop, frame.shape)
        result = stitch(frame, edited, crop, region, settings.feather)
        results.append(result)
        if on_variant is not None:
            on_variant(variant, result)
    return results, crop
