"""`retakes shots`: one edit across every shot of a clip (multi-shot consistency).

    retakes shots find SOURCE -o PLAN.json [--range A:B] [--cut F]... [--no-cut F]... [--sensitivity S]
    retakes shots match PLAN.json --mask M --mask-frame K [--masks-dir DIR] [--accept]
    retakes shots decide PLAN.json --shot N (--accept | --reject | --mask CORRECTED.png)
    retakes shots list PLAN.json
    retakes shots apply PLAN.json -o OUT (--color '#RRGGBB' | --hue DEG | --keyframe K --edited IMG)

`find` and `match` run on the engine (FindShots, ProposeShotMasks); `decide` and `list` read and
write the plan file here; `apply` is an edit job (`--op shots`), with a progress bar, a version
recorded, Ctrl-C cancelling, as `retakes edit`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..bridge.versions_cli import add_version_options
from ..engine.client import connect
from ..engine.shots import ShotPlan
from ..v1 import engine_pb2
from . import values
from .edit import CliError, _abs, add_engine_options, execute


def register(subparsers) -> None:
    p = subparsers.add_parser("shots", help="one edit across every shot of a clip: find shots, match the object, "
                                            "apply", description=__doc__.split("\n\n")[1].strip(),
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="shots_command", required=True, metavar="STEP")

    f = sub.add_parser("find", help="find the shot boundaries (hard cuts, dissolves) and write a plan")
    f.add_argument("source", metavar="SOURCE", help="video file or image-sequence folder")
    f.add_argument("-o", "--output", required=True, metavar="PLAN.json", help="the plan file to write")
    f.add_argument("--overwrite", action="store_true", help="replace PLAN.json if it exists")
    f.add_argument("--range", metavar="A:B", help="source frames A:B (end exclusive; default: all)")
    f.add_argument("--cut", type=values.frame, action="append", default=[], metavar="F",
                   help="the editor's correction: a cut at frame F (repeat for several)")
    f.add_argument("--no-cut", type=values.frame, action="append", default=[], metavar="F",
                   help="the editor's correction: no boundary at frame F, as `find` listed it (repeat)")
    f.add_argument("--sensitivity", type=float, default=1.0, metavar="S",
                   help="2 finds cuts twice as faint, 0.5 only the plainest (default 1)")
    add_engine_options(f)
    f.set_defaults(run=run_find)

    m = sub.add_parser("match", help="find the object of one shot's mask in every other shot; propose masks")
    m.add_argument("plan", metavar="PLAN.json")
    m.add_argument("--mask", required=True, metavar="M", help="the object's mask (white) on frame K")
    m.add_argument("--mask-frame", required=True, type=values.frame, metavar="K",
                   help="the source frame the mask belongs to (its shot is the reference shot)")
    m.add_argument("--masks-dir", metavar="DIR", help="where the proposed masks go (default: PLAN-masks/)")
    m.add_argument("--matcher", default="auto", help="auto (default), classical, or a learned matcher")
    m.add_argument("--accept", action="store_true", help="accept every proposal at once (scripts; an editor "
                                                         "looks at each and runs `retakes shots decide`)")
    add_engine_options(m)
    m.set_defaults(run=run_match)

    d = sub.add_parser("decide", help="accept, reject or correct the proposed mask of one shot")
    d.add_argument("plan", metavar="PLAN.json")
    d.add_argument("--shot", required=True, type=int, metavar="N")
    what = d.add_mutually_exclusive_group(required=True)
    what.add_argument("--accept", action="store_true", help="use the proposed mask")
    what.add_argument("--reject", action="store_true", help="leave this shot as it is")
    what.add_argument("--mask", metavar="CORRECTED.png", help="use this mask instead (on the shot's mask frame, "
                                                              "or --mask-frame)")
    d.add_argument("--mask-frame", type=values.frame, metavar="K", help="the frame the corrected mask belongs to")
    d.set_defaults(run=run_decide)

    ls = sub.add_parser("list", help="the plan's shots and the state of each one's mask")
    ls.add_argument("plan", metavar="PLAN.json")
    ls.set_defaults(run=run_list)

    a = sub.add_parser("apply", help="apply one edit to the object in every accepted shot (an edit job)")
    a.add_argument("plan", metavar="PLAN.json")
    a.add_argument("-o", "--output", required=True, metavar="OUT", help="output file or folder (as `retakes edit`)")
    a.add_argument("--overwrite", action="store_true", help="replace OUT if it exists")
    a.add_argument("--codec", help="as `retakes edit` (default by extension)")
    a.add_argument("--color", metavar="'#RRGGBB'", help="recolor the object to this colour (in the reference "
                                                        "shot's light)")
    a.add_argument("--hue", metavar="DEG", help="rotate the object's hue by DEG")
    a.add_argument("--keyframe", type=values.frame, metavar="K", help="the frame --edited shows edited")
    a.add_argument("--edited", metavar="IMG", help="frame K as the editor edited it: its colour change is carried "
                                                   "to every shot")
    a.add_argument("--strength", metavar="0..1", help="how far towards the new colour (default 1)")
    a.add_argument("--feather", metavar="PX", help="soft edge of the mask (default 2 px)")
    a.add_argument("--device", default="auto", help=argparse.SUPPRESS)
    add_engine_options(a)
    add_version_options(a)
    a.set_defaults(run=run_apply)


def _load(path: str) -> ShotPlan:
    return ShotPlan.load(Path(path), field="PLAN.json")


def _table(plan: engine_pb2.ShotPlan | ShotPlan) -> str:
    if isinstance(plan, ShotPlan):
        rows = [(s.index, s.start, s.end, s.begins, s.frame, s.status, s.method, s.score,
                 str(plan.mask_path(s) or "")) for s in plan.shots]
    else:
        rows = [(s.index, s.frames.start, s.frames.end, s.begins, s.mask_frame if s.HasField("mask_frame") else None,
                 s.status, s.method, s.score, s.mask_path) for s in plan.shots]
    lines = [f"{'shot':>4}  {'frames':>11}  {'begins':<8}  {'mask on':>7}  {'status':<9}  {'found by':<8}  "
             f"{'score':>5}  mask"]
    for i, a, b, begins, frame, status, method, score, mask in rows:
        lines.append(f"{i:>4}  {f'{a}:{b}':>11}  {begins:<8}  {'' if frame is None else frame:>7}  "
                     f"{status or '-':<9}  {method or '-':<8}  {score:>5.2f}  {mask}")
    return "\n".join(lines)


def run_find(args: argparse.Namespace) -> int:
    request = engine_pb2.FindShotsRequest(source=engine_pb2.MediaRef(path=_abs(args.source)),
                                          plan_path=_abs(args.output), sensitivity=args.sensitivity,
                                          add_cuts=args.cut, remove_cuts=args.no_cut, overwrite=args.overwrite)
    if args.range:
        try:
            a, b = (int(x) for x in args.range.split(":"))
        except ValueError:
            raise CliError(f"--range: expected A:B (source frames, end exclusive), got {args.range!r}") from None
        request.range.CopyFrom(engine_pb2.FrameRange(start=a, end=b))
    with connect(args.engine, token=args.token) as engine:
        plan = engine.find_shots(request)
    for b in plan.boundaries:
        span = f" (frames {b.span.start}:{b.span.end})" if b.kind == "dissolve" else ""
        print(f"boundary at frame {b.frame}: {b.kind}{span}, score {b.score:.2f}")
    print(_table(plan))
    print(f"wrote {plan.plan_path} ({len(plan.shots)} shots)")
    return 0


def run_match(args: argparse.Namespace) -> int:
    request = engine_pb2.ProposeShotMasksRequest(plan_path=_abs(args.plan),
                                                 mask=engine_pb2.MediaRef(path=_abs(args.mask)),
                                                 mask_frame=args.mask_frame, matcher=args.matcher,
                                                 masks_dir=_abs(args.masks_dir) if args.masks_dir else "")
    with connect(args.engine, token=args.token) as engine:
        reply = engine.propose_shot_masks(request)
    if args.accept:
        plan = _load(args.plan)
        for shot in plan.shots:
            if shot.status == "proposed" and shot.method != "none":
                plan.decide(shot.index, "accepted")
        plan.save(Path(args.plan))
        print(_table(plan))
    else:
        print(_table(reply))
        print("check each proposed mask; `retakes shots decide PLAN.json --shot N --accept` (or --reject, or "
              "--mask CORRECTED.png)")
    return 0


def run_decide(args: argparse.Namespace) -> int:
    plan = _load(args.plan)
    if args.mask_frame is not None and not args.mask:
        raise CliError("--mask-frame: gives the frame of a corrected --mask, and no --mask is given")
    if args.mask:
        mask = Path(args.mask)
        if not mask.is_file():
            raise CliError(f"--mask: no such file: {args.mask}")
        shot = plan.shot(args.shot, field="--shot")
        if args.mask_frame is not None:
            if args.mask_frame not in shot.frame_range:
                raise CliError(f"--mask-frame: frame {args.mask_frame} is outside shot {shot.index} "
                               f"({shot.start}:{shot.end})")
            shot.frame = args.mask_frame
        plan.decide(args.shot, "corrected", mask=mask)
    else:
        plan.shot(args.shot, field="--shot")
        plan.decide(args.shot, "accepted" if args.accept else "rejected")
    plan.save(Path(args.plan))
    print(_table(plan))
    return 0


def run_list(args: argparse.Namespace) -> int:
    print(_table(_load(args.plan)))
    return 0


def run_apply(args: argparse.Namespace) -> int:
    plan = _load(args.plan)
    if (args.keyframe is None) != (args.edited is None):
        raise CliError("--keyframe and --edited come in a pair: the frame K and the image of it edited")
    given = [flag for flag, v in (("--color", args.color), ("--hue", args.hue), ("--keyframe", args.keyframe))
             if v is not None]
    if len(given) != 1:
        raise CliError(f"give exactly one edit: --color, --hue or --keyframe K --edited IMG "
                       f"({' and '.join(given) if given else 'none'} given)")
    request = engine_pb2.EditRequest(source=engine_pb2.MediaRef(path=plan.source), output_path=_abs(args.output),
                                     op="shots", codec=args.codec or "", device=args.device,
                                     overwrite=args.overwrite)
    request.range.CopyFrom(engine_pb2.RangeSpec(frames=engine_pb2.FrameRange(start=plan.start, end=plan.end)))
    request.params["plan"].text_value = str(Path(args.plan).absolute())
    if args.color is not None:
        request.params["color"].text_value = args.color
    for name in ("hue", "strength", "feather"):
        raw = getattr(args, name)
        if raw is not None:
            try:
                request.params[name].number_value = float(raw)
            except ValueError:
                raise CliError(f"--{name}: expected a number, got {raw!r}") from None
    if args.keyframe is not None:
        request.keyframes.add(frame=args.keyframe, edited=engine_pb2.MediaRef(path=_abs(args.edited)))
    return execute(request, args)
