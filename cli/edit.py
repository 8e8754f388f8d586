"""`retakes edit` and `retakes track`: build an EditRequest from the command line and run it.

The op options (`--color`, `--look`, ...) are generated from the ops' own specs, the same
specs the engine publishes as capabilities, so a new op parameter needs no CLI change.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from ..engine.client import EngineClient, EngineError, connect
from ..engine.ops import REGISTRY
from ..engine.ops.base import ParamType
from ..v1 import engine_pb2
from .progress import JobProgressBar

_STRUCTURAL = {"mask", "mask_frame", "keyframe", "edited", "range", "codec", "output", "op", "seed", "device"}


class CliError(Exception):
    """A usage error found before the engine is called (one line, exit 2)."""


def add_engine_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("engine")
    group.add_argument("--engine", metavar="TARGET",
                       help="engine address (unix:///path.sock or host:port); default: a running engine, "
                            "else a private one started for this command")
    group.add_argument("--token", help="bearer token for an engine on TCP (default: $RETAKES_TOKEN)")


def _op_options(parser: argparse.ArgumentParser) -> None:
    seen: dict[str, str] = {}
    group = parser.add_argument_group("op options (each op takes its own; see `retakes ops`)")
    for name in sorted(REGISTRY):
        for p in REGISTRY[name].spec.params:
            flag = "--" + p.name.replace("_", "-")
            # Structural inputs (mask, keyframes, ...) have their own flags; params shared by
            # several ops get one flag.
            if p.name in _STRUCTURAL or p.name in seen or flag in parser._option_string_actions:
                continue
            seen[p.name] = name
            extra = f" [{', '.join(p.choices)}]" if p.choices else ""
            group.add_argument(flag, dest=f"param_{p.name}", metavar=p.type.value.upper(),
                               help=f"{p.help}{extra}")


def add_edit_parser(subparsers) -> None:
    p = subparsers.add_parser("edit", help="edit a clip (or a range of it) with one operation",
                              description="retakes edit SOURCE -o OUT --op OP [--range A:B] [--codec C] [op options]")
    p.add_argument("source", metavar="SOURCE", help="video file (mov, mp4, mxf, mkv) or image-sequence folder")
    p.add_argument("-o", "--output", required=True, metavar="OUT",
                   help="output file (container by extension) or folder (PNG sequence)")
    p.add_argument("--op", required=True, help=f"operation: {', '.join(sorted(REGISTRY))}")
    _common_source_options(p)
    p.add_argument("--codec", help="prores_422hq, prores_4444, dnxhr_hqx, h264, ffv1, png (default by extension)")
    p.add_argument("--mask", metavar="M", help="mask image (keyframe mask), folder of per-frame masks, or matte video")
    p.add_argument("--mask-frame", type=int, metavar="K", help="source frame the single mask image belongs to")
    p.add_argument("--keyframe", type=int, action="append", default=[], metavar="K",
                   help="source frame K that --edited shows edited (repeat for several)")
    p.add_argument("--edited", action="append", default=[], metavar="IMG", help="the edited version of --keyframe")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N")
    _op_options(p)
    add_engine_options(p)
    p.set_defaults(run=run_edit)


def add_track_parser(subparsers) -> None:
    p = subparsers.add_parser("track", help="carry a keyframe mask through the clip (mask propagation only)",
                              description="retakes track SOURCE -o MASKS_OUT --mask KEYMASK --keyframe K")
    p.add_argument("source", metavar="SOURCE")
    p.add_argument("-o", "--output", required=True, metavar="MASKS_OUT",
                   help="folder for the per-frame masks (8-bit grayscale PNGs 00000.png...; white = object), "
                        "or a video file (a gray matte)")
    p.add_argument("--mask", required=True, metavar="KEYMASK", help="the mask of frame K")
    p.add_argument("--keyframe", type=int, required=True, metavar="K", help="source frame the mask belongs to")
    _common_source_options(p)
    p.add_argument("--device", default="auto")
    p.add_argument("--backend", choices=("classical", "learned", "auto"), default="auto",
                   help="classical (optical flow), learned (SAM 2 from `retakes models`), auto (learned when its "
                        "weights are here; default)")
    p.add_argument("--model", metavar="NAME", help="the learned tracker's model (default: the store's)")
    add_engine_options(p)
    p.set_defaults(run=run_track)


def _common_source_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--range", metavar="A:B",
                   help="source frames A:B (end exclusive) or timecodes HH:MM:SS:FF-HH:MM:SS:FF (end exclusive, "
                        "at the media's rate). ';' before FF means drop-frame; ':' means the media's own "
                        "timecode, so on 29.97/59.94 drop-frame media 01:00:00:02 is read as 01:00:00;02")
    p.add_argument("--rate", help="frame rate of an image-sequence SOURCE, e.g. 24000/1001 (default 24)")
    p.add_argument("--start-timecode", help="start timecode of an image-sequence SOURCE (default 00:00:00:00)")


def _abs(path: str) -> str:
    return str(Path(path).expanduser().absolute())


def range_spec(text: str) -> engine_pb2.RangeSpec:
    if re.fullmatch(r"\s*-?\d+\s*:\s*-?\d+\s*", text):
        a, b = (int(x) for x in text.split(":"))
        return engine_pb2.RangeSpec(frames=engine_pb2.FrameRange(start=a, end=b))
    parts = text.split("-")
    if len(parts) != 2:
        raise CliError(f"--range: expected A:B or HH:MM:SS:FF-HH:MM:SS:FF, got {text!r}")
    return engine_pb2.RangeSpec(timecodes=engine_pb2.TimecodeRange(start=parts[0].strip(), end=parts[1].strip()))


def _param(op: str, name: str, raw: str) -> engine_pb2.ParamValue:
    """Typed by the local op spec when known; the engine validates either way."""
    cls = REGISTRY.get(op)
    ptype = None
    if cls is not None:
        ptype = next((p.type for p in cls.spec.params if p.name == name), None)
    if ptype is ParamType.PATH:
        return engine_pb2.ParamValue(text_value=_abs(raw))
    try:
        if ptype is ParamType.NUMBER:
            return engine_pb2.ParamValue(number_value=float(raw))
        if ptype is ParamType.INTEGER:
            return engine_pb2.ParamValue(int_value=int(raw))
    except ValueError:
        raise CliError(f"--{name.replace('_', '-')}: expected a {ptype.value}, got {raw!r}") from None
    if ptype is ParamType.BOOL:
        return engine_pb2.ParamValue(bool_value=raw.lower() in ("1", "true", "yes", "on"))
    return engine_pb2.ParamValue(text_value=raw)


def build_request(args: argparse.Namespace, op: str) -> engine_pb2.EditRequest:
    request = engine_pb2.EditRequest(
        source=engine_pb2.MediaRef(path=_abs(args.source)),
        output_path=_abs(args.output),
        op=op,
        codec=getattr(args, "codec", None) or "",
        seed=getattr(args, "seed", 0) or 0,
        device=args.device or "auto",
        sequence_rate=args.rate or "",
        sequence_start_timecode=args.start_timecode or "",
    )
    if args.range:
        request.range.CopyFrom(range_spec(args.range))
    if args.mask:
        request.mask.path = _abs(args.mask)
    for key, value in vars(args).items():
        if key.startswith("param_") and value is not None:
            name = key.removeprefix("param_")
            request.params[name].CopyFrom(_param(op, name, value))
    return request


def run_edit(args: argparse.Namespace) -> int:
    request = build_request(args, args.op)
    if args.mask_frame is not None:
        request.mask_frame = args.mask_frame
    if len(args.keyframe) != len(args.edited):
        raise CliError("--keyframe and --edited come in pairs: give one --edited IMG after each --keyframe K")
    for frame, image in zip(args.keyframe, args.edited, strict=True):
        request.keyframes.add(frame=frame, edited=engine_pb2.MediaRef(path=_abs(image)))
    return execute(request, args)


def run_track(args: argparse.Namespace) -> int:
    request = build_request(args, "track")
    request.mask_frame = args.keyframe
    request.params["backend"].text_value = args.backend
    if args.model:
        request.params["model"].text_value = args.model
    return execute(request, args)


def execute(request: engine_pb2.EditRequest, args: argparse.Namespace) -> int:
    """Runs the request on an engine with a progress bar; Ctrl-C cancels the job."""
    with connect(args.engine, token=args.token) as engine:
        job = engine.submit(request)
        try:
            with JobProgressBar(f"{request.op} {job.id[:8]}") as bar:
                job = engine.wait(job.id, bar)
        except KeyboardInterrupt:
            _cancel(engine, job.id)
            print("cancelled; nothing was written", flush=True)
            return 130
    return report(job)


def _cancel(engine: EngineClient, job_id: str) -> None:
    try:
        engine.cancel(job_id)
        engine.wait(job_id)
    except EngineError:
        pass


def report(job: engine_pb2.Job) -> int:
    if job.state == engine_pb2.JOB_STATE_SUCCEEDED:
        for out in job.result.outputs:
            print(f"wrote {out.path} ({job.result.frames_written} frames, {job.result.codec}, "
                  f"starts {job.result.start_timecode} at {job.result.rate} fps) sha256 {out.sha256[:16]}")
        for note in job.result.notes:  # on stderr: stdout keeps its one "wrote" line per output
            print(f"retakes: note: {note}", file=sys.stderr)
        return 0
    if job.state == engine_pb2.JOB_STATE_CANCELLED:
        print(f"job {job.id} was cancelled; nothing was written")
        return 130
    raise EngineError(job.error.code, job.error.message, field=job.error.field)
