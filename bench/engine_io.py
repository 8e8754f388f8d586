"""Engine latency and transfer throughput, on a real engine over real sockets.

    python bench/engine_io.py [--upload-mb 500] [--runs 5] [--json bench/out/engine_io.json]

- submit-to-first-progress: from the SubmitEdit call until WatchJob delivers the first
  snapshot with frames done (the job claimed, the source opened, one frame rendered);
- upload throughput of one file of --upload-mb MB over loopback TCP (with the bearer
  token) and over the Unix socket, side by side in the same run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from fractions import Fraction
from pathlib import Path

from common import Figure, median, write_report

from retakes.engine.client import EngineClient
from retakes.engine.config import EngineConfig
from retakes.engine.media.synthetic import write_index_clip
from retakes.engine.service.server import engine_in_thread
from retakes.engine.timecode import FrameRate
from retakes.v1 import engine_pb2


def first_progress_latency(client: EngineClient, source: Path, out_dir: Path, runs: int) -> list[float]:
    times = []
    for i in range(runs):
        request = engine_pb2.EditRequest(source=engine_pb2.MediaRef(path=str(source)),
                                         output_path=str(out_dir / f"o{i}.mkv"), op="relight")
        started = time.perf_counter()
        job = client.submit(request)
        for snapshot in client.watch(job.id):
            if snapshot.progress.frames_done > 0:
                times.append(time.perf_counter() - started)
                break
        client.wait(job.id)
    return times


def upload_seconds(client: EngineClient, path: Path) -> float:
    started = time.perf_counter()
    client.upload(path)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upload-mb", type=int, default=500)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="rtk-bench-", dir="/tmp") as tmp:
        tmp = Path(tmp)
        source = tmp / "clip.mov"
        write_index_clip(source, frames=48, rate=FrameRate(Fraction(24000, 1001)), size=(1920, 1080),
                         codec="prores_422hq", start_timecode="01:00:00:00", audio=True)
        figures = []
        # One engine listening on both: each run uploads over the Unix socket then over
        # TCP, so drift on this shared machine hits both alike.
        state = tmp / "state"
        config = EngineConfig(state_dir=state, socket_path=state / "e.sock", tcp_port=0)
        with engine_in_thread(config) as running:
            unix, tcp = running.targets
            with EngineClient(unix) as client:
                lat = first_progress_latency(client, source, tmp, args.runs)
            figures.append(Figure("submit-to-first-progress, 1080p ProRes source (ms)",
                                  median(lat) * 1000, "ms", [t * 1000 for t in lat]))
            speeds: dict[str, list[float]] = {"unix": [], "tcp": []}
            for run in range(max(1, args.runs // 2)):
                for name, target in (("unix", unix), ("tcp", tcp)):
                    blob = tmp / f"blob-{name}-{run}.mov"  # distinct content: uploads are content-addressed
                    with open(blob, "wb") as f:
                        for _ in range(args.upload_mb):
                            f.write(os.urandom(1 << 20))
                    with EngineClient(target, token=running.token if name == "tcp" else None) as client:
                        speeds[name].append(args.upload_mb / upload_seconds(client, blob))
                    blob.unlink()
            for name, values in speeds.items():
                figures.append(Figure(f"upload {args.upload_mb} MB over {name} (MB/s)", statistics.median(values),
                                      "MB/s", values))
    write_report(args.json, "engine latency and upload throughput", figures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
