"""What a private engine costs every command that starts one: its start and its stop.

    python bench/private_engine.py [--runs 5] [--settle 4] [--json bench/out/private_engine.json]

`retakes edit` without a running engine starts one for itself (engine.client.private_engine)
and waits for it twice: until it answers health, and, once the job is done, until it has
exited. Both are timed here around the real `private_engine`, with one health call between;
`--settle` seconds pass before the stop so that what the engine loads at start on a thread of
its own (torch and the CUDA context, where there is an NVIDIA driver) is loaded, as it is at
the end of a job.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from common import Figure, write_report

from retakes.engine.client import EngineClient, private_engine


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--settle", type=float, default=4.0, help="seconds between the start and the stop")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    starts, stops = [], []
    with tempfile.TemporaryDirectory(prefix="rtk-private-") as home:
        for _ in range(args.runs):
            began = time.perf_counter()
            engine = private_engine(Path(home))
            target = engine.__enter__()
            started = time.perf_counter()
            with EngineClient(target) as client:
                client.healthy()
            time.sleep(args.settle)
            stopping = time.perf_counter()
            engine.__exit__(None, None, None)
            stops.append(time.perf_counter() - stopping)
            starts.append(started - began)
    write_report(args.json, "a private engine's start and stop", [
        Figure("start, until it answers health", statistics.median(starts), "s", starts),
        Figure("stop, from the end of its use until it has exited", statistics.median(stops), "s", stops),
    ])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
