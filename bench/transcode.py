"""1080p ProRes 422 HQ decode + encode throughput: retakes' media layer against the ffmpeg CLI.

Both do the same transcode of the same file in the same run, alternating, so the
figure to quote is the ratio (machines here are shared and noisy):

    python bench/transcode.py [--frames 48] [--runs 3] [--json bench/out/transcode.json]

retakes' path is what every job does per frame: decode to RGB (FrameReader), then
encode from RGB (SegmentWriter, prores_ks profile 3, yuv422p10le). ffmpeg's path is
`ffmpeg -i in.mov -c:v prores_ks -profile:v 3 -pix_fmt yuv422p10le out.mov`, which stays
in YUV: the ratio therefore includes our RGB round trip, the price of working in RGB.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
from fractions import Fraction
from pathlib import Path

from common import Figure, alternate, median, write_report

from retakes.engine.media import FrameReader, SegmentWriter, probe, resolve_codec
from retakes.engine.media.synthetic import DemoScene
from retakes.engine.timecode import FrameRange


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=48)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise SystemExit("this benchmark compares against the ffmpeg command line: install ffmpeg first")

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        source = tmp / "source.mov"
        DemoScene(width=1920, height=1080, frames=args.frames, rate=Fraction(24000, 1001)).write(
            source, codec="prores_422hq", start_timecode="01:00:00:00")
        info = probe(source)
        spec = resolve_codec(tmp / "x.mov", "prores_422hq")

        def ours() -> None:
            out = tmp / "ours.mov"
            with FrameReader(info) as reader, SegmentWriter(out, spec, info.width, info.height, info.rate,
                                                            info.bit_depth, info.color) as writer:
                for _, frame in reader.frames(FrameRange(0, info.frame_count)):
                    writer.write(frame)
            out.unlink()

        def theirs() -> None:
            out = tmp / "ffmpeg.mov"
            subprocess.run([ffmpeg, "-v", "error", "-y", "-i", str(source), "-an", "-c:v", "prores_ks",
                            "-profile:v", "3", "-pix_fmt", "yuv422p10le", str(out)], check=True)
            out.unlink()

        ta, tb = alternate(ours, theirs, args.runs)
    n = args.frames
    ratios = [b / a for a, b in zip(ta, tb, strict=True)]
    figures = [
        Figure("retakes decode+encode (fps)", n / median(ta), "fps", [n / t for t in ta]),
        Figure("ffmpeg CLI transcode (fps)", n / median(tb), "fps", [n / t for t in tb]),
        Figure("throughput ratio retakes / ffmpeg (median of pairs)", median(ratios), "x", ratios),
    ]
    write_report(args.json, f"1080p ProRes 422 HQ transcode, {n} frames, {args.runs} alternating runs", figures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
