"""Flow pairs per second: the torch CLG flow on a device against OpenCV's DIS, on real frames.

    python bench/gpu/flow_speed.py --clip .davis/blackswan [--device cuda] [--widths 480,960]
        [--pairs 24] [--batches 2,8,16] [--kernels] [--json OUT]

Each figure is what the walk asks per frame: flow both ways and the occlusion test
(`FlowEstimator.flows_and_occlusion`), frames scaled to each working width. The torch flow is
timed as the engine runs it (its solver replayed from a CUDA graph on a CUDA device) and op by
op (every kernel launched from Python), side by side. DIS runs on one
thread per call, as each of the walk's look-ahead workers does. With --batches, the graphed
solver alone is also timed on batches of that many images (pairs, both ways): ms per pair as the
batch grows, i.e. whether the solver is bound by its kernels' launches or by the device's work.
With --kernels, torch.profiler's ten costliest kernels of one op-by-op pair at each width. Run on
a CPU with --device cpu --pairs 2 as a smoke test.
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
    ap.add_argument("--batches", default="", help="comma list of solver batch sizes (images) to time")
    ap.add_argument("--kernels", action="store_true", help="print the costliest kernels of one pair")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    paths = sorted((args.clip / "frames").glob("*.jpg"))[: args.pairs + 1]
    frames = [cv2.imread(str(p), cv2.IMREAD_GRAYSCALE) for p in paths]
    figures = []
    for width in (int(w) for w in args.widths.split(",")):
        h, w = frames[0].shape
        size = working_size(w * 4, h * 4, width)  # from a 4x larger source: the width is always reached
        small = [cv2.resize(f, size, interpolation=cv2.INTER_AREA) for f in frames]
        torch_flow = FlowEstimator(max_width=width, device=args.device)
        for name, run in (("DIS medium", FlowEstimator(max_width=width).flows_and_occlusion),
                          (f"torch CLG on {args.device}", torch_flow.flows_and_occlusion),
                          (f"torch CLG on {args.device}, op by op", _op_by_op(torch_flow))):
            run(small[0], small[1])  # warm-up (cuDNN, allocator; the CUDA graph's capture)
            sync = _sync(None if name.startswith("DIS") else args.device)
            times = []
            for a, b in zip(small, small[1:], strict=False):
                started = time.perf_counter()
                run(a, b)
                sync()
                times.append(time.perf_counter() - started)
            ms = sorted(times)[len(times) // 2] * 1000
            label = f"{name}, {size[0]}x{size[1]}, both ways + occlusion"
            figures.append(Figure(label, ms, "ms", [t * 1000 for t in times]))
        for batch in (int(b) for b in args.batches.split(",") if b):
            ms = _batched(small, batch, args.device)
            figures.append(Figure(f"torch CLG solver on {args.device}, {size[0]}x{size[1]}, batches of {batch}",
                                  ms, "ms per pair"))  # fmt: skip
        if args.kernels:
            _print_kernels(_op_by_op(torch_flow), small[0], small[1], f"{size[0]}x{size[1]}")
    write_report(args.json, f"flow per frame pair ({args.clip.name})", figures)
    return 0


def _op_by_op(est: FlowEstimator):
    """`est.flows_and_occlusion` with every kernel launched from Python (no CUDA graph): what the
    torch flow cost before its solver was captured."""
    import numpy as np
    import torch

    from retakes.engine.vision.flow_torch import clg_flow, config_for, occlusion_torch

    def run(a: np.ndarray, b: np.ndarray):
        dev = torch.device(est.device)
        up = torch.from_numpy(np.stack([a, b])).to(dev)[:, None]
        both = clg_flow(up, up.flip(0), config_for(est.preset))
        occluded = occlusion_torch(both[:1], both[1:])[0]
        return both.cpu().numpy(), occluded.cpu().numpy()

    return run


def _batched(small: list, batch: int, device: str, repeat: int = 5) -> float:
    """Median ms per pair (both ways) of the graphed solver on `batch` images at once."""
    import numpy as np
    import torch

    from retakes.engine.vision.flow_torch import batch_flow

    dev = torch.device(device)
    pairs = [(small[i % (len(small) - 1)], small[i % (len(small) - 1) + 1]) for i in range(max(1, batch // 2))]
    a = torch.from_numpy(np.stack([x for p in pairs for x in p])).to(dev)[:, None]
    b = torch.from_numpy(np.stack([x for p in pairs for x in p[::-1]])).to(dev)[:, None]
    batch_flow(a, b)  # the capture
    sync = _sync(device)
    times = []
    for _ in range(repeat):
        sync()
        started = time.perf_counter()
        batch_flow(a, b)
        sync()
        times.append(time.perf_counter() - started)
    return sorted(times)[len(times) // 2] * 1000 / len(pairs)


def _print_kernels(run, a, b, size: str) -> None:
    from torch.profiler import ProfilerActivity, profile

    run(a, b)
    with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
        run(a, b)
    print(f"\nkernels of one op-by-op pair at {size}")
    table = prof.key_averages()
    for key in ("self_device_time_total", "self_cuda_time_total", "self_cpu_time_total"):  # names by torch version
        try:
            print(table.table(sort_by=key, row_limit=12, max_name_column_width=60))
            return
        except (AttributeError, KeyError, ValueError):
            continue


def _sync(device: str | None):
    if device and device.startswith("cuda"):
        import torch

        return torch.cuda.synchronize
    return lambda: None


if __name__ == "__main__":
    raise SystemExit(main())
