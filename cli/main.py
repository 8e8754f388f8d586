"""The `retakes` command: DESIGN.md's command line contract.

    retakes edit SOURCE -o OUT --op OP [--range A:B] [--codec C] [op options]
    retakes track SOURCE -o MASKS_OUT --mask KEYMASK --keyframe K
    retakes demo
    retakes engine serve [--socket PATH | --port N]
    retakes jobs list|watch|cancel

Every command that edits goes through the engine's gRPC service. Errors are one line
on stderr naming the field at fault, with a non-zero status; nothing is left at OUT.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import NoReturn

from ..engine.client import EngineError
from ..engine.errors import RetakesError
from .demo import add_demo_parser
from .edit import CliError, add_edit_parser, add_track_parser
from .engine_cmd import add_engine_parser
from .errors import one_line
from .jobs import add_jobs_parser

# Rooms that add their own commands through a `register(subparsers)` function.
_ROOM_COMMANDS = ("retakes.bridge.cli", "retakes.bridge.review.cli", "retakes.bridge.gateway.cli")


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
    for module in _ROOM_COMMANDS:
        try:
            room = importlib.import_module(module)
        except ImportError:
            continue
        room.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except CliError as error:
        print(f"retakes: {error}", file=sys.stderr)
        return 2
    except (EngineError, RetakesError) as error:
        text = str(error)
        if args.command in ("edit", "track"):  # name the option the user gave, not a proto path
            text = one_line(error.field, error.message, args.command)
        print(f"retakes: error: {text}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("retakes: interrupted", file=sys.stderr)
        return 130
