"""Peak memory of a whole edit at two clip lengths: it must not grow with the clip.

    python bench/memory.py [--ops relight,propagate] [--lengths 300,1800] [--size 1920x1080]

Each (op, length) runs `bench/edit_speed.py` (chunks of 24 frames) in a fresh process (generation of the
1080p source, decode, op, H.264 encode, final mux). The figure is the peak of the resident
set sizes summed over that process and any children it starts, read from /proc every 20 ms
(pages they share, such as libraries, count once per process, so a sum over several errs
high). The largest single process's peak
(getrusage RUSAGE_CHILDREN, ru_maxrss) is given beside it.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

from common import Figure, GpuPeak, write_report

HERE = Path(__file__).resolve().parent


def tree_rss_kib(root: int) -> int:
    """Resident set sizes of `root` and its descendants, summed (KiB), from /proc."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
    tree, grew = {root}, True
    while grew:
        more = {pid for pid, parent in parents.items() if parent in tree} - tree
        tree |= more
        grew = bool(more)
    total = 0
    for pid in tree:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total


def peak_mib(op: str, frames: int, size: str, device: str, workers: int,
             chunk_frames: int = 24) -> tuple[float, float, float | None]:
    """(peak of the process tree's summed RSS, peak of its largest process, the GPU's peak memory in
    use over what it held before: None without nvidia-smi), MiB."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    child = subprocess.Popen([sys.executable, str(HERE / "edit_speed.py"), "--frames", str(frames), "--ops", op,
                              "--size", size, "--device", device, "--workers", str(workers),
                              "--chunk-frames", str(chunk_frames)], stdout=subprocess.DEVNULL)
    peak = 0
    with GpuPeak() as gpu:
        while child.poll() is None:
            peak = max(peak, tree_rss_kib(child.pid))
            time.sleep(0.02)
    if child.returncode:
        raise SystemExit(f"edit_speed.py failed ({child.returncode})")
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    # ru_maxrss of children is the largest child so far: run the short clip first.
    return peak / 1024.0, max(after, before) / 1024.0, gpu.peak


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", default="relight,propagate")
    parser.add_argument("--lengths", default="300,1800")
    parser.add_argument("--size", default="1920x1080")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    figures = []
    lengths = sorted(int(n) for n in args.lengths.split(","))
    for op in args.ops.split(","):
        for n in lengths:
            # One process per figure: a fresh child for each keeps ru_maxrss per run.
            code = (f"import sys; sys.argv=['memory']; sys.path.insert(0, {str(HERE)!r}); "
                    f"from memory import peak_mib; print(peak_mib({op!r}, {n}, {args.size!r}, {args.device!r}, "
                    f"{args.workers}))")
            out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
            tree, largest, gpu = (None if v.strip() == "None" else float(v) for v in out.strip().strip("()").split(","))
            figures.append(Figure(f"peak RSS, {op}, {n} frames at {args.size}", tree, "MiB",
                                  note=f"summed over its processes; the largest process alone {largest:.0f} MiB"))
            if gpu is not None:
                figures.append(Figure(f"GPU peak, {op}, {n} frames at {args.size}", gpu, "MiB",
                                      note="nvidia-smi's memory in use, polled, over what was in use before"))
    write_report(args.json, f"peak memory by clip length (device {args.device})", figures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
