"""Which compute devices this engine can use, and the choice behind `device: auto`.

torch is optional (the GPU extra): without it the engine runs every op on the CPU path
(numpy/OpenCV), which is the reference the GPU path is tested against.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .errors import InvalidArgument, shown


@dataclass(frozen=True)
class DeviceInfo:
    name: str
    description: str
    available: bool


def _nvidia_driver_present() -> bool:
    """Cheap test before importing torch (seconds of start-up) on machines with no NVIDIA GPU."""
    return Path("/proc/driver/nvidia").exists() or shutil.which("nvidia-smi") is not None


@lru_cache(maxsize=1)
def list_devices() -> tuple[DeviceInfo, ...]:
    devices = [DeviceInfo("cpu", f"CPU ({os.cpu_count()} cores, numpy/OpenCV)", True)]
    if _nvidia_driver_present() and importlib.util.find_spec("torch") is not None:
        import torch

        for i in range(torch.cuda.device_count()):
            props = torch.cuda.get_device_properties(i)
            devices.append(DeviceInfo(f"cuda:{i}", f"{props.name}, {props.total_memory // 2**20} MiB", True))
    return tuple(devices)


def resolve_device(requested: str, *, field: str = "device") -> str:
    """Maps "", "auto", "cpu", "cuda" or "cuda:N" to a concrete device name."""
    names = [d.name for d in list_devices()]
    wanted = (requested or "auto").strip().lower()
    if wanted == "auto":
        return next((n for n in names if n.startswith("cuda")), "cpu")
    if wanted == "cuda":
        wanted = "cuda:0"
    if wanted == "torch:cpu" and importlib.util.find_spec("torch") is not None:
        return wanted  # the GPU code path run on the CPU: for checking it where there is no GPU
    if wanted not in names:
        raise InvalidArgument(f"device {shown(requested)} is not available here; available: {', '.join(names)}",
                              field=field)
    return wanted
