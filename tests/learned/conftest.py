"""Tiny model folders (tests/learned/tiny.py), built once per session, and helpers to run `retakes`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

RETAKES = str(Path(sys.executable).with_name("retakes"))


def retakes(*args: str, home: Path, timeout: float = 300, **env) -> subprocess.CompletedProcess:
    """The real `retakes` entry point in a subprocess. One torch thread: on a shared 2-core machine
    two threads per process make tiny models tens of times slower, not faster."""
    environ = {**os.environ, "RETAKES_HOME": str(home), "OMP_NUM_THREADS": "1", **env}
    environ.pop("RETAKES_ENGINE", None)
    return subprocess.run([RETAKES, *args], capture_output=True, text=True, env=environ, timeout=timeout)


@pytest.fixture(scope="session")
def tiny(tmp_path_factory) -> dict[str, Path]:
    from .tiny import build_inpaint, build_instruct, build_sam2

    root = tmp_path_factory.mktemp("tiny-models")
    return {"inpaint": build_inpaint(root / "inpaint"), "instruct": build_instruct(root / "instruct"),
            "sam2": build_sam2(root / "sam2")}


@pytest.fixture(scope="module")
def one_thread():
    """torch in this process on one thread, for the module (see `retakes`)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
