"""Single-frame preview latency at 1080p, per op, on a running engine.

    python bench/preview_latency.py [--device cpu|cuda] [--runs 7] [--json bench/out/preview.json]
                                    [--ops relight,...] [--height 1080]

Reports, after one warm-up call per op, the median of: the engine's own latency (seek and
decode of the frame, the op; what PreviewResponse.latency_ms says) and the client's round
trip over the Unix socket with raw RGB24 (what a local panel pays) and with PNG.
Every non-generative op: the temporal ones (propagate from an edited frame 0, track and
remove from the scene's per-frame masks) analyse the preview's few frames around the one shown,
so their figure is that analysis too (issue 16: at most 50 ms at 1080p on the GPU).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
from common import Figure, write_report

from retakes.engine.client import EngineClient
from retakes.engine.config import EngineConfig
from retakes.engine.media.synthetic import DemoScene
from retakes.engine.service.server import engine_in_thread
from retakes.v1 import engine_pb2

OPS = {
    "relight": {"look": "golden-hour"},
    "recolor": {"hue": 150.0},
    "restyle": {"style": "film-1970s"},
    "background": {"plate": "PLATE"},
    "propagate": {"keyframe": 0},
    "track": {},
    "remove": {},
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--ops", default=",".join(OPS))
    parser.add_argument("--height", type=int, default=1080, help="16:9 frames this tall (a small one: a smoke test)")
    args = parser.parse_args()
    height = args.height
    width = int(round(height * 16 / 9 / 2)) * 2
    figures = []
    with tempfile.TemporaryDirectory(prefix="rtk-preview-", dir="/tmp") as tmp:
        tmp = Path(tmp)
        scene = DemoScene(width=width, height=height, frames=24, rate=Fraction(24000, 1001))
        source = tmp / "shot.mov"
        scene.write(source, codec="prores_422hq", start_timecode="01:00:00:00")
        masks = scene.write_masks(tmp / "masks")
        plate = tmp / "plate.png"
        cv2.imwrite(str(plate), np.full((height // 2, width // 2, 3), (60, 120, 200), np.uint8))
        edited = tmp / "edited.png"
        first = scene.frame(0).copy()
        first[scene.mask(0) > 127] = first[scene.mask(0) > 127][:, ::-1]  # the object's colours swapped
        cv2.imwrite(str(edited), cv2.cvtColor(first, cv2.COLOR_RGB2BGR))
        config = EngineConfig(state_dir=tmp / "state", socket_path=tmp / "e.sock")
        with engine_in_thread(config) as running, EngineClient(running.targets[0]) as client:
            for op in args.ops.split(","):
                params = OPS[op]
                request = engine_pb2.EditRequest(source=engine_pb2.MediaRef(path=str(source)), op=op,
                                                 device=args.device)
                if op != "propagate":
                    request.mask.path = str(masks)
                for name, value in params.items():
                    if name == "keyframe":
                        request.keyframes.add(frame=value, edited=engine_pb2.MediaRef(path=str(edited)))
                    elif value == "PLATE":
                        request.params[name].text_value = str(plate)
                    elif isinstance(value, str):
                        request.params[name].text_value = value
                    else:
                        request.params[name].number_value = value
                for encoding, label in ((engine_pb2.IMAGE_ENCODING_RGB24, "RGB24"),
                                        (engine_pb2.IMAGE_ENCODING_PNG, "PNG")):
                    client.preview(request, 3, encoding)  # warm-up: the op's first-frame setup
                    engine_ms, trip_ms = [], []
                    for i in range(args.runs):
                        started = time.perf_counter()
                        reply = client.preview(request, 4 + i, encoding)
                        trip_ms.append((time.perf_counter() - started) * 1000)
                        engine_ms.append(reply.latency_ms)
                    if label == "RGB24":
                        figures.append(Figure(f"{op} preview, engine (decode + op) ms",
                                              statistics.median(engine_ms), "ms", engine_ms))
                    figures.append(Figure(f"{op} preview, round trip with {label} ms",
                                          statistics.median(trip_ms), "ms", trip_ms))
    write_report(args.json, f"{height}p single-frame preview latency (device {args.device})", figures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
