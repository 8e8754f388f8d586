"""`retakes ops [OP ...] [--json]`: the engine's operations and the options of `retakes edit` for each.

Read from the engine's capabilities, not from this checkout's op table: an engine on another
machine, or one with learned backends ready, is the one that will run the edit. The flags
are the ones `retakes edit` takes (`--hue`, `--look`, ...), with each op's own meaning of a
flag several ops share (`--feather` is pixels for recolor, a fraction of the width for
propagate).
"""

from __future__ import annotations

import argparse
import json

from google.protobuf import json_format

from ..engine.client import connect
from ..v1 import engine_pb2
from .edit import CliError, add_engine_options

_MASK = {
    engine_pb2.MASK_USE_REQUIRED: "required (--mask M)",
    engine_pb2.MASK_USE_OPTIONAL: "optional (--mask M): without one, the whole frame",
    engine_pb2.MASK_USE_NONE: "none",
}
_METAVAR = {
    engine_pb2.PARAM_TYPE_NUMBER: "NUMBER",
    engine_pb2.PARAM_TYPE_INTEGER: "INTEGER",
    engine_pb2.PARAM_TYPE_BOOL: "true|false",
    engine_pb2.PARAM_TYPE_TEXT: "TEXT",
    engine_pb2.PARAM_TYPE_COLOR: "'#RRGGBB'",
    engine_pb2.PARAM_TYPE_PATH: "PATH",
}
_FLAG_WIDTH = 28


def add_ops_parser(subparsers) -> None:
    p = subparsers.add_parser("ops", help="list the engine's operations and the options each takes",
                              description="retakes ops [OP ...]: the operations `retakes edit --op` runs, "
                                          "from the engine's capabilities, with the options each one takes")
    p.add_argument("names", nargs="*", metavar="OP", help="only these operations (default: all)")
    p.add_argument("--json", action="store_true", help="print the capabilities' op descriptors as JSON")
    add_engine_options(p)
    p.set_defaults(run=run_ops)


def run_ops(args: argparse.Namespace) -> int:
    with connect(args.engine, token=args.token) as engine:
        caps = engine.capabilities()
    by_name = {op.name: op for op in caps.ops}
    unknown = [name for name in args.names if name not in by_name]
    if unknown:
        raise CliError(f"OP: no operation {unknown[0]!r} on this engine; it has {', '.join(sorted(by_name))}")
    ops = [by_name[name] for name in args.names] if args.names else sorted(caps.ops, key=lambda op: op.name)
    if args.json:
        print(json.dumps({"engine_version": caps.engine_version,
                          "ops": [json_format.MessageToDict(op) for op in ops]}, indent=2))
        return 0
    print("\n\n".join(describe(op) for op in ops))
    return 0


def describe(op: engine_pb2.OpDescriptor) -> str:
    """One op as `retakes edit --op NAME` takes it: what it does, its inputs, its options."""
    lines = [f"{op.name}: {op.summary}", f"  usage: retakes edit SOURCE -o OUT --op {op.name}{_usage_tail(op)}",
             f"  mask: {_MASK.get(op.mask, 'none')}"]
    if op.uses_keyframes:
        lines.append("  keyframes: --keyframe K --edited IMG (repeat for several): frame K as the editor edited it")
    if op.temporal:
        lines.append("  temporal: it looks at other frames than the one it writes (tracking, optical flow)")
    device = "the --device asked for (default: a CUDA GPU if there is one)" if op.gpu else "the CPU"
    lines.append(f"  runs on: {device}")
    if op.params:
        lines.append("  options:")
        flags = [(_flag(p), p) for p in op.params]
        width = max((len(flag) for flag, _ in flags if len(flag) <= _FLAG_WIDTH), default=0)
        for flag, p in flags:
            if len(flag) <= _FLAG_WIDTH:
                lines.append(f"    {flag:<{width}}  {_explain(op, p)}")
            else:  # a long list of choices: the explanation on its own line, as argparse does
                lines += [f"    {flag}", f"    {'':<{width}}  {_explain(op, p)}"]
    return "\n".join(lines)


def _flag(p: engine_pb2.ParamSpec) -> str:
    if p.type == engine_pb2.PARAM_TYPE_CHOICE:
        metavar = "{" + ",".join(p.choices) + "}"
    else:
        unit = p.unit.strip()
        metavar = unit.upper() if unit and p.type == engine_pb2.PARAM_TYPE_NUMBER else _METAVAR.get(p.type, "VALUE")
    return f"--{p.name.replace('_', '-')} {metavar}"


def _explain(op: engine_pb2.OpDescriptor, p: engine_pb2.ParamSpec) -> str:
    text = p.help.rstrip(".")
    unit = f" {p.unit.strip()}" if p.unit.strip() else ""
    facts = []
    if p.HasField("minimum") and p.HasField("maximum"):
        facts.append(f"{_number(p.minimum)} to {_number(p.maximum)}{unit}")
    elif p.HasField("minimum"):
        facts.append(f"at least {_number(p.minimum)}{unit}")
    elif p.HasField("maximum"):
        facts.append(f"at most {_number(p.maximum)}{unit}")
    if p.HasField("default_value"):
        facts.append(f"default {_value(p.default_value)}")
    if p.exclusive_group:
        group = [f"--{q.name.replace('_', '-')}" for q in op.params if q.exclusive_group == p.exclusive_group]
        facts.append(f"give exactly one of {', '.join(group)}")
    elif p.required:
        facts.append("required")
    return f"{text} ({'; '.join(facts)})" if facts else text


def _usage_tail(op: engine_pb2.OpDescriptor) -> str:
    parts = []
    if op.mask == engine_pb2.MASK_USE_REQUIRED:
        parts.append("--mask M")
    if op.uses_keyframes:
        parts.append("--keyframe K --edited IMG")
    groups: dict[str, list[str]] = {}
    for p in op.params:
        if p.exclusive_group:
            groups.setdefault(p.exclusive_group, []).append(_flag(p))
        elif p.required:
            parts.append(_flag(p))
    parts += ["(" + " | ".join(flags) + ")" for flags in groups.values()]
    return "".join(" " + part for part in parts) + " [options]"


def _number(x: float) -> str:
    return f"{x:g}"


def _value(v: engine_pb2.ParamValue) -> str:
    kind = v.WhichOneof("kind")
    if kind == "number_value":
        return _number(v.number_value)
    if kind == "bool_value":
        return "true" if v.bool_value else "false"
    return str(getattr(v, kind)) if kind else "none"
