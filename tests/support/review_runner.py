"""Running the installed `retakes` executable as a user does: a subprocess, its own environment."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

RETAKES = Path(sys.executable).with_name("retakes")  # the console script pip installed beside python


def env_for(home: Path, **extra: str) -> dict[str, str]:
    env = {**os.environ, "RETAKES_HOME": str(home), "XDG_CONFIG_HOME": str(home / "config"), **extra}
    for name in ("RETAKES_ENGINE", "RETAKES_FRAMEIO_CLIENT_ID", "RETAKES_FRAMEIO_CLIENT_SECRET"):
        if name not in extra:
            env.pop(name, None)
    return env


def retakes(*args: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([str(RETAKES), *args], capture_output=True, text=True, env=env, timeout=timeout)


class Serving:
    """`retakes review serve ...` running in the background, with the link it printed."""

    def __init__(self, *args: str, env: dict[str, str], timeout: float = 60) -> None:
        self.proc = subprocess.Popen([str(RETAKES), "review", "serve", *args], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, env=env)
        self.out: list[str] = []
        self.url = ""
        self._lines: queue.Queue[str] = queue.Queue()
        lines = self._lines
        # A reader thread, not select(): readline buffers, so a second line can sit in Python's
        # buffer while the pipe itself looks empty.
        self._reader = threading.Thread(target=lambda: [lines.put(x) for x in self.proc.stdout] + [lines.put("")],
                                         daemon=True)
        self._reader.start()
        deadline = time.monotonic() + timeout
        while not self.url:
            try:
                line = lines.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                line = ""
            if not line:
                _, out, err = self.stop()
                raise AssertionError(f"serve printed no link; stdout {out!r}, stderr {err!r}")
            self.out.append(line)
            if m := re.search(r"review link .*?: (http://\S+)", line):
                self.url = m.group(1)
        self.base, self.token = self.url.split("/?t=")

    def stop(self) -> tuple[int, str, str]:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)  # Ctrl+C, as the printed line says
        err = self.proc.stderr.read()
        self.proc.wait(timeout=20)
        self._reader.join(5)
        rest = []
        while not self._lines.empty():
            rest.append(self._lines.get())
        return self.proc.returncode, "".join(self.out + rest), err
