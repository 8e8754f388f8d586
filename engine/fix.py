"""Frame fixing: render a few frames of an earlier result again and keep the rest of it.

`EditRequest.fix` names the old version's media and the source frames to render again; the
request itself is the edit with its new parameters over the old version's source and range.
The new output is joined from three parts by packet copy (engine.media.PacketSlice): the old
version's packets before the fixed frames, a freshly encoded segment, and its packets after.
So every frame outside the fix is the old one bit for bit, packets untouched.

A decoder can only start at a keyframe. Intra-frame codecs (ProRes, DNxHR, PNG, and FFV1 as
written here) make every frame one, so exactly the asked frames are encoded. A long-GOP codec
(H.264) makes the encoded part grow to whole GOPs: the frames it takes in beside the asked ones
are the old version's, decoded and encoded again (a lossy re-encode), and the job's notes say so.
The op's context keeps the whole range, so the analysis (tracking, flow) is the one a fresh
render of the whole range would make, and the fixed frames equal that render's.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..v1 import engine_pb2
from .errors import InvalidArgument, shown
from .media import CodecSpec, MediaInfo, keyframe_indices, probe
from .timecode import FrameRange

#: the codec names FFmpeg's decoders report for what each of our encoders writes
_DECODED_AS = {"prores_ks": "prores", "dnxhd": "dnxhd", "libx264": "h264", "ffv1": "ffv1", "png": "png"}


@dataclass(frozen=True)
class FixPlan:
    base: MediaInfo  # the old version's media
    frames: FrameRange  # source frames rendered with the new parameters
    encoded: FrameRange  # source frames encoded again (frames, widened to whole GOPs)

    def notes(self, range_start: int) -> list[str]:
        a, b = self.frames.start - range_start, self.frames.end - range_start
        ea, eb = self.encoded.start - range_start, self.encoded.end - range_start
        total = self.base.frame_count
        copied = " and ".join(f"{x}:{y}" for x, y in ((0, ea), (eb, total)) if y > x)
        notes = [f"fixed output frames {a}:{b} (source frames {self.frames.start}:{self.frames.end}); "
                 + (f"frames {copied} are {self.base.path.name}'s, their packets copied untouched" if copied
                    else "no frame's packets could be copied")]
        if (ea, eb) != (a, b):
            lossless = self.base.codec in ("ffv1", "png")
            spans = " and ".join(f"{x}:{y}" for x, y in ((ea, a), (b, eb)) if y > x)
            notes.append(
                f"{self.base.codec} is long-GOP: whole GOPs were encoded again, so output frames {spans} are the "
                "old version's decoded and re-encoded"
                + (" (losslessly: identical pixels)" if lossless else " (lossy: not bit-identical to the old)"))
        return notes


def plan_fix(spec: engine_pb2.FixSpec, frame_range: FrameRange, source: MediaInfo, codec: CodecSpec,
             base_path: Callable[[engine_pb2.MediaRef, str], Path]) -> FixPlan:
    """Checks the fix against the old version (same range length, size and codec); raises
    InvalidArgument naming `fix.base` or `fix.frames`."""
    if not spec.HasField("base"):
        raise InvalidArgument("expected the media of the version to fix", field="fix.base")
    path = base_path(spec.base, "fix.base")
    base = probe(path, sequence_rate=source.rate if path.is_dir() else None, field="fix.base")
    if base.frame_count != len(frame_range):
        raise InvalidArgument(
            f"{path.name} has {base.frame_count} frames; the request's range {frame_range} has {len(frame_range)}: "
            "a fix keeps the old version's source and range", field="fix.base")
    if (base.width, base.height) != (source.width, source.height):
        raise InvalidArgument(f"{path.name} is {base.width}x{base.height}, the source {source.width}x{source.height}",
                              field="fix.base")
    if base.codec != _DECODED_AS.get(codec.encoder, codec.encoder):
        raise InvalidArgument(
            f"{path.name} is {base.codec}; the fixed version is written as {codec.name}: its packets can only be "
            f"copied into the same codec (give an output of the same kind, or --codec)", field="fix.base")
    if not spec.HasField("frames"):
        raise InvalidArgument("expected the frames to render again, A:B", field="fix.frames")
    a, b = spec.frames.start, spec.frames.end
    if not (frame_range.start <= a < b <= frame_range.end):
        raise InvalidArgument(
            f"expected source frames A:B inside the version's range {frame_range}, not empty, got {shown(f'{a}:{b}')}",
            field="fix.frames")
    frames = FrameRange(a, b)
    keys = keyframe_indices(path)
    a, b = frames.start - frame_range.start, frames.end - frame_range.start
    start = keys[bisect.bisect_right(keys, a) - 1] if keys and keys[0] <= a else 0
    later = [k for k in keys if k >= b]
    end = later[0] if later else len(frame_range)
    return FixPlan(base, frames, FrameRange(frame_range.start + start, frame_range.start + end))
