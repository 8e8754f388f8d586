"""Where a temporal op's analysis spends its time: a profile of its serial walk on real footage.

    python bench/analysis_profile.py --clip .davis/blackswan [--ops propagate,track,remove]
        [--frames 60] [--height 1080] [--device cuda] [--top 25] [--json OUT]

The analysis (`Op.start_analysis`: the walk that tracks, chains flow and completes holes) is what
holds propagate, track and remove back from the transcode floor (issue 16): it is serial, while
decode, render and encode run in parallel. Each op's analysis runs here alone, on the main thread,
under cProfile, over a davis-dev clip scaled to --height and played back and forth to --frames
frames (held in memory: no decode cost). What the walk's own helper threads do (the flow
look-ahead) shows as the main thread's wait on them (`Future.result`), which is the part
of them the analysis cannot hide. Printed per op: ms per frame of the whole analysis, then the
functions with the most time of their own and the most in total, per frame.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine, write_json  # noqa: E402
from edit_speed import FootageScene  # noqa: E402

from retakes.engine.ops import get_op  # noqa: E402
from retakes.engine.ops.base import EditContext  # noqa: E402
from retakes.engine.vision.scenes import ArrayMasks, ArraySource, hue_rotate  # noqa: E402


def context(op: str, scene: FootageScene, frames: int, device: str, workdir: Path) -> EditContext:
    """The op's inputs as side_by_side.py gives them: exact masks for remove, the first frame's
    mask for track, the first frame edited (hue turned 90 degrees), no mask, for propagate."""
    source = ArraySource([scene.frame(i) for i in range(frames)])
    kw: dict = {"device": device, "workdir": workdir}
    params: dict = {}
    if op == "remove":
        kw["masks"] = ArrayMasks({i: scene.mask(i) for i in range(frames)})
    elif op == "track":
        kw["masks"] = ArrayMasks({0: scene.mask(0)})
        params["backend"] = "classical"
    elif op == "propagate":
        kw["keyframes"] = {0: hue_rotate(scene.frame(0), 90, scene.mask(0))}
    return EditContext(source, source.frame_range, params, **kw)


def profile(op_name: str, ctx: EditContext, sync, *, profiled: bool = True) -> tuple[float, pstats.Stats | None]:
    op = get_op(op_name)()
    run = op.start_analysis(ctx)
    profiler = cProfile.Profile() if profiled else None
    started = time.perf_counter()
    if profiler is not None:
        profiler.enable()
    if run is None:
        op.prepare(ctx)
    else:
        run()
    sync()
    if profiler is None:
        return time.perf_counter() - started, None
    profiler.disable()
    return time.perf_counter() - started, pstats.Stats(profiler)


def rows(stats: pstats.Stats, key: int, top: int, frames: int) -> list[dict]:
    """The `top` functions by own time (key 2) or total time (key 3), in ms per frame."""
    entries = []
    for (path, line, name), (_cc, calls, own, total, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        where = f"{Path(path).name}:{line}" if line else path
        entries.append({"function": f"{name} ({where})", "calls": calls,
                        "own_ms_per_frame": own * 1000 / frames, "total_ms_per_frame": total * 1000 / frames})
    order = "own_ms_per_frame" if key == 2 else "total_ms_per_frame"
    return sorted(entries, key=lambda e: -e[order])[:top]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clip", type=Path, required=True, help="a folder of frames/*.jpg and masks/*.png")
    ap.add_argument("--ops", default="propagate,track,remove")
    ap.add_argument("--frames", type=int, default=60)
    ap.add_argument("--height", type=int, default=1080)
    ap.add_argument("--device", default="cuda", help="cpu (the OpenCV path) or a torch device")
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--time-only", action="store_true",
                    help="no profiler (its cost on the main thread): the analysis's ms/frame alone, for A/B runs")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    width = int(round(args.height * 16 / 9 / 2)) * 2
    scene = FootageScene(args.clip, width, args.height, args.frames, Fraction(24000, 1001))
    sync = lambda: None  # noqa: E731
    if args.device.startswith("cuda"):
        import torch

        sync = torch.cuda.synchronize
    report = {"machine": machine(), "date": time.strftime("%Y-%m-%d"),
              "command": " ".join(["analysis_profile.py", *(argv if argv is not None else sys.argv[1:])]), "ops": {}}
    for op in args.ops.split(","):
        with tempfile.TemporaryDirectory(prefix="rtk-prof-") as tmp:
            # a short warm-up first: the device's first kernels and the allocator are not the op's cost
            profile(op, context(op, scene, min(4, args.frames), args.device, Path(tmp) / "warm"), sync)
            seconds, stats = profile(op, context(op, scene, args.frames, args.device, Path(tmp) / "run"), sync,
                                     profiled=not args.time_only)
        print(f"\n== {op}: analysis {seconds * 1000 / args.frames:.1f} ms/frame over {args.frames} frames "
              f"at {width}x{args.height} on {args.device}{' (not profiled)' if stats is None else ''}")
        if stats is None:
            report["ops"][op] = {"ms_per_frame": seconds * 1000 / args.frames}
            continue
        own, total = rows(stats, 2, args.top, args.frames), rows(stats, 3, args.top, args.frames)
        report["ops"][op] = {"ms_per_frame": seconds * 1000 / args.frames, "own": own, "total": total}
        by = (("own time", own, "own_ms_per_frame"), ("total time", total, "total_ms_per_frame"))
        for title, entries, field in by:
            print(f"-- by {title} (ms/frame, calls)")
            for e in entries:
                print(f"{e[field]:9.2f}  {e['calls']:7d}  {e['function']}")
    write_json(args.json, report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
