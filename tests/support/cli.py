"""Running the `retakes` command as a user does: the console script pip installed, in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

#: The `retakes` executable of the environment running the tests (pip puts it beside python).
RETAKES = Path(sys.executable).with_name("retakes.exe" if os.name == "nt" else "retakes")


def user_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment of a user whose retakes state is `home`, with no engine of the tests'."""
    env = {**os.environ, "RETAKES_HOME": str(home), **extra}
    env.pop("RETAKES_ENGINE", None)
    return env


def retakes(*args: str, home: Path, timeout: float = 240, cwd: Path | None = None,
            env: dict[str, str] | None = None, **popen) -> subprocess.CompletedProcess:
    return subprocess.run([str(RETAKES), *args], capture_output=True, text=True, timeout=timeout, cwd=cwd,
                          env=env or user_env(home), **popen)


def one_line_error(run: subprocess.CompletedProcess) -> str:
    """The error a failed command printed, asserting it is one line and no traceback."""
    assert "Traceback" not in run.stderr, run.stderr
    lines = [line for line in run.stderr.strip().splitlines() if line.strip()]
    assert len(lines) == 1, run.stderr
    return lines[0]
