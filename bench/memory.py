"""Peak memory of a whole edit at two clip lengths: it must not grow with the clip.

    python bench/memory.py [--ops relight,propagate] [--lengths 300,1800] [--size 1920x1080]

Each (op, length) runs `bench/edit_speed.py` (chunks of 24 frames) in a fresh process (generation of the
1080p source, decode, op, H.264 encode, final mux) and reads that process's peak
resident set size from the kernel (getrusage RUSAGE_CHILDREN, ru_maxrss).
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
from pathlib import Path

from common import Figure, write_report

HERE = Path(__file__).resolve().parent


def peak_mib(op: str, frames: int, size: str, device: str, workers: int, chunk_frames: int = 24) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    subprocess.run([sys.executable, str(HERE / "edit_speed.py"), "--frames", str(frames), "--ops", op,
                    "--size", size, "--device", device, "--workers", str(workers),
                    "--chunk-frames", str(chunk_frames)],
                   check=True, stdout=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    # ru_maxrss of children is the largest child so far: run the short clip first.
    return max(after, before) / 1024.0


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
            figures.append(Figure(f"peak RSS, {op}, {n} frames at {args.size}", float(out.strip()), "MiB"))
    write_report(args.json, f"peak memory by clip length (device {args.device})", figures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
