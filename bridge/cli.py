"""`retakes timeline send|place`: the any-NLE round trip through an exported timeline, and
`retakes resolve status`: which Resolve retakes reaches, how, and what it would send.

    retakes timeline send TIMELINE_FILE --clip NAME [--track N] [--at TC] --op OP -o OUT [op options]
    retakes timeline place TIMELINE_FILE --clip NAME [--track N] [--at TC] --version PATH -o NEW_TIMELINE
    retakes resolve status

Thin wiring: picking the clip, building the request and adding the retakes track are the
tested functions in `timeline/` and `edit_request.py`. What goes wrong on the user's side (a
clip name that matches two clips, a file that is not there, no Resolve) is one line on stderr
naming the option, and exit status 2 (1 when Resolve cannot be reached).
"""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Callable
from pathlib import Path

from .clipref import ClipRefused, NoClipSelected, VersionMedia


def register(subparsers: argparse._SubParsersAction) -> None:
    timeline = subparsers.add_parser(
        "timeline",
        help="send a clip of an exported timeline (OTIO, FCP7 XML, EDL) "
        "and write the timeline back with the versions",
    )
    sub = timeline.add_subparsers(dest="timeline_command", required=True, metavar="ACTION")

    send = sub.add_parser("send", help="edit one clip of a timeline file with the engine")
    _clip_options(send)
    send.add_argument("--op", required=True, help="operation (see `retakes edit --help`)")
    send.add_argument(
        "-o", "--output", required=True, metavar="OUT", help="where the engine writes the version"
    )
    send.add_argument("--handles", type=int, default=0, metavar="N", help="also render N frames each side")
    send.add_argument("--codec", default="", help="output codec (default by extension)")
    send.add_argument("--mask", help="mask image, folder of masks, or matte video")
    send.add_argument("--seed", type=int, default=0)
    send.add_argument("--device", default="auto")
    send.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="an op parameter (repeatable), e.g. --param hue=30",
    )
    send.add_argument(
        "--timeline-out",
        metavar="NEW_TIMELINE",
        help="also write the timeline back with the new version on a retakes track",
    )
    _engine_and_op_options(send)
    send.set_defaults(run=_one_line("timeline send", run_send))

    place = sub.add_parser("place", help="write the timeline back with versions on a retakes track")
    _clip_options(place)
    place.add_argument(
        "--version",
        action="append",
        required=True,
        metavar="PATH",
        help="a rendered version (repeat for v001, v002, ...; the last is active)",
    )
    place.add_argument("--active", metavar="LABEL", help="which version is active (default: the last)")
    place.add_argument(
        "--handles",
        type=int,
        default=0,
        metavar="N",
        help="head frames each version has before the clip's first frame",
    )
    place.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="NEW_TIMELINE",
        help="the timeline to write (.otio, .xml or .edl)",
    )
    place.set_defaults(run=_one_line("timeline place", run_place))

    resolve = subparsers.add_parser(
        "resolve", help="which DaVinci Resolve retakes reaches, through what, and the clip it would send"
    )
    resolve_sub = resolve.add_subparsers(dest="resolve_command", required=True, metavar="ACTION")
    status = resolve_sub.add_parser(
        "status", help="say whether Resolve is reachable (agent or Studio scripting) and what works there"
    )
    status.add_argument("--agent-file", type=Path, help="the agent file (default: the retakes state folder's)")
    status.set_defaults(run=run_resolve_status)


class _UserError(Exception):
    """Wrong input from the command line: one line naming the option, exit status 2."""


def _one_line(command: str, run: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Runs a timeline command, turning what a user can get wrong into one line on stderr."""

    @functools.wraps(run)
    def wrapped(args: argparse.Namespace) -> int:
        try:
            return run(args)
        except _UserError as exc:
            message = str(exc)
        except OSError as exc:  # an output folder that is not there, a file that cannot be written
            message = f"{exc.filename or 'a file'}: {exc.strerror or _text(exc)}"
        print(f"retakes: {command}: {message}", file=sys.stderr)
        return 2

    return wrapped


def _text(exc: BaseException) -> str:
    text = str(exc)
    return text.strip().splitlines()[0] if text.strip() else type(exc).__name__


def _clip_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("timeline_file", metavar="TIMELINE_FILE", help="an .otio, FCP7 .xml or .edl timeline")
    p.add_argument("--clip", required=True, metavar="NAME", help="clip name (or media file name)")
    p.add_argument("--track", type=int, metavar="N", help="1-based video track")
    p.add_argument("--at", metavar="TIMECODE", help="a record timecode inside the clip")
    p.add_argument("--rate", help="frame rate of an EDL (EDLs do not say), e.g. 24000/1001")


def _engine_and_op_options(p: argparse.ArgumentParser) -> None:
    # The op flags (--hue, --look, ...) are the ones `retakes edit` generates from the op specs;
    # when that module is not there, --param NAME=VALUE still reaches every op.
    try:
        from retakes.cli.edit import _op_options, add_engine_options
    except ImportError:
        return
    add_engine_options(p)
    _op_options(p)


def _pick(args: argparse.Namespace):
    from retakes.engine.timecode import FrameRate

    from .timeline.formats import read_timeline
    from .timeline.otio_model import pick_clip

    rate = float(FrameRate.parse(args.rate, field="--rate").value) if args.rate else None
    if not Path(args.timeline_file).is_file():
        raise _UserError(f"TIMELINE_FILE: {args.timeline_file} does not exist or is not a file")
    try:
        timeline = read_timeline(args.timeline_file, rate=rate)
    except Exception as exc:  # the adapters raise their own kinds for a file they cannot parse
        raise _UserError(f"TIMELINE_FILE: cannot read {args.timeline_file} as a timeline ({_text(exc)})") from exc
    try:
        return timeline, pick_clip(timeline, args.clip, track=args.track, at=args.at)
    except (LookupError, ClipRefused) as exc:  # no such clip, two clips of that name, or one retakes refuses
        raise _UserError(f"--clip: {_text(exc)}") from exc


def _params(args: argparse.Namespace) -> dict:
    params: dict = {}
    for item in args.param:
        name, sep, value = item.partition("=")
        if not sep:
            raise SystemExit(f"retakes: --param: expected NAME=VALUE, got {item!r}")
        params[name] = _typed(value)
    try:
        from retakes.cli.edit import _param as typed  # typed by the op's spec, paths made absolute
    except ImportError:
        typed = None
    for key, value in vars(args).items():
        if key.startswith("param_") and value is not None:
            name = key.removeprefix("param_")
            value = value[-1] if isinstance(value, list) else value  # `retakes edit`'s are repeatable
            params[name] = typed(args.op, name, value) if typed else _typed(value)
    return params


def _typed(text: str):
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text


def _writable(option: str, path: str | None) -> None:
    """Refuses up front an output whose folder is not there, before any work is done."""
    if path and not Path(path).expanduser().absolute().parent.is_dir():
        raise _UserError(f"{option}: the folder of {path} does not exist")


def run_send(args: argparse.Namespace) -> int:
    from retakes.engine import client as engine_client
    from retakes.v1 import engine_pb2

    from .edit_request import edit_request

    _writable("--timeline-out", args.timeline_out)
    timeline, clip = _pick(args)
    clip = clip.with_handles(args.handles) if args.handles else clip
    output = str(Path(args.output).expanduser().absolute())
    request = edit_request(
        clip,
        op=args.op,
        output_path=output,
        params=_params(args),
        codec=args.codec,
        seed=args.seed,
        device=args.device,
        mask=str(Path(args.mask).absolute()) if args.mask else None,
    )
    print(
        f"sending {clip.name} V{clip.placement.track} {_tc(clip)}"
        f" source {clip.range_with_handles} ({len(clip.range_with_handles)} frames) to the engine: {args.op}"
    )
    connect_kw = {"token": getattr(args, "token", None)} if getattr(args, "token", None) else {}
    with engine_client.connect(getattr(args, "engine", None), **connect_kw) as engine:
        job = engine.run_edit(request)
    if job.state != engine_pb2.JOB_STATE_SUCCEEDED:
        print(
            f"retakes: the engine did not finish: {job.error.message or engine_pb2.JobState.Name(job.state)}"
        )
        return 1
    print(f"wrote {output} ({job.result.frames_written} frames)")
    if args.timeline_out:
        _write_back(
            timeline,
            clip,
            [VersionMedia("v001", output, offset=clip.handles[0], frames=len(clip.range_with_handles))],
            "v001",
            args.timeline_out,
        )
    return 0


def run_place(args: argparse.Namespace) -> int:
    _writable("-o/--output", args.output)
    timeline, clip = _pick(args)
    versions = [
        VersionMedia(f"v{n:03d}", str(Path(p).expanduser().absolute()), offset=args.handles)
        for n, p in enumerate(args.version, 1)
    ]
    active = args.active or versions[-1].label
    _write_back(timeline, clip, versions, active, args.output)
    return 0


def _write_back(timeline, clip, versions, active: str, path: str) -> None:
    from .timeline.formats import write_timeline
    from .timeline.otio_model import with_retakes_track

    print(
        write_timeline(with_retakes_track(timeline, clip, versions, active), path)
        + f": {active} on a new track over {clip.name} at {_tc(clip)}"
    )


def _tc(clip) -> str:
    return clip.timeline.timecode_of(clip.placement.record.start)


def run_resolve_status(args: argparse.Namespace) -> int:
    """Prints how retakes reaches Resolve and what it would send; one line and status 1 when it cannot."""
    from .agent.client import AgentError, RemoteObject, connect_resolve
    from .agent.retakes_agent import check_host
    from .resolve.api import ResolveUnavailable, current_timeline
    from .resolve.read import current_clip

    try:
        resolve = connect_resolve(agent_path=args.agent_file, timeout=10)
        product, version = resolve.GetProductName(), resolve.GetVersion()
    except AgentError as exc:
        print(f"retakes: Resolve is not reachable: {exc}", file=sys.stderr)
        return 1
    how = "through the retakes agent" if isinstance(resolve, RemoteObject) else "through external scripting"
    usable, notes = check_host(product, version)
    print(f"{product} {'.'.join(str(v) for v in list(version)[:4])}, {how}")
    for note in notes:
        print(f"  {note}")
    if not usable:
        return 1
    try:
        project, timeline = current_timeline(resolve)
        print(f"project {project.GetName()!r}, timeline {timeline.GetName()!r}")
        clip = current_clip(resolve)
    except (ResolveUnavailable, NoClipSelected, ClipRefused, AgentError) as exc:
        print(f"  {_text(exc)}")
        return 0
    print(f"would send {clip.name!r} on V{clip.placement.track} at {_tc(clip)}: {clip.media_path} "
          f"frames {clip.source_range} ({len(clip.source_range)} at {clip.source_rate} fps)")
    if clip.source_note:
        print(f"  {clip.source_note}")
    return 0
