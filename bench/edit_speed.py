"""End-to-end edit speed at 1080p: decode + op + encode, the way a job runs (engine.render).

    python bench/edit_speed.py [--frames 48] [--ops relight,recolor,propagate] [--device cpu]
                               [--prores] [--decode-ahead 2] [--json bench/out/edit_speed.json]

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
from retakes.engine.ops import Op, OpSpec, register
from retakes.engine.plan import plan_edit
from retakes.engine.render import render_plan
from retakes.engine.vision import walk
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
    elif op == "remove":
        r.mask.path = str(masks)
    elif op == "propagate":
        r.keyframes.add(frame=0, edited=engine_pb2.MediaRef(path=str(keyframe)))
    return r


@register
class Passthrough(Op):
    """Benchmark-only op (registered in this process alone): the frame unchanged, so a run
    measures the job pipeline itself: probe, decode, encode, final mux."""

    spec = OpSpec(name="passthrough", summary="decode and encode only")

    def render(self, index, frame, ctx):
        return frame


RENDER = {"chunk_frames": 48, "workers": 1}


STAGES: dict[str, dict[str, float]] = {}


def run(req: engine_pb2.EditRequest, work: Path) -> float:
    started = time.perf_counter()
    plan = plan_edit(req)
    result = render_plan(plan, work, Hooks(), **RENDER)
    STAGES[str(plan.output)] = result.stage_seconds
    return time.perf_counter() - started


def stage_note(out: Path, frames: int) -> str:
    """Busy ms per frame of each stage (summed over threads: stages overlap in time)."""
    stages = STAGES.get(str(out), {})
    per_frame = ", ".join(f"{k} {v * 1000 / frames:.0f}" for k, v in stages.items() if k in ("decode", "op", "encode"))
    once = ", ".join(f"{k} {v:.2f}s" for k, v in stages.items() if k in ("prepare", "wait for analysis", "finalize"))
    return f"ms/frame: {per_frame}; once: {once}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=48)
    parser.add_argument("--ops", default="relight,recolor,propagate")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--prores", action="store_true")
    parser.add_argument("--workers", type=int, default=1, help="chunks rendered at once (engine --render-workers)")
    parser.add_argument("--chunk-frames", type=int, default=48)
    parser.add_argument("--size", default="1920x1080")
    parser.add_argument("--container", default="mp4", choices=("mp4", "mov"),
                        help="mp4: H.264 output (the CPU target); mov: ProRes 422 HQ (the GPU target)")
    parser.add_argument("--decode-ahead", type=int, default=walk.DECODE_AHEAD,
                        help="frames the analysis walk decodes ahead on its own thread (0: inline)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    walk.DECODE_AHEAD = args.decode_ahead
    RENDER.update(chunk_frames=args.chunk_frames, workers=args.workers)
    width, height = (int(v) for v in args.size.split("x"))
    figures = []
    with tempfile.TemporaryDirectory(prefix="rtk-speed-") as tmp:
        tmp = Path(tmp)
        scene = DemoScene(width=width, height=height, frames=args.frames, rate=Fraction(24000, 1001))
        source = tmp / "source.mp4"
        scene.write(source, codec="h264", start_timecode="01:00:00:00")
        masks = scene.write_masks(tmp / "masks")
        keyframe = tmp / "key.png"
        key = scene.frame(0).copy()
        key[scene.mask(0) > 127] = key[scene.mask(0) > 127][:, ::-1]  # an obvious colour edit of the object
        cv2.imwrite(str(keyframe), cv2.cvtColor(key, cv2.COLOR_RGB2BGR))
        n = args.frames
        for op in args.ops.split(","):
            out = tmp / f"{op}.{args.container}"
            seconds = run(request(source, out, op, masks, keyframe, args.device), tmp / f"w-{op}")
            codec = "H.264" if args.container == "mp4" else "ProRes 422 HQ"
            figures.append(Figure(f"{op} to {codec}, {args.size}, end to end (fps)", n / seconds, "fps",
                                  note=stage_note(out, n)))
        if args.prores:
            for op in args.ops.split(","):
                if op in FLOW_BOUND:
                    continue
                plain = run(request(source, tmp / "plain.mov", "passthrough", masks, keyframe, args.device),
                            tmp / "w-plain")
                edited = run(request(source, tmp / f"{op}.mov", op, masks, keyframe, args.device), tmp / f"w-p{op}")
                figures.append(Figure(f"{op} to ProRes 422 HQ / plain ProRes transcode", edited / plain, "x",
                                      note=f"{n / edited:.2f} fps vs {n / plain:.2f} fps"))
    write_report(args.json, f"end-to-end edit speed, {args.size}, {args.frames} frames, device {args.device}, "
                            f"{args.workers} render worker(s), chunks of {args.chunk_frames}", figures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
