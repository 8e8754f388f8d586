"""Argument types for the command line: numbers checked against what their field can hold.

A value the proto field cannot hold (`--seed -1` for a uint64, a frame past int64) used to
reach protobuf and end in a traceback. argparse reports an `ArgumentTypeError` as one line
naming the option (`retakes edit: error: argument --seed: ...`).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

INT64 = (-(1 << 63), (1 << 63) - 1)
UINT64 = (0, (1 << 64) - 1)
INT32 = (-(1 << 31), (1 << 31) - 1)


def whole(low: int, high: int, what: str = "a whole number") -> Callable[[str], int]:
    """An argparse type: an integer from `low` to `high`, both included."""

    def parse(text: str) -> int:
        try:
            value = int(text.strip())
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"expected {what} from {low} to {high}, got {text}")
        return value

    parse.__name__ = what  # argparse names the type in its own messages
    return parse


#: A source frame index (int64 in the proto); whether the media has it is the engine's to say.
frame = whole(*INT64, what="a frame number")
#: `--seed`: the proto's uint64.
seed = whole(*UINT64, what="a seed")
#: A count of at least one (jobs, frames, workers) that fits an int32.
count = whole(1, INT32[1], what="a whole number")


def frame_size(text: str) -> tuple[int, int]:
    """`WIDTHxHEIGHT`, each from 16 to 16384 pixels."""
    parts = text.lower().split("x")
    try:
        width, height = (int(p) for p in parts)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT such as 640x360, got {text!r}") from None
    if not (16 <= width <= 16384 and 16 <= height <= 16384):
        raise argparse.ArgumentTypeError(f"expected a width and height from 16 to 16384 pixels, got {text}")
    return width, height


def seconds(text: str) -> float:
    """A positive, finite number of seconds."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not 0 < value < 1e9:  # also refuses nan and inf, which every comparison fails
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text}")
    return value
