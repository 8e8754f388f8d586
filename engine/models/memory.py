"""Where a model's weights live while it runs: the memory policy, chosen from free memory.

diffusers offers three placements (docs: "Reduce memory usage"), each slower and smaller than the last:

- `whole`: every component on the device. Fastest; needs all weights plus working memory.
- `model-offload`: components wait in CPU memory and move to the device one at a time when
  the pipeline calls them (`enable_model_cpu_offload`). Needs the largest component.
- `group-offload`: the denoiser itself moves block by block, streamed ahead of use
  (`enable_group_offload`, block level). Needs about one block.

The engine picks the fastest one that fits the device's free memory (or `--max-memory`, for
editors who keep Resolve on the same GPU), unless told which. On the CPU the weights simply
live in memory, in float32: CPUs have no fast half-precision matmul. Nothing here imports torch
unless a GPU is asked about.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from ..errors import RetakesError
from .layout import ModelLayout

WHOLE, MODEL_OFFLOAD, GROUP_OFFLOAD = "whole", "model-offload", "group-offload"
POLICIES = (WHOLE, MODEL_OFFLOAD, GROUP_OFFLOAD)
#: working memory (activations, the VAE's decode, the CUDA context) on top of the weights, as a
#: share of the weights and a floor; a rule of thumb from diffusers' memory guide, not a measurement
_WORK_SHARE, _WORK_FLOOR = 0.25, 1 << 30
_CPU_WORK_FLOOR = 256 << 20


class NotEnoughMemory(RetakesError, MemoryError):
    code = "RESOURCE_EXHAUSTED"


@dataclass(frozen=True)
class Placement:
    policy: str
    dtype: str  # "float32", "bfloat16", "float16"
    device: str
    #: bytes the policy needs on the device (weights it holds at once + working memory)
    need_bytes: int
    #: bytes that were available when it was chosen
    budget_bytes: int


def format_bytes(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"


def parse_bytes(text: str, *, field: str = "max_memory") -> int:
    """'24GiB', '512MB', '1e9' -> bytes."""
    from ..errors import InvalidArgument

    t = str(text).strip().lower().replace(" ", "")
    units = {"tib": 1 << 40, "gib": 1 << 30, "mib": 1 << 20, "kib": 1 << 10, "tb": 10**12, "gb": 10**9,
             "mb": 10**6, "kb": 10**3, "t": 1 << 40, "g": 1 << 30, "m": 1 << 20, "k": 1 << 10, "b": 1}
    for suffix, scale in units.items():
        if t.endswith(suffix):
            number, factor = t[: -len(suffix)], scale
            break
    else:
        number, factor = t, 1
    try:
        value = float(number) * factor
    except ValueError:
        raise InvalidArgument(f"expected a size such as 12GiB or 800MB, got {text!r}", field=field) from None
    if value <= 0:
        raise InvalidArgument(f"expected a positive size, got {text!r}", field=field)
    return int(value)


def dtype_for(device: str) -> str:
    if not device.startswith("cuda"):
        return "float32"
    import torch

    index = int(device.split(":")[1]) if ":" in device else 0
    return "bfloat16" if torch.cuda.get_device_capability(index) >= (8, 0) else "float16"


def needs(layout: ModelLayout, dtype: str) -> dict[str, int]:
    """Bytes on the device under each policy, for `layout`'s weights at `dtype`."""
    size = 4 if dtype == "float32" else 2
    weights = [c.parameters * size for c in layout.components]
    total = sum(weights)
    work = max(_WORK_FLOOR if dtype != "float32" else _CPU_WORK_FLOOR, int(total * _WORK_SHARE))
    largest = max(weights, default=0)
    block = max((c.largest_block for c in layout.components), default=0) * size
    return {WHOLE: total + work, MODEL_OFFLOAD: largest + work, GROUP_OFFLOAD: block + work}


def free_memory(device: str) -> int:
    """Bytes free on `device` now: the GPU's free memory, or the machine's available memory."""
    if device.startswith("cuda"):
        import torch

        free, _total = torch.cuda.mem_get_info(torch.device(device))
        return int(free)
    try:
        import psutil

        return int(psutil.virtual_memory().available)
    except ImportError:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")


def choose(layout: ModelLayout, device: str, *, requested: str = "auto", budget: int | None = None,
           dtype: str | None = None, model_name: str = "the model", free: int | None = None) -> Placement:
    """The fastest placement that fits `budget` (default: free memory now), or the one `requested`.

    Raises NotEnoughMemory naming what would fit (field `memory_policy`), or that nothing does.
    """
    from ..errors import InvalidArgument

    requested = (requested or "auto").strip().lower()
    if requested not in ("auto", *POLICIES):
        raise InvalidArgument(f"expected auto, {', '.join(POLICIES)}; got {requested!r}", field="memory_policy")
    dtype = dtype or dtype_for(device)
    available = free_memory(device) if free is None else free
    if budget is not None:  # a cap (`--max-memory`): room left for Resolve on the same GPU
        available = min(available, budget)
    need = needs(layout, dtype)
    # Offloading means moving weights from CPU memory to a GPU: on the CPU there is only `whole`.
    allowed = POLICIES if device.startswith("cuda") else (WHOLE,)
    if requested != "auto" and requested not in allowed:
        raise InvalidArgument(f"{requested} moves weights onto a GPU; on {device} the only policy is whole",
                              field="memory_policy")
    candidates = [requested] if requested != "auto" else list(allowed)
    for policy in candidates:
        if need[policy] <= available:
            return Placement(policy, dtype, device, need[policy], available)
    fitting = [p for p in allowed if need[p] <= available]
    where = f"{format_bytes(available)} available on {device}"
    if fitting:
        raise NotEnoughMemory(
            f"{model_name} needs {format_bytes(need[requested])} with memory policy {requested}, {where}; "
            f"--memory-policy {fitting[0]} would fit ({format_bytes(need[fitting[0]])})", field="memory_policy")
    smallest = min(allowed, key=lambda p: need[p])
    raise NotEnoughMemory(
        f"{model_name} does not fit: its smallest placement, {smallest}, needs {format_bytes(need[smallest])}, "
        f"{where}", field="memory_policy")
