"""Flow pairs per second: the torch CLG flow on a device against OpenCV's DIS, on real frames.

    python bench/gpu/flow_speed.py --clip .davis/blackswan [--device cuda] [--widths 480,960]
        [--pairs 24] [--json OUT]

Each figure is what the walk asks per frame: flow both ways and the occlusion test
(`FlowEstimator.flows_and_occlusion`), frames scaled to each working width. DIS runs on one
thread per call, as each of the walk's look-ahead workers does. Run on a CPU with
--device cpu --pairs 2 as a smoke test.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import cv2

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from common import Figure, write_report  # noqa: E402

from retakes.engine.vision.flow import FlowEstimator, working_size  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clip", type=Path, required=True)
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--widths", default="480,960")
    ap.add_argument("--pairs", type=int, default=24)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    paths = sorted((args.clip / "frames").glob("*.jpg"))[: args.pairs + 1]
    frames = [cv2.imread(str(p), cv2.IMREAD_GRAYSCALE) for p in paths]
    figures = []
    for width in (int(w) for w in args.widths.split(",")):
        h, w = frames[0].shape
        size = working_size(w * 4, h * 4, width)  # from a 4x larger source: the width is always reached
        small = [cv2.resize(f, size, interpolation=cv2.INTER_AREA) for f in frames]
        for name, est in (("DIS medium", FlowEstimator(max_width=width)),
                          (f"torch CLG on {args.device}", FlowEstimator(max_width=width, device=args.device))):
            est.flows_and_occlusion(small[0], small[1])  # warm-up (cuDNN, allocator)
            sync = _sync(est.device)
            times = []
            for a, b in zip(small, small[1:], strict=False):
                started = time.perf_counter()
                est.flows_and_occlusion(a, b)
                sync()
                times.append(time.perf_counter() - started)
            ms = sorted(times)[len(times) // 2] * 1000
            label = f"{name}, {size[0]}x{size[1]}, both ways + occlusion"
            figures.append(Figure(label, ms, "ms", [t * 1000 for t in times]))
    write_report(args.json, f"flow per frame pair ({args.clip.name})", figures)
    return 0


def _sync(device: str | None):
    if device and device.startswith("cuda"):
        import torch

        return torch.cuda.synchronize
    return lambda: None


if __name__ == "__main__":
    raise SystemExit(main())
