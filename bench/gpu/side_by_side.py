"""Every op against the ProRes transcode floor, side by side in one run (issue 16).

    python bench/gpu/side_by_side.py --clip .davis/blackswan [--frames 300] [--height 1080]
        [--device cuda] [--processes 1,4] [--repeat 2] [--ops relight,...] [--json OUT]

The source is real footage: a davis-dev clip (frames/*.jpg, masks/*.png) scaled to --height
(16:9) and played back and forth to --frames frames, written as H.264. The floor is a plain
PyAV transcode of it to ProRes 422 HQ (`prores_ks` profile 3, yuv422p10le, decoded with
FFmpeg's frame threads and encoded straight from YUV: no RGB round trip), the range split
into N processes, each writing its own segment. Then each op runs through the real CLI,
`retakes edit SRC -o OUT.mov --op OP --device DEV --codec prores_422hq`, as a user runs it.
Transcodes and ops are interleaved, and the whole round repeated (--repeat), so drift hits
them alike. Recorded per run: fps, the ratio to the last --processes transcode of the same
round (4 processes: the issue's floor), the host's peak RSS of the CLI and everything it
started, and the GPU's peak memory in use while it ran (nvidia-smi, polled; none without it).

The per-op inputs: relight, recolor, background and remove get the clip's exact per-frame masks
(a folder of PNGs); track gets the first frame's mask; propagate gets the first frame edited
(the object's hue turned 90 degrees), no mask; restyle edits the whole frame.
With --engine running (or private,running) each op also goes to an engine already serving, as
the panel and a pipeline keep one: `retakes engine serve` started once, warmed with one small job,
and found by the CLI through RETAKES_ENGINE. A private engine (the default, and what a user without
one gets) is started and stopped by every command, and its start (torch, the GPU's context) is
part of each run. Running-engine rows count only the CLI in the host RSS; the engine's own peak
(VmHWM) is recorded beside them.
Run on a CPU with tiny sizes (--frames 20 --height 270 --device cpu) as a smoke test.
"""

from __future__ import annotations

import argparse
import datetime
import multiprocessing
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from common import GpuPeak, machine, write_json  # noqa: E402
from edit_speed import FootageScene  # noqa: E402

from retakes.engine.vision.scenes import hue_rotate  # noqa: E402

OPS = ("relight", "recolor", "restyle", "background", "propagate", "track", "remove")
#: runs the CLI and records the peak RSS of it and its children (a fresh process per run, so
#: RUSAGE_CHILDREN is this run's alone); the figure goes to the file named by the first argument
_RSS_WRAPPER = (
    "import resource, subprocess, sys\n"
    "code = subprocess.run(sys.argv[2:]).returncode\n"
    "open(sys.argv[1], 'w').write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))\n"
    "sys.exit(code)\n"
)


@dataclass
class Run:
    name: str
    #: "private" (an engine started and stopped by the command) or "running" (one already serving)
    engine: str
    round: int
    frames: int
    seconds: float
    fps: float
    #: fps over the round's floor transcode's fps (None for the transcodes themselves)
    ratio: float | None
    host_peak_rss_mb: float | None
    gpu_peak_mb: float | None
    #: from the private engine's log (engine.core.log_timing): planning and render wall seconds (the
    #: rest of `seconds` is the CLI's and the engine's start and stop), and each stage's busy seconds
    plan_seconds: float | None = None
    render_seconds: float | None = None
    busy_seconds: dict[str, float] | None = None
    #: the rest, from the log's timestamps: the CLI's start to the engine answering, then to the job
    #: running (connect, submit, claim), and from the job's end to the CLI's exit (the result's way
    #: back, the version recorded, the engine's stop)
    start_seconds: float | None = None
    submit_seconds: float | None = None
    finish_seconds: float | None = None
    #: a running engine's peak resident memory so far (VmHWM), MiB
    engine_peak_rss_mb: float | None = None


def transcode_part(source: str, out: str, start: int, end: int) -> None:
    """Frames [start, end) of `source` to ProRes 422 HQ, from YUV (no RGB), as one process does."""
    with av.open(source) as src, av.open(out, "w") as dst:
        stream = src.streams.video[0]
        stream.thread_type = "AUTO"
        enc = dst.add_stream("prores_ks", rate=stream.average_rate)
        enc.width, enc.height, enc.pix_fmt = stream.width, stream.height, "yuv422p10le"
        enc.options = {"profile": "3"}
        enc.thread_count = 0
        for n, frame in enumerate(src.decode(stream)):
            if n >= end:
                break
            if n >= start:
                for packet in enc.encode(frame.reformat(format="yuv422p10le")):
                    dst.mux(packet)
        for packet in enc.encode():
            dst.mux(packet)


def transcode(source: Path, frames: int, processes: int, tmp: Path) -> float:
    """Seconds for the whole range transcoded by `processes` processes side by side."""
    bounds = np.linspace(0, frames, processes + 1).round().astype(int)
    ctx = multiprocessing.get_context("spawn")  # a clean interpreter each: no inherited threads
    started = time.perf_counter()
    procs = [ctx.Process(target=transcode_part, args=(str(source), str(tmp / f"part{i}.mov"), int(a), int(b)))
             for i, (a, b) in enumerate(zip(bounds[:-1], bounds[1:], strict=True))]  # fmt: skip
    for p in procs:
        p.start()
    for p in procs:
        p.join()
        if p.exitcode != 0:
            raise SystemExit(f"transcode process exited with {p.exitcode}")
    return time.perf_counter() - started


def op_args(op: str, inputs: dict[str, Path]) -> list[str]:
    masks, first = str(inputs["masks"]), str(inputs["first_mask"])
    return {
        "relight": ["--look", "golden-hour", "--mask", masks],
        "recolor": ["--hue", "140", "--mask", masks],
        "restyle": ["--style", "film-1970s"],
        "background": ["--plate", str(inputs["plate"]), "--mask", masks],
        "propagate": ["--keyframe", "0", "--edited", str(inputs["edited"])],
        "track": [],  # `retakes track` below
        "remove": ["--mask", masks],
    }[op] + (["--mask", first, "--keyframe", "0"] if op == "track" else [])


def cli_run(op: str, source: Path, out: Path, device: str, inputs: dict[str, Path], home: Path,
            decode: str = "cpu", engine: str | None = None) -> tuple[float, float, float]:
    """(seconds, host peak RSS MiB, epoch seconds at its start) of one op through the real CLI."""
    retakes = [sys.executable, "-P", "-m", "retakes.cli"]  # -P: not the checkout's version-only retakes/
    if op == "track":
        cmd = [*retakes, "track", str(source), "-o", str(out.with_suffix(".mov")), "--device", device,
               "--backend", "classical", *op_args(op, inputs)]  # fmt: skip
    else:
        cmd = [*retakes, "edit", str(source), "-o", str(out), "--op", op, "--device", device, "--codec",
               "prores_422hq", "--decode", decode, *op_args(op, inputs)]  # fmt: skip
    rss_file = out.with_suffix(".rss")
    env = {**os.environ, "RETAKES_HOME": str(home)}
    env.pop("RETAKES_ENGINE", None)  # a private engine for each run, as a user without one gets
    if engine is not None:
        env["RETAKES_ENGINE"] = engine
    began, started = time.time(), time.perf_counter()
    run = subprocess.run([sys.executable, "-c", _RSS_WRAPPER, str(rss_file), *cmd], env=env, capture_output=True,
                         text=True)  # fmt: skip
    seconds = time.perf_counter() - started
    if run.returncode != 0:
        raise SystemExit(f"{op} failed:\n{run.stderr[-3000:]}")
    return seconds, int(rss_file.read_text()) / 1024, began


_TIMING = re.compile(r"timing: plan ([0-9.]+) s, render ([0-9.]+) s for \d+ frames on \S+; busy s: (.*)$")
_STAMP = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) ")


@dataclass
class EngineTimeline:
    """A private engine's run, read from its log: wall-clock stamps and the job's timing line."""

    ready: float | None = None
    running: float | None = None
    succeeded: float | None = None
    plan: float | None = None
    render: float | None = None
    busy: dict[str, float] | None = None


def engine_timeline(home: Path, since: float) -> EngineTimeline:
    """The last job's timeline in the private engine logs written since `since` (epoch seconds)."""
    found = EngineTimeline()
    for log in sorted((home / "logs").glob("engine-*.log"), key=lambda p: p.stat().st_mtime):
        if log.stat().st_mtime < since:
            continue
        for line in log.read_text(errors="replace").splitlines():
            stamp = _STAMP.match(line)
            at = (datetime.datetime.strptime(stamp[1], "%Y-%m-%d %H:%M:%S,%f").timestamp() if stamp else None)
            if match := _TIMING.search(line):
                found.plan, found.render = float(match[1]), float(match[2])
                found.busy = {k: float(v) for k, v in (item.rsplit(" ", 1) for item in match[3].split(", ") if item)}
            elif "ready: listening on" in line:
                found.ready = at
            elif line.endswith("running (attempt 1)"):
                found.running = at
            elif line.endswith(": succeeded"):
                found.succeeded = at
    return found


class RunningEngine:
    """`retakes engine serve` on a socket of its own for the whole benchmark, warmed by one small job."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.socket = home / "serving.sock"
        self.log = home / "logs" / "engine-serving.log"
        self.log.parent.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-P", "-m", "retakes.cli", "engine", "serve", "--socket", str(self.socket),
               "--state-dir", str(home), "--log-file", str(self.log)]  # fmt: skip
        self.process = subprocess.Popen(cmd, env={**os.environ, "RETAKES_HOME": str(home)},
                                        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)  # fmt: skip
        deadline = time.monotonic() + 120
        while "ready: listening on" not in (self.log.read_text(errors="replace") if self.log.exists() else ""):
            if self.process.poll() is not None or time.monotonic() > deadline:
                tail = self.log.read_text(errors="replace")[-3000:] if self.log.exists() else "(no log)"
                raise SystemExit(f"the serving engine did not start (exit {self.process.poll()}); its log:\n{tail}")
            time.sleep(0.1)
        self.target = f"unix://{self.socket}"

    def peak_rss_mb(self) -> float | None:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return None

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=60)


def _apart(start: float | None, end: float | None) -> float | None:
    return None if start is None or end is None else round(end - start, 3)


def make_inputs(clip: Path, frames: int, height: int, tmp: Path) -> tuple[Path, dict[str, Path]]:
    width = int(round(height * 16 / 9 / 2)) * 2
    scene = FootageScene(clip, width, height, frames, Fraction(24000, 1001))
    source = scene.write(tmp / "source.mp4", codec="h264", start_timecode="01:00:00:00")
    masks = tmp / "masks"
    masks.mkdir()
    for i in range(frames):
        cv2.imwrite(str(masks / f"{i:05d}.png"), scene.mask(i))
    first = tmp / "first_mask.png"
    cv2.imwrite(str(first), scene.mask(0))
    edited = tmp / "edited.png"
    cv2.imwrite(str(edited), cv2.cvtColor(hue_rotate(scene.frame(0), 90, scene.mask(0)), cv2.COLOR_RGB2BGR))
    plate = tmp / "plate.png"
    cv2.imwrite(str(plate), np.full((height // 2, width // 2, 3), (60, 120, 200), np.uint8))
    return source, {"masks": masks, "first_mask": first, "edited": edited, "plate": plate}


def _rounds(args: argparse.Namespace, ops: list[str], engines: list[str], serving: RunningEngine | None,
            source: Path, inputs: dict[str, Path], processes: list[int], tmp: Path, runs: list[Run]) -> None:
    """Each round: every transcode, then every op on each engine, in the same order."""
    for round_ in range(1, args.repeat + 1):
        floor = None
        for n in processes:
            with GpuPeak() as gpu:
                seconds = transcode(source, args.frames, n, tmp)
            floor = args.frames / seconds
            runs.append(Run(f"transcode, {n} process{'es' * (n != 1)}", "", round_, args.frames, seconds, floor,
                            None, None, gpu.peak))  # fmt: skip
            print(f"round {round_}  {runs[-1].name:<26} {floor:7.2f} fps", flush=True)
        for op in ops:
            for engine in engines:
                home = tmp / "home" if engine == "private" else serving.home
                out = tmp / f"{op}-{round_}.mov"
                with GpuPeak() as gpu:
                    seconds, rss, began = cli_run(op, source, out, args.device, inputs, home, args.decode,
                                                  None if engine == "private" else serving.target)
                fps = args.frames / seconds
                t = engine_timeline(home, began)
                # a serving engine was ready long before: its rows have no start, only the submit
                start = _apart(began, t.ready) if engine == "private" else None
                submit = _apart(t.ready if engine == "private" else began, t.running)
                runs.append(Run(op, engine, round_, args.frames, seconds, fps, fps / floor, rss, gpu.peak, t.plan,
                                t.render, t.busy, start, submit, _apart(t.succeeded, began + seconds),
                                serving.peak_rss_mb() if engine == "running" else None))  # fmt: skip
                gpu_text = "" if gpu.peak is None else f", GPU peak {gpu.peak:.0f} MiB"
                run = runs[-1]
                timing_text = "" if t.render is None else (
                    f"; plan {t.plan:.1f} s, render {t.render:.1f} s; before: start {run.start_seconds} s, "
                    f"submit {run.submit_seconds} s; after: {run.finish_seconds} s")
                print(f"round {round_}  {op + ' (' + engine + ')':<26} {fps:7.2f} fps  ratio {fps / floor:.2f}  "
                      f"RSS {rss:.0f} MiB{gpu_text}{timing_text}", flush=True)  # fmt: skip
                for leftover in tmp.glob(f"{op}-{round_}.*"):
                    leftover.unlink()  # 300 frames of 1080p ProRes each: keep the disk free


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clip", type=Path, required=True, help="a folder of frames/*.jpg and masks/*.png")
    ap.add_argument("--frames", type=int, default=300)
    ap.add_argument("--height", type=int, default=1080)
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--processes", default="1,4", help="transcode process counts; the last is the floor")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--ops", default=",".join(OPS))
    ap.add_argument("--decode", default="cpu", choices=("cpu", "gpu"), help="the edits' --decode (track: cpu)")
    ap.add_argument("--engine", default="private",
                    help="private, running or both (comma list): an engine per command, or one already serving")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    engines = [e for e in args.engine.split(",") if e]
    if not engines or set(engines) - {"private", "running"}:
        raise SystemExit(f"--engine: expected private, running or both, got {args.engine!r}")
    ops = [o for o in args.ops.split(",") if o]
    unknown = sorted(set(ops) - set(OPS))
    if unknown:
        raise SystemExit(f"--ops: unknown {', '.join(unknown)}; known: {', '.join(OPS)}")
    processes = [int(n) for n in args.processes.split(",")]
    runs: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="rtk-sbs-") as tmp:
        tmp = Path(tmp)
        source, inputs = make_inputs(args.clip, args.frames, args.height, tmp)
        print(f"source {source.name}: {args.frames} frames at {args.height}p, H.264; {machine()}", flush=True)
        serving = None
        if "running" in engines:
            serving = RunningEngine(tmp / "serving-home")
            # its first job pays what a serving engine pays once: torch's import, the GPU's context
            warm = tmp / "warm.mov"
            cli_run("relight", source, warm, args.device, inputs, serving.home, args.decode, serving.target)
            warm.unlink()
        try:
            _rounds(args, ops, engines, serving, source, inputs, processes, tmp, runs)
        finally:
            if serving is not None:
                serving.stop()
    report = {
        "title": f"ops against the {processes[-1]}-process ProRes transcode, {args.clip.name} at {args.height}p, "
                 f"{args.frames} frames, device {args.device}",
        "machine": machine(),
        "date": time.strftime("%Y-%m-%d"),
        "command": " ".join([Path(sys.argv[0]).name, *(argv if argv is not None else sys.argv[1:])]),
        "runs": [asdict(r) for r in runs],
    }
    write_json(args.json, report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
