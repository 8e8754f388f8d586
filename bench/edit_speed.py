"""End-to-end edit speed at 1080p: decode + op + encode, the way a job runs (engine.render).

    python bench/edit_speed.py [--frames 48] [--ops relight,recolor,propagate] [--device cpu]
                               [--prores] [--decode-ahead 2] [--json bench/out/edit_speed.json]

The source is a generated 1920x1080 H.264 clip with a moving object and its exact
per-frame masks. Each op renders the whole clip to H.264 (.mp4); fps = frames / wall time
of `render_plan`, which includes probing, decode, the op, encode and the final mux.
With --clip DIR (a folder of frames/*.jpg and masks/*.png, as in davis-dev) the source is
that real footage instead, scaled to --size and played forward and back to --frames:
encoders work much harder on the generated scene's fine grain than on camera footage.
Each figure's note gives the process's CPU time over the wall time ("cores busy"): near
the machine's core count, the run is bound by the CPU as a whole, not by one stage.
With --prores, each op not bound by optical flow is also rendered to ProRes 422 HQ and
compared with a plain ProRes transcode of the same range in the same run (the ratio the
issue asks for: at most 1.3x).
"""

from __future__ import annotations

import argparse
import collections
import resource
import sys
import tempfile
import threading
import time
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
from common import Figure, write_report

from retakes.engine import analysis, render
from retakes.engine.media.synthetic import DemoScene, write_clip
from retakes.engine.ops import Op, OpSpec, propagate, register
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


ANALYSIS_THREAD: dict[str, float] = {}  # the last run's analysis thread: its CPU time and wall time
_analysis_main = analysis.BackgroundAnalysis._main


def _timed_analysis_main(self, run) -> None:
    wall, cpu = time.perf_counter(), time.thread_time()
    ANALYSIS_THREAD.update(flows=0.0, decode=0.0)
    try:
        _analysis_main(self, run)
    finally:
        ANALYSIS_THREAD.update(cpu=time.thread_time() - cpu, wall=time.perf_counter() - wall)


analysis.BackgroundAnalysis._main = _timed_analysis_main  # measured, not changed

# What the analysis thread waits for in the walk: the flows computed ahead, the frames decoded ahead.
_finished, _prefetch = walk._finished, walk.prefetch


def _timed_finished(step, flows):
    started = time.perf_counter()
    try:
        return _finished(step, flows)
    finally:
        ANALYSIS_THREAD["flows"] = ANALYSIS_THREAD.get("flows", 0.0) + time.perf_counter() - started


def _timed_prefetch(items, depth, **kw):
    ahead = _prefetch(items, depth, **kw)
    while True:
        started = time.perf_counter()
        try:
            item = next(ahead)
        except StopIteration:
            return
        finally:
            ANALYSIS_THREAD["decode"] = ANALYSIS_THREAD.get("decode", 0.0) + time.perf_counter() - started
        yield item


walk._finished, walk.prefetch = _timed_finished, _timed_prefetch

if hasattr(propagate, "BackgroundConsumer"):  # where propagate's walk hands its results to a writer thread

    class _TimedConsumer(propagate.BackgroundConsumer):
        def put(self, item) -> None:
            started = time.perf_counter()
            try:
                super().put(item)
            finally:
                ANALYSIS_THREAD["recorder"] = ANALYSIS_THREAD.get("recorder", 0.0) + time.perf_counter() - started

    propagate.BackgroundConsumer = _TimedConsumer


class Sampler:
    """Where the analysis thread is, sampled every `period` seconds: the innermost line of
    retakes' own code on its stack (a C call shows as the line that made it)."""

    def __init__(self, period: float = 0.002) -> None:
        self.counts: collections.Counter[str] = collections.Counter()
        self._period, self._stop = period, threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench-sampler", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self._period):
            ids = {t.ident for t in threading.enumerate() if t.name == "retakes-analysis"}
            for ident, frame in sys._current_frames().items():
                if ident not in ids:
                    continue
                while frame is not None and not frame.f_globals.get("__name__", "").startswith("retakes."):
                    frame = frame.f_back
                if frame is not None:
                    self.counts[f"{Path(frame.f_code.co_filename).name}:{frame.f_lineno} {frame.f_code.co_name}"] += 1

    def report(self, top: int = 15) -> str:
        self._stop.set()
        self._thread.join()
        total = sum(self.counts.values()) or 1
        return "\n".join(f"    {n / total:6.1%}  {where}" for where, n in self.counts.most_common(top))


def cpu_seconds() -> float:
    """CPU time of this process so far, every thread, user and system."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run(req: engine_pb2.EditRequest, work: Path) -> float:
    started, cpu = time.perf_counter(), cpu_seconds()
    plan = plan_edit(req)
    result = render_plan(plan, work, Hooks(), **RENDER)
    wall = time.perf_counter() - started
    STAGES[str(plan.output)] = {**result.stage_seconds, "cores busy": (cpu_seconds() - cpu) / wall,
                                **{f"analysis thread {k}": v for k, v in ANALYSIS_THREAD.items()}}
    ANALYSIS_THREAD.clear()
    return wall


class FootageScene:
    """A real clip (frames/*.jpg, masks/*.png) scaled to `size` and played forward and back to
    `frames` frames, with the DemoScene surface this script uses."""

    def __init__(self, clip: Path, width: int, height: int, frames: int, rate: Fraction) -> None:
        self.frames, self.rate = frames, rate
        size = (width, height)
        self._frames = [cv2.resize(cv2.cvtColor(cv2.imread(str(p)), cv2.COLOR_BGR2RGB), size,
                                   interpolation=cv2.INTER_CUBIC) for p in sorted((clip / "frames").glob("*.jpg"))]
        self._masks = [np.where(cv2.resize(cv2.imread(str(p), cv2.IMREAD_GRAYSCALE), size,
                                           interpolation=cv2.INTER_NEAREST) > 127, 255, 0).astype(np.uint8)
                       for p in sorted((clip / "masks").glob("*.png"))]
        if len(self._frames) < 2 or len(self._masks) != len(self._frames):
            raise SystemExit(f"--clip {clip}: expected frames/*.jpg and as many masks/*.png, at least 2")

    def _at(self, i: int) -> int:
        n = len(self._frames)
        k = i % (2 * n - 2)
        return k if k < n else 2 * n - 2 - k

    def frame(self, i: int) -> np.ndarray:
        return self._frames[self._at(i)]

    def mask(self, i: int) -> np.ndarray:
        return self._masks[self._at(i)]

    def write(self, path: Path, codec: str, start_timecode: str) -> Path:
        return write_clip(path, self.frame, frames=self.frames, rate=self.rate, codec=codec,
                          start_timecode=start_timecode)

    def write_masks(self, directory: Path) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        for i in range(self.frames):
            cv2.imwrite(str(directory / f"mask_{i:05d}.png"), self.mask(i))
        return directory


def stage_note(out: Path, frames: int) -> str:
    """Busy ms per frame of each stage (summed over threads: stages overlap in time)."""
    stages = STAGES.get(str(out), {})
    per_frame = ", ".join(f"{k} {v * 1000 / frames:.0f}" for k, v in stages.items() if k in ("decode", "op", "encode"))
    once = ", ".join(f"{k} {v:.2f}s" for k, v in stages.items() if k in ("prepare", "wait for analysis", "finalize"))
    thread = ""
    if "analysis thread wall" in stages:
        thread = (f"; analysis thread {stages['analysis thread wall'] * 1000 / frames:.0f} ms/frame, "
                  + ", ".join(
                f"{what} {stages.get(f'analysis thread {key}', 0.0) * 1000 / frames:.0f}"
                for what, key in (("of it on a CPU", "cpu"), ("waiting for flows", "flows"),
                                  ("for decode", "decode"), ("for the recorder", "recorder"))
            ))
    return f"ms/frame: {per_frame}; once: {once}; cores busy {stages.get('cores busy', 0):.1f}{thread}"


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
    parser.add_argument("--clip", type=Path,
                        help="real footage (frames/*.jpg, masks/*.png) instead of the generated scene")
    parser.add_argument("--switch-interval", type=float, help="the interpreter's switch interval, seconds "
                        "(sys.setswitchinterval; Python's default is 0.005)")
    parser.add_argument("--cv-threads", type=int, help="cv2.setNumThreads for the whole run (default: OpenCV's own)")
    parser.add_argument("--decode-threads", type=int,
                        help="engine.render.CHUNK_DECODE_THREADS (0: FFmpeg's default, one per core)")
    parser.add_argument("--sample", action="store_true",
                        help="print where the analysis thread spends its time (a sampling profile)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    if args.switch_interval:
        sys.setswitchinterval(args.switch_interval)
    if args.decode_threads is not None:
        render.CHUNK_DECODE_THREADS = args.decode_threads
    if args.cv_threads is not None:
        cv2.setNumThreads(args.cv_threads)
    walk.DECODE_AHEAD = args.decode_ahead
    RENDER.update(chunk_frames=args.chunk_frames, workers=args.workers)
    width, height = (int(v) for v in args.size.split("x"))
    figures = []
    with tempfile.TemporaryDirectory(prefix="rtk-speed-") as tmp:
        tmp = Path(tmp)
        rate = Fraction(24000, 1001)
        scene = (FootageScene(args.clip, width, height, args.frames, rate) if args.clip
                 else DemoScene(width=width, height=height, frames=args.frames, rate=rate))
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
            sampler = Sampler() if args.sample else None
            seconds = run(request(source, out, op, masks, keyframe, args.device), tmp / f"w-{op}")
            if sampler is not None:
                print(f"{op}: where the analysis thread was (share of samples)\n{sampler.report()}")
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
    content = f"footage {args.clip.name}" if args.clip else "generated scene"
    write_report(args.json, f"end-to-end edit speed, {content}, {args.size}, {args.frames} frames, "
                            f"device {args.device}, {args.workers} render worker(s), chunks of {args.chunk_frames}",
                 figures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
