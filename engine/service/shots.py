"""The multi-shot RPCs' work: protos in, `engine.shots` called, protos out (no grpc here)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ...v1 import engine_pb2
from ..errors import InvalidArgument
from ..media.paths import check_output_path
from ..shots import ShotPlan, find_shots, propose_masks
from ..timecode import FrameRange
from ..vision.shots import Boundary

Resolve = Callable[[engine_pb2.MediaRef, str], Path]


def plan_message(plan: ShotPlan, boundaries: tuple[Boundary, ...] = ()) -> engine_pb2.ShotPlan:
    out = engine_pb2.ShotPlan(plan_path=str(plan.path or ""), source=plan.source,
                              range=engine_pb2.FrameRange(start=plan.start, end=plan.end))
    for s in plan.shots:
        entry = out.shots.add(index=s.index, frames=engine_pb2.FrameRange(start=s.start, end=s.end),
                              begins=s.begins, status=s.status, score=s.score, method=s.method)
        if s.frame is not None:
            entry.mask_frame = s.frame
        mask = plan.mask_path(s)
        if mask is not None:
            entry.mask_path = str(mask.absolute())
    for b in boundaries:
        out.boundaries.add(frame=b.frame, kind=b.kind, score=b.score,
                           span=engine_pb2.FrameRange(start=b.span.start, end=b.span.end))
    return out


def _plan_path(text: str, field: str = "plan_path") -> Path:
    if not text:
        raise InvalidArgument("expected the path of the plan file (JSON)", field=field)
    return Path(text).expanduser().absolute()


def find(request: engine_pb2.FindShotsRequest, resolve: Resolve,
         progress=lambda stage, done, total: None) -> engine_pb2.ShotPlan:
    if not request.HasField("source"):
        raise InvalidArgument("expected the source media", field="source")
    source = resolve(request.source, "source")
    out = check_output_path(_plan_path(request.plan_path), [(source, "the source")], field="plan_path",
                            overwrite=request.overwrite)
    frame_range = FrameRange(request.range.start, request.range.end) if request.HasField("range") else None
    plan, boundaries = find_shots(source, frame_range, sensitivity=request.sensitivity or 1.0,
                                  add=tuple(request.add_cuts), remove=tuple(request.remove_cuts), progress=progress)
    out.parent.mkdir(parents=True, exist_ok=True)
    plan.save(out)
    return plan_message(plan, boundaries)


def propose(request: engine_pb2.ProposeShotMasksRequest, resolve: Resolve,
            progress=lambda stage, done, total: None) -> engine_pb2.ShotPlan:
    path = _plan_path(request.plan_path)
    plan = ShotPlan.load(path, field="plan_path")
    if not request.HasField("mask"):
        raise InvalidArgument("expected the object's mask on the reference frame", field="mask")
    mask = resolve(request.mask, "mask")
    folder = Path(request.masks_dir).expanduser().absolute() if request.masks_dir else \
        path.with_name(f"{path.stem}-masks")
    propose_masks(plan, mask, request.mask_frame, folder, matcher=request.matcher or "auto", progress=progress)
    plan.save(path)
    return plan_message(plan)
