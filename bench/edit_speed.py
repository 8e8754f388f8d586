"""End-to-end edit speed at 1080p: decode + op + encode, the way a job runs (engine.render).

    python bench/edit_speed.py [--frames 48] [--ops relight,recolor,propagate] [--device cpu]
                               [--prores] [--json bench/out/edit_speed.json]

The source is a generated 1920x1080 H.264 clip with a moving object and its exact
per-frame masks. Each op renders the whole clip to H.264 (.mp4); fps = frames / wall time
of `render_plan`, which includes probing, decode, the op, encode and the final mux.
With --prores, each op not bound by optical flow is also rendered to ProRes 422 HQ and
compared with a plain ProRes transcode of the same range in the same run (the ratio the
issue asks for: at most 1.3x).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import cv2
from common import Figure, write_report

from retakes.engine.media.synthetic import DemoScene
from retakes.engine.plan import plan_edit
from retakes.engine.render import render_plan
from retakes.v1 import engine_pb2

FLOW_BOUND = {"propagate", "track", "remove"}


class Hooks:
    def report(self, stage, done, total):
        pass

    def check_cancelled(self):
        pass

    def record_chunk(self, index, path, sha256, frames):
        pass

    def finished_chunks(self):
        return {}


def request(source: Path, out: Path, op: str, masks: Path, keyframe: Path, device: str) -> engine_pb2.EditRequest:
    r = engine_pb2.EditRequest(source=engine_pb2.MediaRef(path=str(source)), output_path=str(out), op=op,
                               device=device)
    if op == "relight":
        r.mask.path = str(masks)
        r.params["look"].text_value = "golden-hour"
    elif op == "recolor":
        r.mask.path = str(masks)
        r.params["hue"].number_value = 140.0
    elif op == "propagate":
        r.keyframes.add(frame=0, edited=engine_pb2.MediaRef(path=str(keyframe)))
    elif op == "identity-transcode":
        r.op = "relight"  # relight with an empty mask region: decode + encode only
        r.mask.path = str(masks.parent / "empty")
    return r


def run(req: engine_pb2.EditRequest, work: Path) -> float:
    started = time.perf_counter()
    plan = plan_edit(req)
    render_plan(plan, work, Hooks())
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=48)
    parser.add_argument("--ops", default="relight,recolor,propagate")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--prores", action="store_true")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    figures = []
    with tempfile.TemporaryDirectory(prefix="rtk-speed-") as tmp:
        tmp = Path(tmp)
        scene = DemoScene(width=1920, height=1080, frames=args.frames, rate=Fraction(24000, 1001))
        source = tmp / "source.mp4"
        scene.write(source, codec="h264", start_timecode="01:00:00:00")
        masks = scene.write_masks(tmp / "masks")
        empty = tmp / "empty"
        empty.mkdir()
        cv2.imwrite(str(empty / "00000.png"), scene.mask(0) * 0)
        keyframe = tmp / "key.png"
        key = scene.frame(0).copy()
        key[scene.mask(0) > 127] = key[scene.mask(0) > 127][:, ::-1]  # an obvious colour edit of the object
        cv2.imwrite(str(keyframe), cv2.cvtColor(key, cv2.COLOR_RGB2BGR))
        n = args.frames
        for op in args.ops.split(","):
            seconds = run(request(source, tmp / f"{op}.mp4", op, masks, keyframe, args.device), tmp / f"w-{op}")
            figures.append(Figure(f"{op} to H.264, 1080p, end to end (fps)", n / seconds, "fps"))
        if args.prores:
            for op in args.ops.split(","):
                if op in FLOW_BOUND:
                    continue
                plain = run(request(source, tmp / "plain.mov", "identity-transcode", masks, keyframe, args.device),
                            tmp / "w-plain")
                edited = run(request(source, tmp / f"{op}.mov", op, masks, keyframe, args.device), tmp / f"w-p{op}")
                figures.append(Figure(f"{op} to ProRes 422 HQ / plain ProRes transcode", edited / plain, "x",
                                      note=f"{n / edited:.2f} fps vs {n / plain:.2f} fps"))
    write_report(args.json, f"end-to-end edit speed, 1920x1080, {args.frames} frames, device {args.device}", figures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
