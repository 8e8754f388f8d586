"""Shared helpers for the benchmark scripts: timing, machine description, result tables."""

from __future__ import annotations

import contextlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    gpu = ""
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        gpu = subprocess.run(["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"], capture_output=True,
                             text=True, timeout=10).stdout.strip().replace("\n", ", ")
    return f"{os.cpu_count()} cores, {cpu}" + (f", GPU {gpu}" if gpu else "")


@dataclass
class Figure:
    name: str
    value: float
    unit: str
    runs: list[float] = field(default_factory=list)
    note: str = ""


def timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def alternate(a: Callable[[], object], b: Callable[[], object], runs: int) -> tuple[list[float], list[float]]:
    """Times a and b in turn (A B A B ...) after one warm-up each, so drift hits both alike."""
    a(), b()
    ta, tb = [], []
    for _ in range(runs):
        ta.append(timed(a))
        tb.append(timed(b))
    return ta, tb


def median(values: list[float]) -> float:
    return statistics.median(values)


def write_report(path: Path | None, title: str, figures: list[Figure]) -> None:
    print(f"\n{title}  ({machine()}, {time.strftime('%Y-%m-%d')})")
    for f in figures:
        spread = f"  [min {min(f.runs):.3g}, max {max(f.runs):.3g}]" if f.runs else ""
        print(f"  {f.name:<52} {f.value:>10.3f} {f.unit}{spread}{'  ' + f.note if f.note else ''}")
    write_json(path, {"title": title, "machine": machine(), "date": time.strftime("%Y-%m-%d"),
                      "figures": [asdict(f) for f in figures]})


def write_json(path: Path | None, report: dict) -> None:
    """`report` as indented JSON at `path` (its folder made), nothing without a path."""
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(report, indent=2))


class GpuPeak:
    """Polls nvidia-smi while a run goes on: the most memory in use on the GPU(s), in MiB."""

    def __init__(self, interval: float = 0.2) -> None:
        self.interval = interval
        self.peak: float | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @staticmethod
    def used() -> float | None:
        if shutil.which("nvidia-smi") is None:
            return None
        try:
            out = subprocess.run(["nvidia-smi", "--query-gpu=memory.used", "--format=csv,noheader,nounits"],
                                 capture_output=True, text=True, timeout=5).stdout
            return float(sum(float(x) for x in out.split()))
        except (OSError, ValueError, subprocess.SubprocessError):
            return None

    def __enter__(self) -> GpuPeak:
        base = self.used()
        if base is not None:
            self._base = base
            self._thread = threading.Thread(target=self._poll, daemon=True)
            self._thread.start()
        return self

    def _poll(self) -> None:
        while not self._stop.is_set():
            now = self.used()
            if now is not None:
                self.peak = max(self.peak or 0.0, now - self._base)
            self._stop.wait(self.interval)

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
