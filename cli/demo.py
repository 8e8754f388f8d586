"""`retakes demo`: the main job on built-in media, end to end through the engine.

1. Generates a clip in code: a textured object moving over a panning textured
   background, with an audio tone and a start timecode (nothing is downloaded).
2. Plays the editor: previews a recolor of the object on one keyframe (one
   single-frame Preview call) and keeps that frame as the "edited keyframe".
3. Propagates that one edited keyframe through the whole clip (a real engine job,
   with progress), or recolors with per-frame masks where propagation is unavailable.
4. Writes a before/after contact sheet and prints where everything is.
"""

from __future__ import annotations

import argparse
import time
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np

from ..engine.client import EngineClient, connect
from ..engine.media import FrameReader, probe
from ..engine.media.synthetic import DemoScene
from ..engine.ops import REGISTRY
from ..v1 import engine_pb2
from . import values
from .edit import add_engine_options, report
from .progress import JobProgressBar

START_TIMECODE = "01:00:00:00"


def add_demo_parser(subparsers) -> None:
    p = subparsers.add_parser("demo", help="run the main job on built-in media and write a contact sheet")
    p.add_argument("--out", type=Path, default=Path("retakes-demo"), help="output folder (default ./retakes-demo)")
    p.add_argument("--size", type=values.frame_size, default=(640, 360), metavar="WxH",
                   help="frame size of the built-in clip (default 640x360)")
    p.add_argument("--frames", type=values.whole(2, 100_000, "a number of frames"), default=72,
                   help="length of the built-in clip in frames (default 72)")
    add_engine_options(p)
    p.set_defaults(run=run_demo)


def run_demo(args: argparse.Namespace) -> int:
    out: Path = args.out.absolute()
    out.mkdir(parents=True, exist_ok=True)
    width, height = args.size
    source = out / "source.mov"
    masks = out / "masks"
    print(f"1/4 generating the built-in clip ({width}x{height}, {args.frames} frames, 24000/1001 fps, "
          f"starting {START_TIMECODE}, with a tone)", flush=True)
    scene = DemoScene(width=width, height=height, frames=args.frames, rate=Fraction(24000, 1001))
    scene.write(source, codec="prores_422hq", start_timecode=START_TIMECODE)
    scene.write_masks(masks)

    with connect(args.engine, token=args.token) as engine:
        keyframe = out / "keyframe_edited.png"
        print("2/4 previewing the edit on frame 0 (the editor's edited keyframe)", flush=True)
        latency = _edit_keyframe(engine, source, masks, keyframe)
        print(f"    preview took {latency:.0f} ms", flush=True)

        result = out / "retake.mov"
        # the demo's folder is its own: a second run replaces the first run's result
        request = engine_pb2.EditRequest(source=engine_pb2.MediaRef(path=str(source)), output_path=str(result),
                                         overwrite=True)
        if "propagate" in REGISTRY:
            print("3/4 propagating the edited keyframe through the clip", flush=True)
            request.op = "propagate"
            request.keyframes.add(frame=0, edited=engine_pb2.MediaRef(path=str(keyframe)))
        else:
            print("3/4 recoloring the object on every frame (per-frame masks)", flush=True)
            request.op = "recolor"
            request.mask.path = str(masks)
            request.params["hue"].number_value = 150.0
        job = engine.submit(request)
        with JobProgressBar(request.op) as bar:
            job = engine.wait(job.id, bar)
        status = report(job)
        if status != 0:
            return status

    sheet = out / "contact_sheet.png"
    print("4/4 writing the before/after contact sheet", flush=True)
    write_contact_sheet(source, result, sheet)
    print(f"\nretakes demo wrote its output to {out}\n"
          f"  source:        {source}\n  edited frame:  {keyframe}\n  result:        {result}\n"
          f"  contact sheet: {sheet}")
    return 0


def _edit_keyframe(engine: EngineClient, source: Path, masks: Path, keyframe: Path) -> float:
    request = engine_pb2.EditRequest(source=engine_pb2.MediaRef(path=str(source)), op="recolor")
    request.mask.path = str(masks)
    request.params["hue"].number_value = 150.0
    started = time.perf_counter()
    preview = engine.preview(request, 0)
    elapsed = (time.perf_counter() - started) * 1000
    keyframe.write_bytes(preview.image)
    return elapsed


def write_contact_sheet(before: Path, after: Path, dest: Path, *, columns: int = 6, thumb_width: int = 320) -> None:
    """Two rows, before and after, of evenly spaced frames with their timecodes."""
    info_before, info_after = probe(before), probe(after)
    count = min(info_before.frame_count, info_after.frame_count)
    picks = np.linspace(0, count - 1, columns).round().astype(int).tolist()
    scale = thumb_width / info_before.width
    thumb_h = round(info_before.height * scale)
    label_h, pad = 28, 6
    sheet = np.full((2 * (thumb_h + label_h) + 3 * pad, columns * (thumb_width + pad) + pad + 80, 3), 24, np.uint8)
    for row, (info, title) in enumerate(((info_before, "before"), (info_after, "after"))):
        y = pad + row * (thumb_h + label_h + pad)
        cv2.putText(sheet, title, (8, y + thumb_h // 2), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (230, 230, 230), 1, cv2.LINE_AA)
        with FrameReader(info) as reader:
            for col, index in enumerate(picks):
                frame = reader.frame(index)
                if frame.dtype != np.uint8:
                    frame = (frame >> 8).astype(np.uint8)
                thumb = cv2.resize(frame, (thumb_width, thumb_h), interpolation=cv2.INTER_AREA)
                x = 80 + col * (thumb_width + pad)
                sheet[y:y + thumb_h, x:x + thumb_width] = thumb
                cv2.putText(sheet, info.timebase.timecode_of(index), (x + 4, y + thumb_h + 19),
                            cv2.FONT_HERSHEY_SIMPLEX, 0.5, (200, 200, 200), 1, cv2.LINE_AA)
    tmp = dest.with_name(dest.name + ".partial.png")
    cv2.imwrite(str(tmp), cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR))
    tmp.replace(dest)
