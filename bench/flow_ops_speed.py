"""ms/frame of track, propagate and remove (prepare + render, op only: no decode/encode).

Synthetic clips (engine.vision.scenes) at 1920x1080 and 854x480, N frames each; cv2 and
torch limited to --threads (2: this CPU). With --device cuda (or torch:cpu) the ops' torch
path does the per-pixel work; prepare and render are also reported apart.
--lookahead 0,4 runs each op with vision.walk's flow look-ahead at each value in turn
(interleaved, --repeat times), to compare them side by side in one run.
Usage: python bench/flow_ops_speed.py [--frames 12] [--ops propagate] [--device cuda] [--lookahead 0,4]
"""

from __future__ import annotations

import argparse
import resource
import time

import cv2

from retakes.engine.ops import get_op
from retakes.engine.ops.base import EditContext
from retakes.engine.vision import walk
from retakes.engine.vision.scenes import ArrayMasks, ArraySource, hue_rotate, make_scene

SPLIT: dict[str, tuple[float, float]] = {}
CORES: dict[str, float] = {}  # CPU time over wall time of the last measure() of an op


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure(name: str, frames, **kw) -> float:
    src = ArraySource(frames)
    ctx = EditContext(src, src.frame_range, kw.pop("params", {}), **kw)
    op = get_op(name)()
    t, cpu = time.perf_counter(), cpu_seconds()
    op.prepare(ctx)
    t1 = time.perf_counter()
    for i, f in src.frames(src.frame_range):
        op.render(i, f, ctx)
    t2 = time.perf_counter()
    n = len(frames)
    SPLIT[name] = ((t1 - t) / n * 1000, (t2 - t1) / n * 1000)
    CORES[name] = (cpu_seconds() - cpu) / (t2 - t)
    return (t2 - t) / n * 1000


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", type=int, default=12)
    ap.add_argument("--ops", default="track,propagate,remove")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--lookahead", default=str(walk.LOOKAHEAD), help="comma list of walk look-ahead values")
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args(argv)
    cv2.setNumThreads(args.threads)
    if args.device != "cpu":
        import torch

        torch.set_num_threads(args.threads)
    ops = args.ops.split(",")
    dev = args.device
    for w, h in ((1920, 1080), (854, 480)):
        sc = make_scene(w // 4, h // 4, args.frames, seed=0)
        frames = [cv2.resize(f, (w, h), interpolation=cv2.INTER_CUBIC) for f in sc.frames]
        masks = [cv2.resize(m, (w, h), interpolation=cv2.INTER_NEAREST) for m in sc.masks]
        per = ArrayMasks(dict(enumerate(masks)))
        edited = hue_rotate(frames[0], 90, masks[0])
        kwargs = {
            "track": {"masks": ArrayMasks({0: masks[0]}), "params": {"mask_frame": 0}},
            "propagate": {"keyframes": {0: edited}, "device": dev},
            "remove": {"masks": per},
        }
        for _ in range(args.repeat):
            for ahead in map(int, args.lookahead.split(",")):
                walk.LOOKAHEAD = ahead
                res = {k: measure(k, frames, **dict(kwargs[k])) for k in ops}
                print(f"{w}x{h} [{dev}] look-ahead {ahead}: " + "  ".join(
                    f"{k} {v:.0f} ms/frame (prepare {SPLIT[k][0]:.0f} + render {SPLIT[k][1]:.0f}, "
                    f"cores busy {CORES[k]:.1f})"
                    for k, v in res.items()
                ), flush=True)  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
