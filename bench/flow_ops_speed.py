"""ms/frame of track, propagate and remove (prepare + render, op only: no decode/encode).

Synthetic clips (engine.vision.scenes) at 1920x1080 and 854x480, N frames each.
Usage: python bench/flow_ops_speed.py [--frames 12]
"""

from __future__ import annotations

import argparse
import time

import cv2
from retakes.engine.ops import get_op
from retakes.engine.ops.base import EditContext
from retakes.engine.vision.scenes import ArrayMasks, ArraySource, hue_rotate, make_scene


def measure(name: str, frames, **kw) -> float:
    src = ArraySource(frames)
    ctx = EditContext(src, src.frame_range, kw.pop("params", {}), **kw)
    op = get_op(name)()
    t = time.perf_counter()
    op.prepare(ctx)
    for i, f in src.frames(src.frame_range):
        op.render(i, f, ctx)
    return (time.perf_counter() - t) / len(frames) * 1000


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", type=int, default=12)
    args = ap.parse_args(argv)
    cv2.setNumThreads(2)
    for w, h in ((1920, 1080), (854, 480)):
        sc = make_scene(w // 4, h // 4, args.frames, seed=0)
        frames = [cv2.resize(f, (w, h), interpolation=cv2.INTER_CUBIC) for f in sc.frames]
        masks = [cv2.resize(m, (w, h), interpolation=cv2.INTER_NEAREST) for m in sc.masks]
        per = ArrayMasks(dict(enumerate(masks)))
        edited = hue_rotate(frames[0], 90, masks[0])
        res = {
            "track": measure("track", frames, masks=ArrayMasks({0: masks[0]}), params={"mask_frame": 0}),
            "propagate": measure("propagate", frames, keyframes={0: edited}),
            "remove": measure("remove", frames, masks=per),
        }
        print(f"{w}x{h}: " + "  ".join(f"{k} {v:.0f} ms/frame" for k, v in res.items()), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
