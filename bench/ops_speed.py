"""Per-frame speed of the colour/matte ops at 1080p: CPU (numpy/OpenCV) and torch paths.

    python bench/ops_speed.py [--frames N] [--device cuda]     # torch:cpu when no GPU is named

Times the op's `render` only (no decode/encode), on a textured 1920x1080 uint8 frame with a
per-frame elliptical object mask covering ~19% of the frame (a new mask array every frame, as a
tracked mask would be), and without a mask where the op allows it. "preview" is the first frame
on a fresh op instance: everything a single-frame preview pays (LUT builds, plate read) included.
Reports the median over N frames.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from retakes.engine.ops import get_op
from retakes.engine.ops.base import EditContext
from retakes.engine.timecode import FrameRange

H, W = 1080, 1920


class Masks:
    def __init__(self, base: np.ndarray | None) -> None:
        self.base = base

    def mask(self, frame: int) -> np.ndarray:
        return np.roll(self.base, frame % 7, axis=1)  # a fresh array per frame, object moving


class Source:
    def __init__(self, frame: np.ndarray) -> None:
        self.f = frame

    def frame(self, index: int) -> np.ndarray:
        return self.f


def frame_and_mask() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    small = rng.random((H // 8, W // 8, 3)).astype(np.float32)
    f = cv2.resize(small, (W, H), interpolation=cv2.INTER_CUBIC)
    f += rng.normal(0, 0.03, f.shape).astype(np.float32)
    frame = np.clip(f * 255, 0, 255).astype(np.uint8)
    m = np.zeros((H, W), np.uint8)
    cv2.ellipse(m, (W // 2, H // 2), (420, 300), 0, 0, 360, 255, -1)
    return frame, m


def time_op(name: str, params: dict, frame, mask, device: str, n: int) -> tuple[float, float]:
    op_cls = get_op(name)
    fr = FrameRange(0, n + 1)

    def ctx() -> EditContext:
        return EditContext(
            source=Source(frame), frame_range=fr, params=op_cls.spec.validate_params(params),
            masks=None if mask is None else Masks(mask), device=device,
        )  # fmt: skip

    op, c = op_cls(), ctx()
    t = time.perf_counter()
    op.render(0, frame, c)
    preview = time.perf_counter() - t
    times = []
    for i in range(1, n + 1):
        t = time.perf_counter()
        op.render(i, frame, c)
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000, preview * 1000


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", type=int, default=10)
    ap.add_argument("--device", default="", help="torch device for the torch column (default torch:cpu)")
    args = ap.parse_args()
    cv2.setNumThreads(max(1, cv2.getNumThreads()))
    frame, mask = frame_and_mask()
    tmp = Path(tempfile.mkdtemp())
    plate = tmp / "plate.png"
    cv2.imwrite(str(plate), cv2.resize(frame[::-1, ::-1], (1280, 720)))
    torch_dev = args.device or "torch:cpu"
    cases = [
        ("relight", {"look": "golden-hour", "feather": 8}, mask),
        ("relight", {"look": "day-to-night"}, None),
        ("relight", {"temperature": 3200, "exposure": 0.5}, None),
        ("recolor", {"color": "#2266FF", "feather": 4}, mask),
        ("recolor", {"hue": 120, "feather": 4}, mask),
        ("restyle", {"style": "film-1970s", "feather": 8}, mask),
        ("restyle", {"style": "film-1970s"}, None),
        ("restyle", {"style": "bleach-bypass"}, None),
        ("restyle", {"style": "ink"}, None),
        ("background", {"plate": str(plate), "edge_softness": 6}, mask),
        ("background", {"plate": str(plate), "edge_softness": 6, "light_wrap": 0.5}, mask),
    ]
    print(f"1920x1080 uint8, median of {args.frames} frames; mask: ellipse 840x600 (19% of the frame)")
    head = f"{'op':<11} {'params':<46} {'mask':<5} {'cpu ms':>8} {'cpu fps':>8} {'preview':>8}"
    print(f"{head} {torch_dev + ' ms':>14}")
    for name, params, m in cases:
        cpu, prev = time_op(name, params, frame, m, "cpu", args.frames)
        tor, _ = time_op(name, params, frame, m, torch_dev, max(3, args.frames // 3))
        shown = {k: (Path(v).name if k == "plate" else v) for k, v in params.items()}
        print(
            f"{name:<11} {str(shown):<46} {'yes' if m is not None else 'no':<5} {cpu:8.1f} {1000 / cpu:8.1f} "
            f"{prev:8.1f} {tor:14.1f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
