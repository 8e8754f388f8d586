"""`retakes edit` and `retakes track`: build an EditRequest from the command line and run it.

The op options (`--color`, `--look`, ...) are generated from the ops' own specs, the same
specs the engine publishes as capabilities, so a new op parameter needs no CLI change.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

from ..bridge.versions_cli import add_version_options, record_version
from ..engine.client import EngineError, connect
from ..engine.ops import REGISTRY
from ..engine.ops.base import ParamType
from ..v1 import engine_pb2
from . import values
from .progress import JobProgressBar
from .running_job import RunningJob

_STRUCTURAL = {"mask", "mask_frame", "mask_index", "keyframe", "edited", "range", "codec", "output", "op", "seed",
               "device"}
#: how a mask image is read, for --help (engine.media.mask_image has the rules)
MASK_HELP = ("white on black marks the object (grey levels: soft edges, >= 128 is inside; or the alpha channel "
             "where it varies); a palette PNG (DAVIS-style) or an image of flat colours on black is a "
             "multi-object mask: one object is used, picked with --mask-index")


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
            # repeatable: `retakes edit` makes one variant per value (cli/variants.py)
            group.add_argument(flag, dest=f"param_{p.name}", metavar=p.type.value.upper(), action="append",
                               help=f"{p.help}{extra}")


def add_edit_parser(subparsers) -> None:
    p = subparsers.add_parser("edit", help="edit a clip (or a range of it) with one operation",
                              description="retakes edit SOURCE -o OUT --op OP [--range A:B] [--codec C] [op options]\n"
                                          "retakes edit --fix VERSION --range A:B -o OUT [new op options]",
                              epilog=_tracker_states("--op track --backend"),
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("source", metavar="SOURCE", nargs="?",
                   help="video file (mov, mp4, mxf, mkv) or image-sequence folder (with --fix: the version's own)")
    p.add_argument("-o", "--output", required=True, metavar="OUT",
                   help="output file (container by extension) or folder (PNG sequence); with variants, each is "
                        "written beside it as OUT_NAME (car.mkv -> car_red.mkv)")
    _overwrite_option(p)
    p.add_argument("--op",
                   help=f"operation: {', '.join(sorted(REGISTRY))} (`retakes ops` lists each one's options); "
                        "with --fix, the version's own")
    _common_source_options(p)
    p.add_argument("--codec", help="prores_422hq, prores_4444, dnxhr_hqx, h264, ffv1, png (default by extension)")
    p.add_argument("--mask", metavar="M", action="append", default=[],
                   help="mask image (keyframe mask, tracked through the clip), folder of per-frame masks, or matte "
                        f"video (read by brightness). {MASK_HELP}. Repeat --mask M --mask-frame K to give the "
                        "object's mask on several frames: tracking restarts from each")
    p.add_argument("--mask-frame", type=values.frame, metavar="K", action="append", default=[],
                   help="source frame the mask image before it belongs to (default for a single one: the range start)")
    _mask_options(p)
    p.add_argument("--keyframe", type=values.frame, action="append", default=[], metavar="K",
                   help="source frame K that --edited shows edited (repeat for several)")
    p.add_argument("--edited", action="append", default=[], metavar="IMG", help="the edited version of --keyframe")
    p.add_argument("--tracker", choices=("classical", "learned", "auto"),
                   help="how a single-image --mask is carried through the clip: classical (optical flow), learned "
                        "(SAM 2 from `retakes models`), auto (learned when its weights are here; the default). "
                        "`--op track` picks with --backend instead")
    p.add_argument("--tracker-model", metavar="NAME", help="the learned tracker's model (default: the store's)")
    p.add_argument("--seed", type=values.seed, default=0, help="seed for ops that draw random numbers (default 0)")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N")
    p.add_argument("--decode", choices=("cpu", "gpu", "auto"), default="cpu",
                   help="decode the source on the CPU (default), on the GPU's hardware decoder (NVDEC; falls back "
                        "to the CPU, saying so in the log, where there is none), or auto (the CPU: on the machines "
                        "measured the GPU decoder was slower once frames are copied back)")
    _op_options(p)
    batch = p.add_argument_group("batch variants, webhooks and frame fixing")
    batch.add_argument("--variants", metavar="FILE",
                       help="a CSV (header: parameter names, e.g. name,color) or YAML (a list of mappings) of "
                            "parameter sets: one job renders one variant per row, the analysis (tracking, flow) "
                            "done once; each is written as OUT_NAME and recorded as its own version. An op option "
                            "given several times (--color A --color B) makes one variant per value too")
    batch.add_argument("--webhook", metavar="URL",
                       help="POST a signed JSON message to URL when the job ends (succeeded, failed, cancelled); "
                            "header X-Retakes-Signature-256: sha256=HMAC-SHA256(secret, body). The secret is read "
                            "from the file --webhook-secret-file names, else from $RETAKES_WEBHOOK_SECRET; never "
                            "give it on the command line")
    batch.add_argument("--webhook-secret-file", metavar="FILE",
                       help="a file holding the webhook's secret (its first line)")
    batch.add_argument("--fix", metavar="VERSION",
                       help="render frames --range A:B (source frames) of a recorded version again, with the op "
                            "options given here over the version's own, into a new version whose other frames "
                            "are the old one's, bit for bit (packets copied; a long-GOP codec such as h264 "
                            "re-encodes whole GOPs and says so). VERSION: KEY:v002 (see `retakes versions`) or "
                            "the version's media path")
    add_engine_options(p)
    add_version_options(p)
    p.set_defaults(run=run_edit)


def add_track_parser(subparsers) -> None:
    p = subparsers.add_parser("track", help="carry a keyframe mask through the clip (mask propagation only)",
                              description="retakes track SOURCE -o MASKS_OUT --mask KEYMASK --keyframe K",
                              epilog=_tracker_states("--backend"))
    p.add_argument("source", metavar="SOURCE")
    p.add_argument("-o", "--output", required=True, metavar="MASKS_OUT",
                   help="folder for the per-frame masks (8-bit grayscale PNGs 00000.png...; white = object), "
                        "or a video file (a gray matte)")
    _overwrite_option(p)
    p.add_argument("--mask", required=True, metavar="KEYMASK", action="append",
                   help=f"the mask of frame K. {MASK_HELP}. Repeat --mask M --keyframe K to give the object's "
                        "mask on several frames (after an occlusion, where it drifted): tracking restarts from each")
    p.add_argument("--keyframe", "--mask-frame", dest="mask_frame", type=values.frame, required=True, metavar="K",
                   action="append", help="source frame the --mask before it belongs to")
    _mask_options(p)
    _common_source_options(p)
    p.add_argument("--device", default="auto")
    p.add_argument("--backend", choices=("classical", "learned", "auto"), default="auto",
                   help="classical (optical flow), learned (SAM 2 from `retakes models`), auto (learned when its "
                        "weights are here; default)")
    p.add_argument("--model", metavar="NAME", help="the learned tracker's model (default: the store's)")
    add_engine_options(p)
    p.set_defaults(run=run_track)


def _tracker_states(flag: str) -> str:
    """Which tracker backends this machine has, for --help: classical always, learned with its weights."""
    from .models_cmd import backends_here

    other = "" if flag == "--backend" else "; the other ops that track a keyframe mask: --tracker, the same choice"
    return (f"Tracker backends here ({flag}): classical: always available; {backends_here('track')}{other}.")


def _overwrite_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--overwrite", action="store_true",
                   help="replace OUT if it exists (without it, an existing OUT is refused and left as it is)")


def _mask_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--mask-index", metavar="N",
                   help="the object of a multi-object mask: its palette index N, or for a colour mask the N-th "
                        "colour listed or '#RRGGBB' (an error lists the objects a mask holds)")
    p.add_argument("--confidence", metavar="CSV",
                   help="write the tracker's per-frame confidence (frame,confidence; 0..1) to CSV after the job")


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
        low, high = values.INT64
        if not (low <= a <= high and low <= b <= high):
            raise CliError(f"--range: frame numbers go up to {high}, got {text.strip()!r}")
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
            return engine_pb2.ParamValue(int_value=values.whole(*values.INT64, what="an integer")(raw))
    except argparse.ArgumentTypeError as error:
        raise CliError(f"--{name.replace('_', '-')}: {error}") from None
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
        overwrite=getattr(args, "overwrite", False),
        decode=getattr(args, "decode", None) or "",
        tracker=getattr(args, "tracker", None) or "",
        tracker_model=getattr(args, "tracker_model", None) or "",
    )
    if args.range:
        request.range.CopyFrom(range_spec(args.range))
    _add_masks(request, args, "--keyframe" if op == "track" else "--mask-frame")
    for name, given in given_params(args).items():
        request.params[name].CopyFrom(_param(op, name, given[-1]))
    return request


def given_params(args: argparse.Namespace) -> dict[str, list[str]]:
    """The op options given, each with every value it was given (in order)."""
    found = {}
    for key, value in vars(args).items():
        if key.startswith("param_") and value is not None:
            found[key.removeprefix("param_")] = value if isinstance(value, list) else [value]
    return found


def _add_masks(request: engine_pb2.EditRequest, args: argparse.Namespace, frame_flag: str) -> None:
    """--mask M [--mask-frame K], or pairs of them: the first is `mask`, the others `key_masks`."""
    masks, frames = getattr(args, "mask", None) or [], getattr(args, "mask_frame", None) or []
    if getattr(args, "confidence", None) and not masks:
        raise CliError("--confidence: there is no tracker's confidence without a --mask to track")
    if getattr(args, "mask_index", None):
        request.mask_index = args.mask_index
    if not masks:
        if frames:
            raise CliError(f"{frame_flag}: gives the frame of a --mask, and no --mask is given")
        return
    if len(masks) > 1 and len(frames) != len(masks) or len(frames) > len(masks):
        raise CliError(f"{frame_flag}: masks on several frames come in pairs: give --mask M {frame_flag} K for each "
                       f"({len(masks)} --mask, {len(frames)} {frame_flag})")
    request.mask.path = _abs(masks[0])
    if frames:
        request.mask_frame = frames[0]
    for mask, frame in zip(masks[1:], frames[1:], strict=True):
        request.key_masks.add(frame=frame, mask=engine_pb2.MediaRef(path=_abs(mask)))


def run_edit(args: argparse.Namespace) -> int:
    if args.fix:
        request = fix_request(args)
    else:
        if not args.source:
            raise CliError("SOURCE: expected the media to edit (or --fix VERSION)")
        if not args.op:
            raise CliError("--op: expected an operation (`retakes ops` lists them)")
        request = build_request(args, args.op)
        if len(args.keyframe) != len(args.edited):
            raise CliError("--keyframe and --edited come in pairs: give one --edited IMG after each --keyframe K")
        for frame, image in zip(args.keyframe, args.edited, strict=True):
            request.keyframes.add(frame=frame, edited=engine_pb2.MediaRef(path=_abs(image)))
    _add_variants(request, args)
    _add_webhook(request, args)
    return execute(request, args)


def _add_variants(request: engine_pb2.EditRequest, args: argparse.Namespace) -> None:
    from .variants import VariantsError, from_repeated, read_variants, variant_output

    repeated = {name: values for name, values in given_params(args).items() if len(values) > 1}
    if len(repeated) > 1:
        flags = " and ".join(f"--{n.replace('_', '-')}" for n in repeated)
        raise CliError(f"{flags}: one option given several times makes the variants; give the others once "
                       "(or list every combination with --variants FILE)")
    try:
        if args.variants and repeated:
            raise VariantsError(f"--variants: give the parameter sets either in the file or by repeating "
                                f"--{next(iter(repeated)).replace('_', '-')}, not both")
        specs = read_variants(Path(args.variants)) if args.variants else (
            from_repeated(*next(iter(repeated.items()))) if repeated else [])
    except VariantsError as error:
        raise CliError(str(error)) from None
    if not specs:
        return
    if args.fix:
        raise CliError("--fix: a fix renders one new version; it takes no variants")
    for i, spec in enumerate(specs):
        name = spec.name or f"{i + 1:02d}"
        variant = request.variants.add(name=name, output_path=_abs(variant_output(args.output, name)))
        for pname, value in spec.params.items():
            variant.params[pname].CopyFrom(_param(request.op, pname, value))
    request.output_path = ""


def _add_webhook(request: engine_pb2.EditRequest, args: argparse.Namespace) -> None:
    if args.webhook_secret_file and not args.webhook:
        raise CliError("--webhook-secret-file: gives the secret of a --webhook URL, and no --webhook is given")
    if not args.webhook:
        return
    if args.webhook_secret_file:
        try:
            lines = Path(args.webhook_secret_file).read_text().splitlines()
            secret = lines[0].strip() if lines else ""
        except OSError as error:
            raise CliError(f"--webhook-secret-file: {error.strerror or error}: {args.webhook_secret_file}") from None
        if not secret:
            raise CliError(f"--webhook-secret-file: {args.webhook_secret_file} is empty")
    else:
        secret = os.environ.get("RETAKES_WEBHOOK_SECRET", "")
        if not secret:
            raise CliError("--webhook: the message is signed: put the secret in a file named by "
                           "--webhook-secret-file, or in $RETAKES_WEBHOOK_SECRET")
    request.webhook.url = args.webhook
    request.webhook.secret = secret


def fix_request(args: argparse.Namespace) -> engine_pb2.EditRequest:
    """The version's own edit with the new op options over it, fixing frames --range A:B."""
    from ..bridge.edit_version import request_of_version
    from ..bridge.versions import VersionStore, store_file

    if not args.range:
        raise CliError("--range: --fix needs the source frames to render again, A:B")
    db = store_file(args.version_store)
    if not db.exists():
        raise CliError(f"--fix: no version store at {db} (--version-store names another)")
    with VersionStore(db) as store:
        try:
            version = store.find_version(args.fix)
        except LookupError as error:
            raise CliError(f"--fix: {error}") from None
        request = request_of_version(version)
    if args.op and args.op != request.op:
        raise CliError(f"--op: {args.fix} was made by {request.op}; a fix renders the same op (give new options)")
    if args.source and Path(args.source).absolute() != Path(request.source.path):
        raise CliError(f"SOURCE: {args.fix} was made from {request.source.path}; a fix keeps its source")
    fixed = range_spec(args.range)
    if fixed.WhichOneof("kind") != "frames":
        raise CliError("--range: with --fix, give source frames A:B")
    request.fix.base.path = version.output_path
    request.fix.frames.CopyFrom(fixed.frames)
    request.output_path = _abs(args.output)
    request.overwrite = args.overwrite
    request.device = args.device or "auto"
    from ..engine.batch import alternatives

    for name, given in given_params(args).items():
        for other in alternatives(request.op, name):  # --hue over a version made with --color replaces it
            request.params.pop(other, None)
        request.params[name].CopyFrom(_param(request.op, name, given[-1]))
    for flag in ("mask", "keyframe", "edited"):
        if getattr(args, flag):
            raise CliError(f"--{flag}: a fix keeps the version's own masks and keyframes; give op options")
    return request


def run_track(args: argparse.Namespace) -> int:
    request = build_request(args, "track")
    request.params["backend"].text_value = args.backend
    if args.model:
        request.params["model"].text_value = args.model
    return execute(request, args)


def execute(request: engine_pb2.EditRequest, args: argparse.Namespace) -> int:
    """Runs the request on an engine with a progress bar; Ctrl-C cancels the job."""
    with connect(args.engine, token=args.token) as engine:
        run = RunningJob(engine, request)  # gRPC on a thread of its own: see cli.running_job
        try:
            with JobProgressBar(f"{request.op} {run.submitted()[:8]}") as bar:
                run.on_progress = bar
                job = run.result()
        except KeyboardInterrupt:
            try:
                run.cancel()
            except KeyboardInterrupt:  # pressed again: out now, without closing the channel under the watch
                print("retakes: interrupted while cancelling; `retakes jobs list` shows where the job is",
                      file=sys.stderr, flush=True)
                sys.stdout.flush()
                os._exit(130)
            print("cancelled; nothing was written", flush=True)
            return 130
    status = report(job)
    if status == 0:
        if getattr(args, "confidence", None):
            _write_confidence(Path(args.confidence), job.result)
        record_version(request, job, args)  # a result `retakes review` can hand off (not for `track`)
    return status


def _write_confidence(path: Path, result: engine_pb2.JobResult) -> None:
    if not result.HasField("tracking"):
        print("retakes: note: no mask was tracked (the masks were given for every frame): "
              f"{path} was not written", file=sys.stderr)
        return
    tracking = result.tracking
    lines = ["frame,confidence"] + [f"{tracking.start_frame + i},{c:.4f}" for i, c in enumerate(tracking.confidence)]
    temp = path.with_name(f".{path.name}.partial")
    temp.write_text("\n".join(lines) + "\n")
    temp.replace(path)


def report(job: engine_pb2.Job) -> int:
    if job.state == engine_pb2.JOB_STATE_SUCCEEDED:
        names = list(job.result.variant_names)
        frames = job.result.frames_written // max(1, len(job.result.outputs))
        for i, out in enumerate(job.result.outputs):
            label = f"variant {names[i]}: " if i < len(names) else ""
            print(f"{label}wrote {out.path} ({frames} frames, {job.result.codec}, "
                  f"starts {job.result.start_timecode} at {job.result.rate} fps) sha256 {out.sha256[:16]}")
        for note in job.result.notes:  # on stderr: stdout keeps its one "wrote" line per output
            print(f"retakes: note: {note}", file=sys.stderr)
        return 0
    if job.state == engine_pb2.JOB_STATE_CANCELLED:
        print(f"job {job.id} was cancelled; nothing was written")
        return 130
    raise EngineError(job.error.code, job.error.message, field=job.error.field)
