"""`EditKeyframe`: a prompt-edited keyframe, validated up front, then run with progress and cancel.

Planning checks everything a user can get wrong before any weight is loaded: the source and
frame, the mask (its size, that it is not empty), the prompt, the variant and step counts, the
model (that there is one, and that it is of a kind that edits keyframes), and the memory policy.
Running holds the model from the process's cache (loaded once), edits, and yields the variants.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ...v1 import engine_pb2
from ..devices import resolve_device
from ..errors import FailedPrecondition, InvalidArgument
from ..media import FrameReader, KeyframeMask, MediaInfo, load_masks, probe
from ..models.layout import KEYFRAME_INPAINT, KEYFRAME_INSTRUCT, ModelLayout
from ..models.memory import Placement, choose
from ..models.runtime import LearnedRuntime, needs_weights
from ..models.store import ModelEntry
from ..plan import MediaResolver, local_path
from ..timecode import FrameRange, FrameRate
from .keyframe import KeyframeSettings, edit_keyframe
from .lineage import encode_png

MAX_VARIANTS = 8
MAX_STEPS = 200
DEFAULT_STEPS = 30


@dataclass
class KeyframePlan:
    source: MediaInfo
    frame: int
    mask: np.ndarray | None
    entry: ModelEntry
    layout: ModelLayout
    task: str
    placement: Placement
    settings: KeyframeSettings


def _task_for(rt: LearnedRuntime, model: str, has_mask: bool) -> tuple[ModelEntry, str]:
    if model:
        entry = rt.store.get(model)
        tasks = [t for t in entry.tasks if t in (KEYFRAME_INPAINT, KEYFRAME_INSTRUCT)]
        if not tasks:
            raise InvalidArgument(f"model {model!r} is a {entry.class_name} ({', '.join(entry.tasks) or 'no task'}); "
                                  "keyframe edits need an inpainting or instruction-edit model", field="model")
        return rt.require(tasks[0], model), tasks[0]
    # Without a model named: a mask makes inpainting the natural choice; either kind works with a mask.
    order = (KEYFRAME_INPAINT, KEYFRAME_INSTRUCT) if has_mask else (KEYFRAME_INSTRUCT,)
    for task in order:
        if ready := rt.store.for_task(task):
            return ready[0], task
    # The suggestion is an instruction-edit model: it works with a mask and without one.
    raise FailedPrecondition(needs_weights(KEYFRAME_INSTRUCT), field="model")


def plan_keyframe(request: engine_pb2.KeyframeRequest, rt: LearnedRuntime,
                  resolve: MediaResolver = local_path) -> KeyframePlan:
    if not request.HasField("source"):
        raise InvalidArgument("expected the source media", field="source")
    rate = FrameRate.parse(request.sequence_rate, field="sequence_rate") if request.sequence_rate else None
    source = probe(resolve(request.source, "source"), sequence_rate=rate)
    if not 0 <= request.frame < source.frame_count:
        raise InvalidArgument(f"frame {request.frame} lies outside the media's {source.frame_count} frames",
                              field="frame")
    if not request.prompt.strip():
        raise InvalidArgument("expected a prompt saying what to change, e.g. 'change the car to red'", field="prompt")
    variants = request.variants or 1
    if not 1 <= variants <= MAX_VARIANTS:
        raise InvalidArgument(f"expected 1 to {MAX_VARIANTS} variants, got {variants}", field="variants")
    steps = request.steps or DEFAULT_STEPS
    if not 1 <= steps <= MAX_STEPS:
        raise InvalidArgument(f"expected 1 to {MAX_STEPS} steps, got {steps}", field="steps")
    feather = request.feather if request.HasField("feather") else 8.0
    if not 0 <= feather <= 256:
        raise InvalidArgument(f"expected a feather of 0 to 256 px, got {feather:g}", field="feather")
    mask = None
    if request.HasField("mask"):
        loaded = load_masks(resolve(request.mask, "mask"), source, FrameRange(request.frame, request.frame + 1),
                            mask_frame=request.frame, field="mask")
        mask = loaded.image if isinstance(loaded, KeyframeMask) else loaded.mask(request.frame)
        if not (mask >= 128).any():
            raise InvalidArgument("the mask is empty (no pixel >= 128): paint the region to change", field="mask")
    device = resolve_device(request.device)
    entry, task = _task_for(rt, request.model, mask is not None)
    if task == KEYFRAME_INPAINT and mask is None:
        raise InvalidArgument(f"{entry.name} is an inpainting model: it needs a mask of the region to repaint",
                              field="mask")
    layout = rt.store.layout(entry)
    placement = choose(layout, device, requested=request.memory_policy or "auto",
                       budget=request.max_memory_bytes or None, model_name=entry.name)
    seeds = tuple(request.seed + i for i in range(variants))
    settings = KeyframeSettings(request.prompt.strip(), seeds, steps,
                                request.guidance if request.HasField("guidance") else None, feather)
    return KeyframePlan(source, request.frame, mask, entry, layout, task, placement, settings)


def read_frame(plan: KeyframePlan) -> np.ndarray:
    with FrameReader(plan.source) as reader:
        return reader.frame(plan.frame)


def run_keyframe(plan: KeyframePlan, rt: LearnedRuntime, check_cancelled: Callable[[], None],
                 emit: Callable[[engine_pb2.KeyframeEvent], None]) -> None:
    """Runs the plan, emitting progress, each variant, then done. Raises Cancelled when stopped."""
    started = time.perf_counter()
    n = len(plan.settings.seeds)
    emit(engine_pb2.KeyframeEvent(progress=engine_pb2.KeyframeProgress(stage="load", variants=n,
                                                                       steps=plan.settings.steps)))
    frame = read_frame(plan)
    model_use = engine_pb2.ModelUse(name=plan.entry.name, class_name=plan.entry.class_name, task=plan.task,
                                    digest=plan.entry.digest, memory_policy=plan.placement.policy,
                                    dtype=plan.placement.dtype, device=plan.placement.device)
    lineage = {"source": str(plan.source.path), "frame": plan.frame, "prompt": plan.settings.prompt,
               "model": plan.entry.name, "model_digest": plan.entry.digest, "task": plan.task,
               "steps": plan.settings.steps, "guidance": plan.settings.guidance, "feather": plan.settings.feather,
               "dtype": plan.placement.dtype, "device": plan.placement.device}

    def progress(variant: int, step: int, steps: int) -> None:
        emit(engine_pb2.KeyframeEvent(progress=engine_pb2.KeyframeProgress(
            stage="edit", variant=variant, variants=n, step=step, steps=steps)))

    def on_variant(index: int, image: np.ndarray) -> None:
        seed = plan.settings.seeds[index]
        png = encode_png(image, {**lineage, "seed": seed, "variant": index})
        emit(engine_pb2.KeyframeEvent(variant=engine_pb2.KeyframeVariant(
            index=index, seed=seed, width=image.shape[1], height=image.shape[0], png=png)))

    with rt.cache.use(plan.entry, plan.layout, plan.placement) as loaded:
        _, crop = edit_keyframe(loaded, frame, plan.mask, plan.settings, task=plan.task, progress=progress,
                                check_cancelled=check_cancelled, on_variant=on_variant)
    r = crop.region
    emit(engine_pb2.KeyframeEvent(done=engine_pb2.KeyframeDone(
        model=model_use, frame=plan.frame, prompt=plan.settings.prompt, steps=plan.settings.steps,
        seeds=list(plan.settings.seeds), crop_x=r.x0, crop_y=r.y0, crop_width=r.x1 - r.x0, crop_height=r.y1 - r.y0,
        work_width=crop.work_width, work_height=crop.work_height, seconds=time.perf_counter() - started)))
