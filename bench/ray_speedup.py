"""The Ray executor against the local executor: the same job, end to end, interleaved.

    python bench/ray_speedup.py [--frames 96] [--size 640x360] [--op relight] [--codec ffv1]
                                [--device cpu] [--workers 2] [--chunk-frames 16] [--runs 3] [--json PATH]

Both run a real engine in this process (engine_in_thread) on one clip, submitted through
gRPC as a client would: the local executor with `--workers` chunk threads, and the Ray
executor with a local Ray of `--workers` CPUs (so `--workers` chunks at once, each a Ray task
in its own worker process). With `--device cuda` each chunk task asks Ray for a whole GPU:
one Ray worker per GPU, so a one-GPU machine runs one GPU chunk at a time. The runs alternate
(local, ray, local, ray...) after a warm-up of each, and every Ray output is checked to be
byte-identical to the local one.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")  # read when ray is imported: loopback only

from common import Figure, alternate, median, write_report  # noqa: E402

from retakes.engine.config import EngineConfig, RaySettings  # noqa: E402
from retakes.engine.media.synthetic import write_index_clip  # noqa: E402
from retakes.engine.service.server import engine_in_thread  # noqa: E402
from retakes.v1 import engine_pb2  # noqa: E402

OUT_SUFFIX = {"ffv1": ".mkv", "prores_422hq": ".mov", "dnxhr_hqx": ".mxf", "h264": ".mp4"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--frames", type=int, default=96)
    parser.add_argument("--size", default="640x360")
    parser.add_argument("--op", default="relight")
    parser.add_argument("--codec", default="ffv1")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--chunk-frames", type=int, default=16)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))

    root = Path(tempfile.mkdtemp(prefix="retakes-ray-bench-"))
    clip = write_index_clip(root / "clip.mov", frames=args.frames, rate=24, size=(width, height),
                            codec="prores_422hq", audio=False)
    suffix = OUT_SUFFIX.get(args.codec, ".mov")
    common = dict(chunk_frames=args.chunk_frames, lease_seconds=30.0)
    local_cfg = EngineConfig(state_dir=root / "local", socket_path=root / "local.sock", render_workers=args.workers,
                             **common)
    ray_cfg = EngineConfig(state_dir=root / "ray", socket_path=root / "ray.sock", executor="ray",
                           ray=RaySettings(local_cpus=args.workers), **common)
    counter = {"n": 0}
    outputs: dict[str, list[bytes]] = {"local": [], "ray": []}

    def job(running, name: str):
        def run() -> None:
            counter["n"] += 1
            out = root / f"{name}-{counter['n']}{suffix}"
            request = engine_pb2.EditRequest(source=engine_pb2.MediaRef(path=str(clip)), output_path=str(out),
                                             op=args.op, codec=args.codec, device=args.device)
            if args.op == "relight":
                request.params["look"].text_value = "golden-hour"
            with running_client(running) as client:
                done = client.run_edit(request)
            if done.state != engine_pb2.JOB_STATE_SUCCEEDED:
                raise SystemExit(f"{name}: {done.error.field}: {done.error.message}")
            outputs[name].append(out.read_bytes())
            out.unlink()
        return run

    with engine_in_thread(local_cfg) as local, engine_in_thread(ray_cfg) as ray_engine:
        t_local, t_ray = alternate(job(local, "local"), job(ray_engine, "ray"), args.runs)
        describe = ray_engine.engine.executor.cluster.describe()
    identical = all(r == outputs["local"][0] for r in outputs["ray"] + outputs["local"])
    note = f"{args.op} {args.size} x{args.frames} {args.codec} {args.device}, chunks of {args.chunk_frames}"
    figures = [
        Figure(f"local executor, {args.workers} chunk threads", args.frames / median(t_local), "fps",
               [args.frames / t for t in t_local], note),
        Figure(f"Ray executor, local Ray ({describe})", args.frames / median(t_ray), "fps",
               [args.frames / t for t in t_ray], note),
        Figure("Ray / local (speed-up, from medians)", median(t_local) / median(t_ray), "x", [],
               f"outputs byte-identical: {identical}"),
    ]
    write_report(args.json, "Ray executor vs local executor, same job, interleaved", figures)
    if not identical:
        raise SystemExit("the Ray executor's output differs from the local executor's")


def running_client(running):
    from retakes.engine.client import EngineClient

    return EngineClient(running.targets[0])


if __name__ == "__main__":
    main()
