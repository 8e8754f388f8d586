"""Where a job's time goes inside a serving engine: a sampling profile per op (issue 16).

    python bench/gpu/profile_job.py --clip .davis/blackswan [--frames 300] [--height 1080]
        [--device cuda] [--ops relight,propagate,track] [--rate 100] --out DIR

The source and each op's inputs are side_by_side.py's (a davis-dev clip at 1080p, H.264, 300
frames). For each op, `retakes engine serve` is started as py-spy's child (a parent may read its
child's memory where attaching to a stranger needs ptrace rights), and the op sent to it through
the real CLI; then the engine is stopped and py-spy writes what it sampled. Two recordings per
op: `--gil` (only the thread holding the interpreter lock, if any, at each tick) and one of every
thread running on a CPU. py-spy runs --nonblocking: it does not pause the engine to read it.

Reported per op, from the engine log and the samples:
- the job's wall seconds and the machine's busy cores over it (/proc/stat);
- the lock's use: ticks with a holder over the ticks the job lasted. The engine's start, which is
  one thread importing and holds the lock throughout, is the yardstick of what 100% reads as;
- the functions (file:line leaves) and the threads that hold the lock or a CPU most, during the job.
The plain 4-process transcode's busy cores are measured too, for comparison.
Needs py-spy on the path (its wheel in .whl/tools).
"""

from __future__ import annotations

import argparse
import collections
import datetime
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from side_by_side import cli_run, make_inputs, transcode  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from common import machine, write_json  # noqa: E402


def cpu_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of the whole machine so far."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


def busy_cores(before: tuple[int, int], after: tuple[int, int]) -> float:
    busy, total = after[0] - before[0], after[1] - before[1]
    return (os.cpu_count() or 1) * busy / max(1, total)


@dataclass
class Profile:
    op: str
    mode: str  # "gil" or "cpu"
    job_seconds: float
    busy_cores: float
    #: samples during the job (stacks with the job's frames) over rate x job_seconds
    job_share: float
    #: the same for the engine's start (imports on one thread: what full use reads as)
    start_share: float
    top_leaves: list[tuple[str, float]] = field(default_factory=list)
    top_threads: list[tuple[str, float]] = field(default_factory=list)
    top_frames: list[tuple[str, float]] = field(default_factory=list)


_STAMP = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) ")


def _stamps(log: Path) -> dict[str, float]:
    found: dict[str, float] = {}
    for line in log.read_text(errors="replace").splitlines():
        m = _STAMP.match(line)
        if not m:
            continue
        at = datetime.datetime.strptime(m[1], "%Y-%m-%d %H:%M:%S,%f").timestamp()
        if "ready: listening on" in line:
            found["ready"] = at
        elif line.endswith("running (attempt 1)"):
            found["running"] = at
        elif line.endswith(": succeeded"):
            found["succeeded"] = at
    return found


_JOB_MARKERS = ("render.py", "analysis.py", "executor.py")


def read_samples(path: Path) -> list[tuple[list[str], int]]:
    """py-spy's raw output: one `frame;frame;... count` line per distinct stack, root first."""
    out = []
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            out.append((stack.split(";"), int(count)))
    return out


def summarise(op: str, mode: str, samples: list[tuple[list[str], int]], rate: float, job: float, start: float,
              cores: float, top: int = 25) -> Profile:
    in_job = [(s, n) for s, n in samples if any(m in f for f in s for m in _JOB_MARKERS)]
    startup = sum(n for s, n in samples if any("<module>" in f for f in s[1:4]) and not any(
        m in f for f in s for m in _JOB_MARKERS))  # fmt: skip
    job_n = sum(n for _, n in in_job) or 1
    leaves: collections.Counter[str] = collections.Counter()
    threads: collections.Counter[str] = collections.Counter()
    frames: collections.Counter[str] = collections.Counter()
    for stack, n in in_job:
        leaves[stack[-1]] += n
        threads[stack[0]] += n
        for f in set(stack[1:]):  # inclusive: every function on the stack
            frames[f] += n
    share = lambda c: [(k, round(v / job_n, 4)) for k, v in c.most_common(top)]  # noqa: E731
    return Profile(op, mode, round(job, 2), round(cores, 2), round(job_n / (rate * job), 3),
                   round(startup / (rate * start), 3) if start else 0.0, share(leaves), share(threads),
                   share(frames))


def find_py_spy() -> str | None:
    """py-spy on the PATH, beside this Python, or in a `pip install --target` folder on sys.path."""
    candidates = [Path(sys.executable).parent / "py-spy", *(Path(p) / "bin" / "py-spy" for p in sys.path if p)]
    return shutil.which("py-spy") or next((str(c) for c in candidates if c.is_file()), None)


def profile_op(op: str, mode: str, args: argparse.Namespace, source: Path, inputs: dict[str, Path],
               tmp: Path) -> Profile:
    home = tmp / f"home-{op}-{mode}"
    log = home / "logs" / "engine.log"
    log.parent.mkdir(parents=True)
    sock = home / "engine.sock"
    raw = args.out / f"{op}-{mode}.txt"
    spy = [args.py_spy, "record", "--nonblocking", "--threads", "--format", "raw",
           "--rate", str(args.rate), "-o", str(raw), *(["--gil"] if mode == "gil" else [])]  # fmt: skip
    engine = [sys.executable, "-P", "-m", "retakes.cli", "engine", "serve", "--socket", str(sock), "--state-dir",
              str(home), "--log-file", str(log)]  # fmt: skip
    launched = time.time()
    proc = subprocess.Popen([*spy, "--", *engine], env={**os.environ, "RETAKES_HOME": str(home)},
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)  # fmt: skip
    deadline = time.monotonic() + 180
    while "ready: listening on" not in (log.read_text(errors="replace") if log.exists() else ""):
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"{op}: the engine under py-spy did not start (exit {proc.poll()})")
        time.sleep(0.05)
    before = cpu_ticks()
    out = tmp / f"{op}-{mode}.mov"
    cli_run(op, source, out, args.device, inputs, home, "cpu", f"unix://{sock}")
    after = cpu_ticks()
    for leftover in tmp.glob(f"{op}-{mode}.*"):
        leftover.unlink()
    proc.send_signal(signal.SIGINT)  # py-spy forwards it: the engine stops, py-spy writes the file
    proc.wait(timeout=120)
    stamps = _stamps(log)
    job = stamps["succeeded"] - stamps["running"]
    start = stamps["ready"] - launched
    return summarise(op, mode, read_samples(raw), args.rate, job, start, busy_cores(before, after))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clip", type=Path, required=True)
    ap.add_argument("--frames", type=int, default=300)
    ap.add_argument("--height", type=int, default=1080)
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--ops", default="relight,propagate,track")
    ap.add_argument("--modes", default="gil,cpu")
    ap.add_argument("--rate", type=float, default=100)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--py-spy", default=find_py_spy())
    args = ap.parse_args(argv)
    if args.py_spy is None:
        raise SystemExit("--py-spy: py-spy was not found; install its wheel (.whl/tools) or name it")
    args.out.mkdir(parents=True, exist_ok=True)
    profiles: list[Profile] = []
    with tempfile.TemporaryDirectory(prefix="rtk-prof-") as tmp:
        tmp = Path(tmp)
        source, inputs = make_inputs(args.clip, args.frames, args.height, tmp)
        before = cpu_ticks()
        seconds = transcode(source, args.frames, 4, tmp)
        floor_cores = busy_cores(before, cpu_ticks())
        print(f"transcode, 4 processes: {seconds:.2f} s, {floor_cores:.1f} cores busy; {machine()}", flush=True)
        for op in [o for o in args.ops.split(",") if o]:
            for mode in args.modes.split(","):
                p = profile_op(op, mode, args, source, inputs, tmp)
                profiles.append(p)
                print(f"\n{op} [{mode}]: job {p.job_seconds} s, {p.busy_cores} cores busy; samples over ticks: "
                      f"job {p.job_share}, engine start {p.start_share}", flush=True)  # fmt: skip
                for name, rows in (("threads", p.top_threads[:8]), ("leaves", p.top_leaves[:15]),
                                   ("inclusive", p.top_frames[:15])):  # fmt: skip
                    print(f"  {name}:")
                    for k, v in rows:
                        print(f"    {v:6.3f}  {k[:150]}")
    write_json(args.out / "profile_job.json", {
        "title": f"serving engine profiles, {args.clip.name} at {args.height}p, {args.frames} frames",
        "machine": machine(), "date": time.strftime("%Y-%m-%d"),
        "command": " ".join([Path(sys.argv[0]).name, *(argv if argv is not None else sys.argv[1:])]),
        "transcode": {"seconds": seconds, "busy_cores": floor_cores},
        "profiles": [asdict(p) for p in profiles]})  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
