"""The `retakes` command: DESIGN.md's command line contract.

    retakes edit SOURCE -o OUT --op OP [--range A:B] [--codec C] [op options]
    retakes track SOURCE -o MASKS_OUT --mask KEYMASK --keyframe K
    retakes demo
    retakes engine serve [--socket PATH | --port N]
    retakes jobs list|watch|cancel
    retakes ops [OP ...]

Every command that edits goes through the engine's gRPC service. Errors are one line
on stderr naming the field at fault, with a non-zero status; nothing is left at OUT.

One dispatch convention for every command, this module's and the rooms': each command's
parser sets `run` (`parser.set_defaults(run=fn)`), a function of the parsed arguments that
returns the exit status. `main` calls `args.run(args)` and nothing else.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from typing import NoReturn

from ..engine.client import EngineError, EngineLost
from ..engine.errors import RetakesError
from .demo import add_demo_parser
from .edit import CliError, add_edit_parser, add_track_parser
from .engine_cmd import add_engine_parser
from .errors import one_line
from .jobs import add_jobs_parser
from .ops import add_ops_parser

# Rooms that add their own commands through a `register(subparsers)` function (each command
# setting `run`, as above). They are part of this package: one that does not import is a bug,
# raised here, never a command that silently goes missing.
_ROOM_COMMANDS = ("retakes.bridge.cli", "retakes.bridge.review.cli", "retakes.bridge.versions_cli",
                  "retakes.cli.models_cmd", "retakes.cli.keyframe_cmd",
                  "retakes.bridge.gateway.cli", "retakes.cli.shots_cmd")


class _OneLineErrors(argparse.ArgumentParser):
    """Usage errors as one line, like every other error (DESIGN.md's command line contract).

    argparse prints the whole usage first, which for `edit` is a screenful of op options
    burying the one line that says what was wrong. Subparsers inherit the class.
    """

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    from .. import __version__

    parser = _OneLineErrors(prog="retakes", description="AI video edits that change only what was asked.")
    parser.add_argument("--version", action="version", version=f"retakes {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add_edit_parser(sub)
    add_track_parser(sub)
    add_demo_parser(sub)
    add_engine_parser(sub)
    add_jobs_parser(sub)
    add_ops_parser(sub)
    for module in _ROOM_COMMANDS:
        importlib.import_module(module).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        status = _dispatch(argv)
        sys.stdout.flush()  # inside the try: a closed pipe is reported here, not at exit
        return status
    except BrokenPipeError:
        # The reader went away (`retakes jobs list | head -1`): stop quietly, as Unix tools
        # do. Python would flush stdout again at exit and print a traceback; send it nowhere.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # 128 + SIGPIPE, the status a shell shows for a tool the pipe stopped


def _dispatch(argv: list[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    run = getattr(args, "run", None)
    if not callable(run):  # a command that broke the convention above: say which, not AttributeError
        command = " ".join(str(v) for k, v in vars(args).items() if k == "command" or k.endswith("_command"))
        print(f"retakes: internal error: `retakes {command}` sets no `run` function", file=sys.stderr)
        return 70
    try:
        return int(run(args) or 0)
    except CliError as error:
        print(f"retakes: error: {error}", file=sys.stderr)
        return 2
    except EngineLost as lost:
        follow = (f"; the job is kept and resumes from its last finished chunk when an engine runs again: "
                  f"`retakes jobs watch {lost.job_id}` starts one and follows it")
        print(f"retakes: error: {lost}{follow if lost.job_id else ''}", file=sys.stderr)
        return 1
    except (EngineError, RetakesError) as error:
        text = str(error)
        if args.command in ("edit", "track"):  # name the option the user gave, not a proto path
            text = one_line(error.field, error.message, args.command)
        elif args.command == "jobs" and error.field == "job_id":
            text = f"JOB_ID: {error.message}"
        print(f"retakes: error: {text}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("retakes: interrupted", file=sys.stderr)
        return 130
