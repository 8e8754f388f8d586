"""ClipRef -> EditRequest: what the engine is asked to do for a timeline clip. Pure; no I/O.

The range is the clip's source frames plus the handles that were asked for, end-exclusive,
counted from the media's first frame. A ClipRef from a format that does not know the media's
start timecode (an EDL) is sent as source timecodes instead, and the engine maps them.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from retakes.engine.timecode import frames_to_timecode
from retakes.v1 import engine_pb2

from ..engine.service.convert import param_value
from .clipref import ClipRef

ParamLike = engine_pb2.ParamValue | bool | int | float | str


def range_spec(clip: ClipRef) -> engine_pb2.RangeSpec:
    rendered = clip.range_with_handles
    if clip.source_timebase is not None:
        return engine_pb2.RangeSpec(frames=engine_pb2.FrameRange(start=rendered.start, end=rendered.end))
    drop = clip.timeline.drop_frame and clip.source_rate.is_drop_frame_rate
    start, end = (
        frames_to_timecode(f, clip.source_rate, drop_frame=drop) for f in (rendered.start, rendered.end)
    )
    return engine_pb2.RangeSpec(timecodes=engine_pb2.TimecodeRange(start=start, end=end))


def edit_request(
    clip: ClipRef,
    *,
    op: str,
    output_path: str,
    params: Mapping[str, ParamLike] | None = None,
    codec: str = "",
    seed: int = 0,
    device: str = "auto",
    mask: str | None = None,
    mask_frame: int | None = None,
) -> engine_pb2.EditRequest:
    """The EditRequest for `clip`. `mask_frame` is a source frame (as the engine counts them)."""
    request = engine_pb2.EditRequest(
        source=engine_pb2.MediaRef(path=clip.media_path),
        output_path=output_path,
        op=op,
        codec=codec,
        seed=seed,
        device=device,
    )
    request.range.CopyFrom(range_spec(clip))
    if Path(clip.media_path).is_dir():  # an image sequence has no rate or timecode of its own
        request.sequence_rate = str(clip.source_rate)
        if clip.source_timebase is not None:
            request.sequence_start_timecode = clip.source_timebase.timecode_of(0)
    if mask:
        request.mask.path = mask
    if mask_frame is not None:
        request.mask_frame = mask_frame
    for name, value in (params or {}).items():
        request.params[name].CopyFrom(param_value(value))
    return request
