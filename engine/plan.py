"""From an `EditRequest` to a validated `EditPlan`, before anything is written.

Every check a user can fail happens here, up front, with the request field named:
the source (exists, readable, decodable, constant rate), the range (inside the media,
not empty or reversed, timecode at the media's rate), the op and its parameters, the
mask (size, count), the keyframes, the codec and the output path (not the source, not
inside a source folder). `SubmitEdit` and `Preview` both plan first, so bad input is
answered at once with INVALID_ARGUMENT and nothing is queued, created or written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from ..v1 import engine_pb2
from .devices import resolve_device
from .errors import InvalidArgument, MediaNotFound
from .media import (
    CodecSpec,
    KeyframeMask,
    MediaInfo,
    PerFrameMasks,
    check_output_path,
    load_masks,
    probe,
    resolve_codec,
)
from .media.timing import FrameTiming, drift
from .ops import Op, get_op
from .ops.base import MaskUse
from .timecode import FrameRange, FrameRate, parse_range, range_within

#: Resolves a MediaRef to a local path; `field` names the request field for errors.
MediaResolver = Callable[[engine_pb2.MediaRef, str], Path]


@dataclass
class EditPlan:
    request: engine_pb2.EditRequest
    source: MediaInfo
    frame_range: FrameRange
    op: type[Op]
    params: dict[str, Any]
    device: str
    codec: CodecSpec | None = None
    output: Path | None = None
    masks: PerFrameMasks | KeyframeMask | None = None
    keyframes: dict[int, np.ndarray] = field(default_factory=dict)
    seed: int = 0

    @property
    def keeps_alpha(self) -> bool:
        """Whether the output keeps the source's alpha channel: a codec that can hold one
        (prores_4444, ffv1, png) and an edit of the picture, not a matte (`retakes track`)."""
        return self.source.alpha and self.codec is not None and self.codec.keeps_alpha and not self.op.spec.writes_mask

    @property
    def notes(self) -> list[str]:
        """What the editor should know about how the source was read (JobResult.notes)."""
        notes = []
        source = self.source
        if source.frame_pts is not None:
            timing = FrameTiming(source.rate, source.frame_pts)
            apart = drift(timing, source.time_base, self.frame_range.start, self.frame_range.end)
            notes.append(
                f"{source.path.name} is stamped off a constant rate (a phone's clip): its frames are numbered in "
                f"order at {source.rate} fps, as Resolve numbers them; over this range a picture and its sound "
                f"part by up to {apart:.3f} s"
            )
        if source.alpha and self.codec is not None and not self.codec.keeps_alpha and not self.op.spec.writes_mask:
            notes.append(
                f"{source.path.name} has an alpha channel that {self.codec.name} cannot hold: the output has the "
                "colour alone (prores_4444, ffv1 and png keep alpha)"
            )
        return notes


def local_path(ref: engine_pb2.MediaRef, field: str) -> Path:
    """The resolver for a local engine: only paths."""
    if ref.WhichOneof("kind") != "path" or not ref.path:
        raise InvalidArgument("expected a file path", field=field)
    return Path(ref.path).expanduser()


def param_value(value: engine_pb2.ParamValue) -> Any:
    kind = value.WhichOneof("kind")
    return None if kind is None else getattr(value, kind)


def plan_edit(
    request: engine_pb2.EditRequest,
    *,
    resolve: MediaResolver = local_path,
    for_preview: bool = False,
    output_root: Path | None = None,
) -> EditPlan:
    """Validates `request` completely and returns the plan; raises a RetakesError naming the field."""
    if not request.op:
        raise InvalidArgument("expected an operation name", field="op")
    op = get_op(request.op)
    if not request.HasField("source"):
        raise InvalidArgument("expected the source media", field="source")
    source_path = resolve(request.source, "source")
    rate = FrameRate.parse(request.sequence_rate, field="sequence_rate") if request.sequence_rate else None
    source = probe(
        source_path,
        sequence_rate=rate,
        sequence_start_timecode=request.sequence_start_timecode or None,
    )
    frame_range = _plan_range(request, source)

    params = op.spec.validate_params({k: param_value(v) for k, v in request.params.items()})
    op.check_params(params)
    for spec in op.spec.params:
        if spec.type.value == "path" and params.get(spec.name):
            ref = engine_pb2.MediaRef(path=str(params[spec.name]))
            resolved = resolve(ref, f"params.{spec.name}")
            if not resolved.exists():
                raise MediaNotFound(f"no such file: {resolved}", field=f"params.{spec.name}")
            params[spec.name] = str(resolved)

    device = resolve_device(request.device)  # checked even where the op will not use it
    if not op.spec.gpu:
        device = "cpu"
    plan = EditPlan(
        request=request,
        source=source,
        frame_range=frame_range,
        op=op,
        params=params,
        device=device,
        seed=request.seed,
    )
    plan.masks = _plan_masks(request, op, source, frame_range, resolve)
    plan.keyframes = _plan_keyframes(request, op, source, frame_range, resolve)
    if not for_preview:
        if not request.output_path:
            raise InvalidArgument("expected an output path", field="output_path")
        output = Path(request.output_path).expanduser()
        if output_root is not None and not output.is_absolute():
            output = output_root / output
        inputs = [source_path]
        if request.HasField("mask"):
            inputs.append(resolve(request.mask, "mask"))
        inputs += [resolve(k.edited, "keyframes") for k in request.keyframes]
        check_output_path(output, inputs, field="output_path")
        plan.output = output
        plan.codec = resolve_codec(output, request.codec or None)
        _check_pixel_shape_kept(source, output)
    return plan


#: containers the engine writes a pixel shape into (ProRes and DNxHR in .mov, H.264's own
#: bitstream in .mp4); PyAV cannot set the stream-level aspect that .mkv and .mxf record it by
_KEEPS_PIXEL_SHAPE = {".mov", ".mp4"}


def _check_pixel_shape_kept(source: MediaInfo, output: Path) -> None:
    """Refuses an output that would show non-square pixels squeezed (HDV's 1440x1080 at 4:3)."""
    sar = source.sample_aspect_ratio
    suffix = output.suffix.lower()
    if sar == 1 or suffix in _KEEPS_PIXEL_SHAPE or not suffix or suffix == ".png":
        return  # a PNG sequence is raw pixels: its reader supplies the shape, as for DPX plates
    raise InvalidArgument(
        f"the source's pixels are not square ({sar.numerator}:{sar.denominator}); a {suffix} output "
        f"would lose their shape and show squeezed: write .mov or .mp4",
        field="output_path",
    )


def _plan_range(request: engine_pb2.EditRequest, source: MediaInfo) -> FrameRange:
    kind = request.range.WhichOneof("kind") if request.HasField("range") else None
    if kind is None:
        return FrameRange(0, source.frame_count)
    if kind == "frames":
        return FrameRange(request.range.frames.start, request.range.frames.end).within(source.frame_count)
    tc = request.range.timecodes
    given = f"{tc.start.strip()}-{tc.end.strip()}"
    return range_within(parse_range(given, source.timebase), source.frame_count, source.timebase, given=given)


def _plan_masks(request, op, source, frame_range, resolve):
    if not request.HasField("mask"):
        if op.spec.mask is MaskUse.REQUIRED:
            raise InvalidArgument(f"op {op.spec.name!r} needs a mask (--mask)", field="mask")
        return None
    if op.spec.mask is MaskUse.NONE:
        raise InvalidArgument(f"op {op.spec.name!r} takes no mask", field="mask")
    mask_frame = request.mask_frame if request.HasField("mask_frame") else None
    if mask_frame is not None and not 0 <= mask_frame < source.frame_count:
        raise InvalidArgument(
            f"mask frame {mask_frame} lies outside the media's {source.frame_count} frames", field="mask_frame"
        )
    return load_masks(resolve(request.mask, "mask"), source, frame_range, mask_frame=mask_frame, field="mask")


def _plan_keyframes(request, op, source, frame_range, resolve) -> dict[int, np.ndarray]:
    if not request.keyframes:
        if op.spec.uses_keyframes:
            raise InvalidArgument(
                f"op {op.spec.name!r} needs at least one edited keyframe (--keyframe K --edited IMG)",
                field="keyframes",
            )
        return {}
    if not op.spec.uses_keyframes:
        raise InvalidArgument(f"op {op.spec.name!r} takes no keyframes", field="keyframes")
    keyframes: dict[int, np.ndarray] = {}
    for i, key in enumerate(request.keyframes):
        where = f"keyframes[{i}]"
        if key.frame not in frame_range:
            raise InvalidArgument(f"keyframe {key.frame} lies outside the range {frame_range}", field=f"{where}.frame")
        if key.frame in keyframes:
            raise InvalidArgument(f"keyframe {key.frame} is given twice", field=f"{where}.frame")
        keyframes[key.frame] = read_image(resolve(key.edited, f"{where}.edited"), source, field=f"{where}.edited")
    return keyframes


def read_image(path: Path, source: MediaInfo, *, field: str) -> np.ndarray:
    """Reads an edited keyframe as RGB in the source's sample depth, checking its size."""
    if not path.exists():
        raise MediaNotFound(f"no such file: {path}", field=field)
    image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if image is None:
        raise InvalidArgument(f"cannot read {path} as an image", field=field)
    if image.ndim == 2:
        image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    image = cv2.cvtColor(image[..., :3], cv2.COLOR_BGR2RGB)
    h, w = image.shape[:2]
    if (w, h) != (source.width, source.height):
        raise InvalidArgument(f"image is {w}x{h} but the source is {source.width}x{source.height}", field=field)
    want = np.uint16 if source.bit_depth > 8 else np.uint8
    if image.dtype != want:  # noqa: SIM108
        # 8-bit edits of a deep source scale by 257 (0xFF -> 0xFFFF); deep edits of an 8-bit one shift down.
        image = (image.astype(np.uint32) * 257).astype(np.uint16) if want is np.uint16 else (image >> 8).astype(
            np.uint8)
    return np.ascontiguousarray(image)
