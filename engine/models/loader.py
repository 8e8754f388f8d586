"""Loading, kept apart from running: each model is loaded once per engine process and reused.

diffusers' habit: `from_pretrained` once (seconds to minutes for a real model), then many calls.
The cache keys a loaded model by its weights (the manifest digest), device, dtype and memory
policy; a job holds the model while it runs it (one job at a time per model: pipelines keep
per-call state), and the least recently used idle model is dropped when another one is needed,
so the engine never holds more models than `max_models`. Every load is `local_files_only`: a
folder that is not complete fails here, it never reaches for the network.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import FailedPrecondition
from .layout import ModelLayout
from .memory import GROUP_OFFLOAD, MODEL_OFFLOAD, Placement
from .store import ModelEntry

log = logging.getLogger(__name__)


@dataclass
class LoadedModel:
    entry: ModelEntry
    layout: ModelLayout
    placement: Placement
    #: the diffusers pipeline or transformers model
    model: Any
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def device(self) -> str:
        return self.placement.device


def _torch_dtype(name: str):
    import torch

    return getattr(torch, name)


def load(entry: ModelEntry, layout: ModelLayout, placement: Placement) -> Any:
    """The model object for `entry`, placed as `placement` says."""
    path = Path(entry.path)
    dtype = _torch_dtype(placement.dtype)
    try:
        if layout.kind == "diffusers":
            return _load_pipeline(path, layout, placement, dtype)
        return _load_transformers(path, placement, dtype)
    except ImportError as error:
        raise FailedPrecondition(f"the learned backends need the 'learned' extra (pip install 'retakes[learned]'): "
                                 f"{error}", field="model") from None
    except (OSError, ValueError, KeyError, RuntimeError) as error:
        raise FailedPrecondition(f"model {entry.name!r} ({path}) does not load: {str(error).splitlines()[0]}; "
                                 f"`retakes models verify {entry.name}` checks its files", field="model") from None


def _load_pipeline(path: Path, layout: ModelLayout, placement: Placement, dtype):
    import torch
    from diffusers import AutoPipelineForInpainting, DiffusionPipeline
    from diffusers.pipelines.auto_pipeline import AUTO_INPAINT_PIPELINES_MAPPING

    auto = {cls.__name__ for cls in AUTO_INPAINT_PIPELINES_MAPPING.values()}
    loader = AutoPipelineForInpainting if layout.class_name in auto else DiffusionPipeline
    pipe = loader.from_pretrained(str(path), dtype=dtype, local_files_only=True)
    pipe.set_progress_bar_config(disable=True)
    device = torch.device(placement.device)
    if placement.policy == MODEL_OFFLOAD:
        pipe.enable_model_cpu_offload(device=device)
    elif placement.policy == GROUP_OFFLOAD:
        pipe.enable_group_offload(onload_device=device, offload_type="block_level", num_blocks_per_group=1,
                                  use_stream=True)
    else:
        pipe.to(device)
    return pipe


def _load_transformers(path: Path, placement: Placement, dtype):
    from transformers import Sam2VideoModel

    model = Sam2VideoModel.from_pretrained(str(path), dtype=dtype, local_files_only=True)
    return model.to(placement.device).eval()


class ModelCache:
    def __init__(self, max_models: int = 1) -> None:
        self.max_models = max_models
        self._models: OrderedDict[tuple, LoadedModel] = OrderedDict()
        self._lock = threading.Lock()
        #: how many times each model (by name) was loaded in this process
        self.loads: dict[str, int] = {}

    @staticmethod
    def _key(entry: ModelEntry, placement: Placement) -> tuple:
        return entry.name, entry.digest, placement.device, placement.dtype, placement.policy

    @contextlib.contextmanager
    def use(self, entry: ModelEntry, layout: ModelLayout, placement: Placement) -> Iterator[LoadedModel]:
        """The loaded model, held by the caller for the block (loading it first if needed)."""
        key = self._key(entry, placement)
        with self._lock:
            loaded = self._models.get(key)
            if loaded is None:
                self._evict_idle()
                log.info("loading model %s (%s, %s, %s)", entry.name, placement.device, placement.dtype,
                         placement.policy)
                loaded = LoadedModel(entry, layout, placement, load(entry, layout, placement))
                self._models[key] = loaded
                self.loads[entry.name] = self.loads.get(entry.name, 0) + 1
            self._models.move_to_end(key)
        with loaded.lock:
            yield loaded

    def _evict_idle(self) -> None:
        while len(self._models) >= self.max_models:
            idle = next((k for k, m in self._models.items() if not m.lock.locked()), None)
            if idle is None:
                return  # every model is in use: hold one more than the limit until they finish
            dropped = self._models.pop(idle)
            log.info("unloading model %s", dropped.entry.name)
            del dropped
            gc.collect()
            with contextlib.suppress(ImportError, RuntimeError):
                import torch

                if torch.cuda.is_available():
                    torch.cuda.empty_cache()

    def loaded(self) -> list[str]:
        with self._lock:
            return [m.entry.name for m in self._models.values()]
