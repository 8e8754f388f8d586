"""Errors as the command line's user knows them: named by the flag they gave, not a proto path.

The engine names the request field at fault with its proto path, relative to the message
the client sent (`edit.mask_frame` from SubmitEdit) or to the job's request (`mask` for an
error found while the job ran). gRPC clients keep those paths; the CLI's one-line errors
name the option instead (`--keyframe`, `--mask`, `--plate`, `--codec`, ...), the same way
whether the error was found before the job was queued or while it ran.
"""

from __future__ import annotations

import re

#: EditRequest fields (proto paths, without "edit.") and the option that sets each one.
_FLAGS = {
    "source": "SOURCE",
    "output_path": "-o/--output",
    "op": "--op",
    "range": "--range",
    "codec": "--codec",
    "mask": "--mask",
    "mask_frame": "--mask-frame",
    "mask_index": "--mask-index",
    "keyframe": "--mask-frame",  # older name of mask_frame in some media errors
    "keyframes": "--keyframe/--edited",
    "seed": "--seed",
    "device": "--device",
    "decode": "--decode",
    "tracker": "--tracker",
    "tracker_model": "--tracker-model",
    "sequence_rate": "--rate",
    "rate": "--rate",
    "sequence_start_timecode": "--start-timecode",
    "start_timecode": "--start-timecode",
    "fix.base": "--fix",
    "fix.frames": "--range",  # with --fix, --range names the frames to render again
    "webhook.url": "--webhook",
    "webhook.secret": "--webhook-secret-file",
    "variants": "--variants",
}
#: Where `retakes track` spells a field differently from `retakes edit`.
_TRACK_FLAGS = {"mask_frame": "--keyframe", "keyframe": "--keyframe", "params.mask_frame": "--keyframe",
                "mask": "--mask", "output_path": "-o/--output"}


def flag_of(field: str, command: str = "edit") -> str:
    """The option of `retakes COMMAND` that sets the request field `field`; `field` itself when
    no option sets it."""
    path = field.removeprefix("edit.")
    if command == "track" and path in _TRACK_FLAGS:
        return _TRACK_FLAGS[path]
    if path in _FLAGS:
        return _FLAGS[path]
    if key_mask := re.fullmatch(r"key_masks\[(\d+)\]\.(frame|mask)", path):  # the 2nd --mask is key_masks[0]
        flag = "--mask" if key_mask.group(2) == "mask" else "--keyframe" if command == "track" else "--mask-frame"
        return f"{flag} #{int(key_mask.group(1)) + 2}"
    if keyframe := re.fullmatch(r"keyframes\[(\d+)\]\.(frame|edited)", path):
        flag = "--keyframe" if keyframe.group(2) == "frame" else "--edited"
        return f"{flag} #{int(keyframe.group(1)) + 1}"
    if variant := re.fullmatch(r"variants\[(\d+)\]\.(.+)", path):  # a variant's row or value
        return f"variant {int(variant.group(1)) + 1} ({flag_of(variant.group(2), command)})"
    if path.startswith("params.") and re.fullmatch(r"[a-z0-9_]+", name := path.removeprefix("params.")):
        return "--" + name.replace("_", "-")
    return field


def one_line(field: str, message: str, command: str) -> str:
    """`FLAG: message`, the message without the proto path it may start with."""
    if not field:
        return message
    for prefix in (f"{field}: ", f"edit.{field}: "):
        message = message.removeprefix(prefix)
    return f"{flag_of(field, command)}: {message}"
