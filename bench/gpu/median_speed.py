"""The flow solver's 5x5 median filter, computed exactly in several ways, timed side by side.

    python bench/gpu/median_speed.py [--device cuda] [--shapes 2x270x480,8x270x480,2x540x960,8x540x960]

torch.profiler put the median at 30-45% of the torch flow's device time (bench/gpu/flow_speed.py
--kernels): `Tensor.median` over a strided dimension of the unfolded patches. Each variant here
must give the same values exactly (checked); the figure is the median ms per call of 20. The
engine now takes the median over a contiguous last dimension (the second variant's figures on an
H200 are in docs/BENCHMARKS.md, taken before the change).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from common import Figure, write_report  # noqa: E402

from retakes.engine.vision import flow_torch  # noqa: E402


def unfolded_last(flow: torch.Tensor, size: int = 5) -> torch.Tensor:
    n, c, h, w = flow.shape
    r = size // 2
    patches = F.unfold(F.pad(flow, (r, r, r, r), mode="replicate"), size).view(n, c, size * size, h * w)
    return patches.transpose(2, 3).contiguous()


def median_last(flow, size=5):
    n, c, h, w = flow.shape
    return unfolded_last(flow, size).median(dim=-1).values.view(n, c, h, w)


def kthvalue_last(flow, size=5):
    n, c, h, w = flow.shape
    return unfolded_last(flow, size).kthvalue(size * size // 2 + 1, dim=-1).values.view(n, c, h, w)


def sort_last(flow, size=5):
    n, c, h, w = flow.shape
    return unfolded_last(flow, size).sort(dim=-1).values[..., size * size // 2].reshape(n, c, h, w)


def strided(flow, size=5):
    """The engine's median before it went over a contiguous last dim."""
    n, c, h, w = flow.shape
    r = size // 2
    patches = F.unfold(F.pad(flow, (r, r, r, r), mode="replicate"), size)
    return patches.view(n, c, size * size, h * w).median(dim=2).values.view(n, c, h, w)


VARIANTS = {
    "engine (flow_torch._median)": lambda f: flow_torch._median(f, 5),
    "unfold, median over a strided dim (the engine before)": strided,
    "unfold, median over a contiguous last dim": median_last,
    "unfold, kthvalue over a contiguous last dim": kthvalue_last,
    "unfold, sort over a contiguous last dim": sort_last,
}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--shapes", default="2x270x480,8x270x480,2x540x960,8x540x960")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    dev = torch.device(args.device)
    sync = torch.cuda.synchronize if dev.type == "cuda" else (lambda: None)
    figures = []
    for shape in args.shapes.split(","):
        n, h, w = (int(x) for x in shape.split("x"))
        flow = torch.randn(n, 2, h, w, device=dev) * 4
        want = flow_torch._median(flow, 5)
        for name, fn in VARIANTS.items():
            got = fn(flow)
            exact = bool(torch.equal(got, want))
            times = []
            for _ in range(20):
                sync()
                started = time.perf_counter()
                fn(flow)
                sync()
                times.append((time.perf_counter() - started) * 1000)
            figures.append(Figure(f"{shape}: {name}", sorted(times)[10], "ms", times, "" if exact else "NOT EXACT"))
    write_report(args.json, f"5x5 median of a flow field, device {args.device}", figures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
