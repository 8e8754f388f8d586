"""From an `EditRequest` to a validated `EditPlan`, before anything is written.

Every check a user can fail happens here, up front, with the request field named:
the source (exists, readable, decodable, constant rate), the range (inside the media,
not empty or reversed, timecode at the media's rate), the op and its parameters, the
mask (size, count), the keyframes, the codec and the output path (not the source, not
inside a source folder). `SubmitEdit` and `Preview` both plan first, so bad input is
answered at once with INVALID_ARGUMENT and nothing is queued, created or written.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from ..v1 import engine_pb2
from .devices import resolve_device
from .errors import InvalidArgument, MediaNotFound, shown
from .fix import FixPlan, plan_fix
from .learned.track_backend import CLASSICAL, LEARNED, TrackerChoice
from .media import (
    CodecSpec,
    KeyframeMask,
    KeyframeMasks,
    MediaInfo,
    PerFrameMasks,
    check_output_path,
    load_masks,
    probe,
    resolve_codec,
)
from .media.decode import decode_where
from .media.paths import check_input_path, check_path_text
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
    #: where the source is decoded: "cpu" or "gpu" (media.decode.decode_where)
    decode: str = "cpu"
    output: Path | None = None
    masks: PerFrameMasks | KeyframeMasks | None = None
    keyframes: dict[int, np.ndarray] = field(default_factory=dict)
    seed: int = 0
    #: frame fixing (EditRequest.fix): which frames are rendered again, over which old version
    fix: FixPlan | None = None
    #: which tracker carries a keyframe mask through the clip (EditRequest.tracker, resolved)
    tracker: TrackerChoice = field(default_factory=TrackerChoice)

    @property
    def keeps_alpha(self) -> bool:
        """Whether the output keeps the source's alpha channel: a codec that can hold one
        (prores_4444, ffv1, png) and an edit of the picture, not a matte (`retakes track`)."""
        return self.source.alpha and self.codec is not None and self.codec.keeps_alpha and not self.op.spec.writes_mask

    @property
    def _tracks_past_its_keyframes(self) -> bool:
        """Whether any frame of the range takes its mask from a tracker (a range of only the drawn
        frames tracks nothing)."""
        if not isinstance(self.masks, KeyframeMasks):
            return False
        drawn = set(self.masks.frames)
        return any(i not in drawn for i in self.frame_range)

    @property
    def notes(self) -> list[str]:
        """What the editor should know about how the source was read (JobResult.notes)."""
        notes = self.fix.notes(self.frame_range.start) if self.fix is not None else []
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
        if self.tracker.backend == LEARNED and self._tracks_past_its_keyframes:
            notes.append(f"the keyframe mask was carried through the clip by {self.tracker.describe()}")
        return notes


def local_path(ref: engine_pb2.MediaRef, field: str) -> Path:
    """The resolver for a local engine: only paths."""
    if ref.WhichOneof("kind") != "path" or not ref.path:
        raise InvalidArgument("expected a file path", field=field)
    return check_path_text(ref.path, field=field)


def param_value(value: engine_pb2.ParamValue) -> Any:
    kind = value.WhichOneof("kind")
    return None if kind is None else getattr(value, kind)


#: the frame rates an image sequence may be given: slower than one a second is no motion
#: picture, faster than 1000 no camera's (and timecode counts frames in two digits).
SEQUENCE_RATES = (FrameRate(Fraction(1)), FrameRate(Fraction(1000)))


def plan_edit(
    request: engine_pb2.EditRequest,
    *,
    resolve: MediaResolver = local_path,
    for_preview: bool = False,
    output_root: Path | None = None,
    existing_output_ok: bool = False,
    devices: Callable[[str], str] | None = None,
) -> EditPlan:
    """Validates `request` completely and returns the plan; raises a RetakesError naming the field.

    Every input (source, mask, keyframes, path parameters) must be a file or a folder of
    files, and the output none of them. A relative output is placed in `output_root` (a
    remote client's outputs folder) and may not leave it. An existing output is refused
    unless the request says `overwrite`, or `existing_output_ok` (a resumed job finding the
    output its earlier attempt published).
    """
    if not request.op:
        raise InvalidArgument("expected an operation name", field="op")
    op = get_op(request.op)
    if not request.HasField("source"):
        raise InvalidArgument("expected the source media", field="source")

    checked: dict[str, Path] = {}

    def input_path(ref: engine_pb2.MediaRef, field: str) -> Path:
        if field not in checked:
            checked[field] = check_input_path(resolve(ref, field), field=field)
        return checked[field]

    # The params first: a request refused for them is refused without opening its media.
    params = op.spec.validate_params({k: param_value(v) for k, v in request.params.items()})
    op.check_params(params)
    source_path = input_path(request.source, "source")
    rate = _sequence_rate(request.sequence_rate) if request.sequence_rate else None
    source = probe(
        source_path,
        sequence_rate=rate,
        sequence_start_timecode=request.sequence_start_timecode or None,
    )
    frame_range = _plan_range(request, source)
    _check_timecode_rate(source, "sequence_rate" if source.kind == "sequence" else "source")

    inputs: list[tuple[Path, str]] = [(source_path, "the source")]
    for spec in op.spec.params:
        if spec.type.value == "path" and params.get(spec.name):
            ref = engine_pb2.MediaRef(path=str(params[spec.name]))
            resolved = input_path(ref, f"params.{spec.name}")
            params[spec.name] = str(resolved)
            inputs.append((resolved, f"the {spec.name} (--{spec.name.replace('_', '-')})"))

    # checked even where the op will not use it; `devices`: where the job runs elsewhere (a Ray cluster)
    device = (devices or resolve_device)(request.device)
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
        decode=decode_where(request.decode),
    )
    plan.masks = _plan_masks(request, op, source, frame_range, input_path)
    plan.keyframes = _plan_keyframes(request, op, source, frame_range, input_path)
    plan.tracker = _plan_tracker(request, op, plan.masks)
    if not for_preview:
        if request.HasField("mask"):
            inputs.append((input_path(request.mask, "mask"), "the mask (--mask)"))
        inputs += [(input_path(k.mask, f"key_masks[{i}].mask"), "a mask (--mask)")
                   for i, k in enumerate(request.key_masks)]
        inputs += [(input_path(k.edited, f"keyframes[{i}].edited"), "an edited keyframe (--edited)")
                   for i, k in enumerate(request.keyframes)]
        if request.HasField("fix"):  # the old version is an input: never the output
            inputs.append((input_path(request.fix.base, "fix.base"), "the version to fix (--fix)"))
        output = _output_path(request.output_path, output_root)
        plan.output = check_output_path(output, inputs, field="output_path",
                                        overwrite=request.overwrite or existing_output_ok)
        # the resolved path, with the trailing separator that asks for a folder kept
        plan.codec = resolve_codec(
            f"{plan.output}{os.sep}" if request.output_path.endswith(("/", os.sep)) else plan.output,
            request.codec or None,
        )
        # the encoder's own size limits, before a frame is decoded rather than after a chunk is
        plan.codec.check_frame_size(source.width, source.height)
        _check_pixel_shape_kept(source, plan.output)
        if request.HasField("fix"):
            plan.fix = plan_fix(request.fix, frame_range, source, plan.codec, input_path)
    return plan


def _sequence_rate(text: str) -> FrameRate:
    try:
        rate = FrameRate.parse(text, field="sequence_rate")
    except InvalidArgument as error:  # FrameRate itself names its own field, "rate"
        raise InvalidArgument(error.message, field="sequence_rate") from None
    low, high = SEQUENCE_RATES
    if not low.value <= rate.value <= high.value:
        raise InvalidArgument(f"expected a rate between {low} and {high} fps, got {shown(text)}",
                              field="sequence_rate")
    return rate


def _check_timecode_rate(source: MediaInfo, field: str) -> None:
    """Refuses, before anything renders, a rate the output's start timecode cannot be written at
    (SMPTE timecode as OpenTimelineIO writes it: 23.976 to 60 fps)."""
    try:
        source.timebase.timecode_of(0)
    except ValueError:
        raise InvalidArgument(
            f"timecode cannot be written at {source.rate} fps; the rates with timecode are 24000/1001, 24, 25, "
            "30000/1001, 30, 48000/1001, 48, 50, 60000/1001 and 60",
            field=field,
        ) from None


def _output_path(text: str, output_root: Path | None) -> Path:
    """The output the request names. A relative one is placed in `output_root` (where a remote
    client's bare names go) and must stay inside it once resolved."""
    if not text:
        raise InvalidArgument("expected an output path", field="output_path")
    output = check_path_text(text, field="output_path")
    if output_root is None or output.is_absolute():
        return output
    root = output_root.resolve()
    placed = (root / output).resolve()
    if not placed.is_relative_to(root):
        raise InvalidArgument(
            f"a relative output is written into the engine's outputs folder and may not leave it; "
            f"{shown(text)} would land at {placed}",
            field="output_path",
        )
    return placed


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


def _plan_tracker(request: engine_pb2.EditRequest, op: type[Op], masks) -> TrackerChoice:
    """EditRequest.tracker resolved against the model store; a learned tracker asked for where no
    keyframe mask is tracked is refused rather than ignored."""
    if op.spec.name == "track" and (request.tracker or request.tracker_model):
        raise InvalidArgument("track picks its tracker with its own backend param (--backend, --model)",
                              field="tracker_model" if request.tracker_model and not request.tracker else "tracker")
    choice = TrackerChoice.of_request(request.tracker, request.tracker_model)
    asked = request.tracker == LEARNED or bool(request.tracker_model)
    if asked and not isinstance(masks, KeyframeMasks):
        raise InvalidArgument("there is no keyframe mask to track: the learned tracker carries a single-image "
                              "--mask through the clip", field="tracker")
    return choice if isinstance(masks, KeyframeMasks) else TrackerChoice(CLASSICAL)


def _plan_masks(request, op, source, frame_range, resolve):
    if not request.HasField("mask"):
        if request.key_masks:
            raise InvalidArgument("key_masks come after a first mask image (mask, mask_frame)", field="mask")
        if request.mask_index:
            raise InvalidArgument("picks an object of a mask, but no mask is given", field="mask_index")
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
    pick = request.mask_index
    masks = load_masks(resolve(request.mask, "mask"), source, frame_range, mask_frame=mask_frame, field="mask",
                       pick=pick)
    if not isinstance(masks, KeyframeMask):
        if request.key_masks:
            raise InvalidArgument(
                "masks on several frames must each be one image; this one is a folder or a matte video",
                field="mask",
            )
        return masks
    keys = {masks.frame: masks}
    for i, extra in enumerate(request.key_masks):
        where = f"key_masks[{i}]"
        if extra.frame not in frame_range:
            raise InvalidArgument(f"mask frame {extra.frame} is outside the range {frame_range}",
                                  field=f"{where}.frame")
        if extra.frame in keys:
            raise InvalidArgument(f"frame {extra.frame} is given two masks", field=f"{where}.frame")
        key = load_masks(resolve(extra.mask, f"{where}.mask"), source, frame_range, mask_frame=extra.frame,
                         field=f"{where}.mask", pick=pick)
        if not isinstance(key, KeyframeMask):
            raise InvalidArgument("expected one mask image (a mask on one frame), not a folder or a video",
                                  field=f"{where}.mask")
        keys[extra.frame] = key
    return KeyframeMasks(tuple(keys[k] for k in sorted(keys)))


def _plan_keyframes(request, op, source, frame_range, resolve) -> dict[int, np.ndarray]:
    if not request.keyframes:
        if op.spec.uses_keyframes and not op.spec.keyframes_optional:
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
