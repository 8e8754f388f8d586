"""Does ProRes encoding scale across threads, or only across processes?

    python bench/parallel_encode.py [--frames 48] [--streams 4] [--size 1920x1080]

Encodes the same frames as 1 stream, as N streams on threads, and as N streams in
processes, and prints frames per second for each. If threads do not scale, the GIL is
held somewhere in the per-frame path (PyAV's frame conversion or encode call), and
chunk-parallel rendering must use processes.
"""

from __future__ import annotations

import argparse
import multiprocessing
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from fractions import Fraction
from pathlib import Path

import numpy as np

from retakes.engine.media import SegmentWriter, resolve_codec
from retakes.engine.media.probe import ColorTags
from retakes.engine.media.synthetic import DemoScene
from retakes.engine.timecode import FrameRate


def frames(size: tuple[int, int], n: int) -> list[np.ndarray]:
    scene = DemoScene(width=size[0], height=size[1], frames=n, rate=Fraction(24))
    return [scene.frame(i) for i in range(n)]


def encode(path: str, size: tuple[int, int], n: int) -> None:
    data = frames(size, min(n, 8))
    spec = resolve_codec(Path(path), "prores_422hq")
    with SegmentWriter(Path(path), spec, size[0], size[1], FrameRate(Fraction(24)), 8, ColorTags()) as w:
        for i in range(n):
            w.write(data[i % len(data)])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=48)
    parser.add_argument("--streams", type=int, default=4)
    parser.add_argument("--size", default="1920x1080")
    args = parser.parse_args()
    size = tuple(int(v) for v in args.size.split("x"))
    n, k = args.frames, args.streams
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        encode(f"{tmp}/one.mov", size, n)
        one = time.perf_counter() - started
        started = time.perf_counter()
        threads = [threading.Thread(target=encode, args=(f"{tmp}/t{i}.mov", size, n)) for i in range(k)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        in_threads = time.perf_counter() - started
        started = time.perf_counter()
        with ProcessPoolExecutor(k, mp_context=multiprocessing.get_context("spawn")) as pool:
            list(pool.map(encode, [f"{tmp}/p{i}.mov" for i in range(k)], [size] * k, [n] * k))
        in_processes = time.perf_counter() - started
    print(f"ProRes 422 HQ {args.size}: 1 stream {n / one:.1f} fps;",
          f"{k} streams on threads {k * n / in_threads:.1f} fps;",
          f"{k} streams in processes {k * n / in_processes:.1f} fps (frame generation included)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
