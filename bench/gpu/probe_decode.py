"""Can this machine decode on its GPU through PyAV? (issue 16: "find out first").

    python bench/gpu/probe_decode.py [--frames 120] [--json OUT]

Writes a 1080p H.264 clip (and an HEVC one), then decodes each to RGB three ways, in
one run: FFmpeg's software decoder with frame threads (what the engine does today),
PyAV's hardware acceleration (`HWAccel(device_type="cuda")`, NVDEC behind FFmpeg's
generic hwaccel, frames copied back to system memory), and the `*_cuvid` decoders.
Prints which worked, what failed in words, and fps for each. Nothing here is product
code: it only tells whether a GPU decode path is worth building on the machine.
"""

from __future__ import annotations

import argparse
import ctypes.util
import json
import time
from fractions import Fraction
from pathlib import Path
from tempfile import TemporaryDirectory

import av
import numpy as np


def write_clip(path: Path, codec: str, frames: int) -> None:
    rng = np.random.default_rng(0)
    base = rng.integers(0, 255, (1080, 1920, 3), dtype=np.uint8)
    with av.open(str(path), "w") as out:
        stream = out.add_stream(codec, rate=Fraction(24))
        stream.width, stream.height, stream.pix_fmt = 1920, 1080, "yuv420p"
        stream.options = {"preset": "ultrafast"} if codec == "libx264" else {}
        for i in range(frames):
            img = np.roll(base, 4 * i, axis=1)
            for packet in stream.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)


def decode(path: Path, how: str) -> dict:
    t0 = time.perf_counter()
    n = 0
    try:
        if how == "software":
            container = av.open(str(path))
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
        elif how == "hwaccel":
            from av.codec.hwaccel import HWAccel

            container = av.open(str(path), hwaccel=HWAccel(device_type="cuda", allow_software_fallback=False))
            stream = container.streams.video[0]
        else:  # a *_cuvid decoder by name
            container = av.open(str(path))
            stream = container.streams.video[0]
            ctx = av.CodecContext.create(how, "r")
            ctx.extradata = stream.codec_context.extradata
            for packet in container.demux(stream):
                for frame in ctx.decode(packet):
                    frame.to_ndarray(format="rgb24")
                    n += 1
            for frame in ctx.decode(None):
                frame.to_ndarray(format="rgb24")
                n += 1
            container.close()
            return {"ok": True, "frames": n, "fps": n / (time.perf_counter() - t0)}
        with container:
            for frame in container.decode(stream):
                fmt = frame.format.name
                frame.to_ndarray(format="rgb24")
                n += 1
        return {"ok": True, "frames": n, "fps": n / (time.perf_counter() - t0), "frame_format": fmt}
    except Exception as error:  # noqa: BLE001 - a probe reports every failure in words
        return {"ok": False, "error": f"{type(error).__name__}: {error}"[:300], "frames": n}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=120)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    from av.codec.hwaccel import hwdevices_available

    report: dict = {
        "av": av.__version__,
        "hwdevices_available": list(hwdevices_available()),
        "libnvcuvid": ctypes.util.find_library("nvcuvid"),
        "libnvidia-encode": ctypes.util.find_library("nvidia-encode"),
        "results": {},
    }
    with TemporaryDirectory() as tmp:
        for codec, cuvid in (("libx264", "h264_cuvid"), ("libx265", "hevc_cuvid")):
            path = Path(tmp) / f"{codec}.mp4"
            try:
                write_clip(path, codec, args.frames)
            except Exception as error:  # noqa: BLE001
                report["results"][codec] = {"write": f"{type(error).__name__}: {error}"[:300]}
                continue
            report["results"][codec] = {how: decode(path, how) for how in ("software", "hwaccel", cuvid)}
    print(json.dumps(report, indent=1))
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
