"""Running `retakes` for the learned-backend tests: the real entry point, torch on one thread."""

from __future__ import annotations

import subprocess
from pathlib import Path

from .cli import RETAKES, user_env


def retakes(*args: str, home: Path, timeout: float = 300, **env: str) -> subprocess.CompletedProcess:
    """The real `retakes` entry point in a subprocess. One torch thread: on a shared 2-core machine
    two threads per process make tiny models tens of times slower, not faster."""
    environ = user_env(home, OMP_NUM_THREADS="1", **env)
    return subprocess.run([str(RETAKES), *args], capture_output=True, text=True, env=environ, timeout=timeout)
