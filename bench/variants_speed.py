"""Ten colour variants in one batch job against ten separate jobs, on the same clip, side by side.

    python bench/variants_speed.py [--variants 10] [--size 320x180] [--frames 48] [--runs 1]
                                   [--json bench/out/variants_speed.json]

A real engine (in this process, on a Unix socket, as `retakes engine serve` runs it) gets
either one SubmitEdit with N `variants` (recolor, a keyframe mask tracked through the clip)
or N SubmitEdits of one colour each, waited on in turn; the figure is the wall time from
submit to the last job's end, and the ratio of the two, measured in one run (A B A B ...).
The batch tracks the mask once and renders N times; N jobs track it N times. The outputs of
both ways are compared (byte-identical, or the script fails).
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np
from common import Figure, alternate, median, write_report

from retakes.engine.client import EngineClient
from retakes.engine.config import EngineConfig
from retakes.engine.media.synthetic import DemoScene
from retakes.engine.service.server import engine_in_thread
from retakes.v1 import engine_pb2


def colors(n: int) -> list[str]:
    hues = np.linspace(0, 180, n, endpoint=False).astype(np.uint8)
    hsv = np.stack([hues, np.full(n, 200, np.uint8), np.full(n, 200, np.uint8)], axis=1)[None]
    rgb = cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)[0]
    return ["#{:02X}{:02X}{:02X}".format(*c) for c in rgb]


def base(source: Path, mask: Path) -> engine_pb2.EditRequest:
    return engine_pb2.EditRequest(source=engine_pb2.MediaRef(path=str(source)), op="recolor",
                                  mask=engine_pb2.MediaRef(path=str(mask)), overwrite=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--variants", type=int, default=10)
    ap.add_argument("--size", default="320x180")
    ap.add_argument("--frames", type=int, default=48)
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    w, h = (int(x) for x in args.size.split("x"))
    root = Path(tempfile.mkdtemp(prefix="rtk-variants-bench-"))
    try:
        source, mask = root / "shot.mov", root / "key.png"
        scene = DemoScene(w, h, args.frames, 24)
        scene.write(source, start_timecode="01:00:00:00")
        scene.write_masks(root / "masks")
        shutil.copy(sorted((root / "masks").glob("*.png"))[0], mask)  # the first frame's mask, tracked
        palette = colors(args.variants)
        config = EngineConfig(state_dir=root / "state", socket_path=root / "e.sock")
        with engine_in_thread(config) as running:
            client = EngineClient(f"unix://{running.socket_path}")

            def batch() -> None:
                request = base(source, mask)
                for i, color in enumerate(palette):
                    v = request.variants.add(name=f"c{i}", output_path=str(root / f"batch_{i}.mkv"))
                    v.params["color"].text_value = color
                job = client.wait(client.submit(request).id)
                assert job.state == engine_pb2.JOB_STATE_SUCCEEDED, job.error

            def separate() -> None:
                for i, color in enumerate(palette):
                    request = base(source, mask)
                    request.output_path = str(root / f"alone_{i}.mkv")
                    request.params["color"].text_value = color
                    job = client.wait(client.submit(request).id)
                    assert job.state == engine_pb2.JOB_STATE_SUCCEEDED, job.error

            t_batch, t_separate = alternate(batch, separate, args.runs)
            client.close()
        for i in range(args.variants):
            a, b = (hashlib.sha256((root / f"{k}_{i}.mkv").read_bytes()).hexdigest() for k in ("batch", "alone"))
            if a != b:
                print(f"variant {i}: the batch's output differs from its job alone", file=sys.stderr)
                return 1
        n = args.variants
        what = f"{n} recolor variants, {w}x{h}x{args.frames}, ffv1"
        figures = [
            Figure(f"one batch job ({what})", median(t_batch), "s", t_batch),
            Figure(f"{n} separate jobs ({what})", median(t_separate), "s", t_separate),
            Figure("separate / batch", median(t_separate) / median(t_batch), "x",
                   note="outputs byte-identical both ways"),
        ]
        write_report(args.json, "Batch variants vs separate jobs", figures)
        return 0
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
