"""A finished command-line edit becomes a version in the store, so it can be reviewed.

`retakes edit` writes where the user said (`-o OUT`); the panel's versions are named by the
store. To give a command-line result the same guarantee as a panel version (a version's media
never changes after it is recorded), the store keeps a hard link to OUT under its own name
(`<store>/<clip>/<clip>_v00N<ext>`, a PNG sequence as a folder of links): it costs no space,
and when OUT is later replaced (the engine renames a new file into place) or deleted, the
version keeps the frames it was recorded with. Where a link cannot be made (the store on
another disk, a filesystem without hard links) the version records OUT itself and says so.

The source clip is the request's source and range, read back by probing the source here (the
job carries the request, not the frames it resolved). A source that is itself a version's
output (the same file, by inode) continues that version's series: an edit of an edit.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, replace
from pathlib import Path

from ..engine.media import probe
from ..engine.timecode import FrameRange, FrameRate, Timebase, parse_range, range_within
from ..v1 import engine_pb2
from .clipref import ClipRef, Placement, TimelineInfo
from .versions import NewVersion, Version, VersionStore, reservation_of


@dataclass(frozen=True)
class RecordedEdit:
    version: Version
    linked: bool  # True: the store holds its own link to the output; False: it records OUT in place


class NotRecorded(Exception):
    """Why a finished edit could not be recorded (the edit itself stands)."""


def record_edits(store: VersionStore, request: engine_pb2.EditRequest, job: engine_pb2.Job) -> list[RecordedEdit]:
    """Records each of the job's outputs: one version, or one per batch variant (each with the
    request a job of its own would have had, so its lineage shows its own parameters)."""
    if not request.variants:
        return [record_edit(store, request, job)]
    from ..engine.batch import variant_requests

    return [record_edit(store, single, job, output=i) for i, single in enumerate(variant_requests(request))]


def record_edit(store: VersionStore, request: engine_pb2.EditRequest, job: engine_pb2.Job,
                output: int = 0) -> RecordedEdit:
    """Records the job's output (its `output`-th, for a batch) as the next version of its source
    clip; a fix (`request.fix`) as the next version after the version it fixed."""
    outputs = [Path(o.path) for o in job.result.outputs] or [Path(request.output_path)]
    out = outputs[output]
    if not out.exists():
        raise NotRecorded(f"{out} is not on this machine (an engine elsewhere wrote it)")
    source = Path(request.source.path)
    if not source.exists():
        raise NotRecorded(f"the source {source} is not on this machine")
    clip = clip_of_request(store, request)
    target = store.output_path_for(clip, extension=out.suffix if out.is_file() else "")
    linked = _link(out, target)
    if not linked:
        reservation_of(target).unlink(missing_ok=True)
        if store.parent_of(_with_media(clip, out)) is not None:
            raise NotRecorded(f"{out} is already a recorded version, and the store (on another disk) "
                              "cannot keep its own link to the new one")
    params = request_params(request)
    parent_id = None
    if request.HasField("fix"):  # lineage: which version was fixed, and which frames
        fixed = _version_at(store, Path(request.fix.base.path))
        parent_id = fixed.id if fixed else None
        params["fixed_frames"] = f"{request.fix.frames.start}:{request.fix.frames.end}"
    hashed = job.result.outputs[output].sha256 if output < len(job.result.outputs) else ""
    new = NewVersion(clip=clip, op=request.op, output_path=str(target if linked else out),
                     params=params, seed=request.seed, job_id=job.id, parent_id=parent_id, output_sha256=hashed)
    try:
        return RecordedEdit(store.record(new), linked)
    except BaseException:
        if linked and target.is_dir():  # no row names the link: take it back (its number stays unused)
            shutil.rmtree(target, ignore_errors=True)
        elif linked:
            target.unlink(missing_ok=True)
        raise


def clip_of_request(store: VersionStore, request: engine_pb2.EditRequest) -> ClipRef:
    source = Path(request.source.path)
    rate = FrameRate.parse(request.sequence_rate) if request.sequence_rate else None
    info = probe(source, sequence_rate=rate, sequence_start_timecode=request.sequence_start_timecode or None)
    frames = _range(request, info.frame_count, info.timebase)
    parent = _version_at(store, source)
    return ClipRef(
        name=parent.clip_name if parent else source.name,
        media_path=parent.output_path if parent else str(source),  # the store finds a parent by this path
        source_rate=info.rate,
        source_range=frames,
        placement=Placement(1, FrameRange(0, len(frames))),  # not on any timeline
        timeline=TimelineInfo("(command line)", info.rate, 0),
        source_timebase=info.timebase,
        media_frames=info.frame_count,
    )


def request_params(request: engine_pb2.EditRequest) -> dict:
    """The op's parameters and the inputs that shaped the result, as plain values (lineage)."""
    params = {}
    for name, value in request.params.items():
        kind = value.WhichOneof("kind")
        if kind is not None:
            params[name] = getattr(value, kind)
    if request.HasField("mask"):
        params["mask"] = request.mask.path
    if request.HasField("mask_frame"):
        params["mask_frame"] = request.mask_frame
    if request.keyframes:
        params["keyframes"] = [k.frame for k in request.keyframes]
        params["edited"] = [k.edited.path for k in request.keyframes]
    if request.key_masks:
        params["key_masks"] = [[k.frame, k.mask.path] for k in request.key_masks]
    if request.mask_index:
        params["mask_index"] = request.mask_index
    if request.sequence_rate:
        params["sequence_rate"] = request.sequence_rate
    return params


#: lineage entries that are inputs of the request, not op parameters
_STRUCTURAL = ("mask", "mask_frame", "keyframes", "edited", "key_masks", "mask_index", "sequence_rate",
               "fixed_frames")


def request_of_version(version: Version) -> engine_pb2.EditRequest:
    """The edit a version records, as a request again (what `retakes edit --fix` starts from):
    its source, range, op, parameters, masks, keyframes and seed."""
    from ..engine.service.convert import param_value

    p = version.params
    request = engine_pb2.EditRequest(
        source=engine_pb2.MediaRef(path=version.source_path), op=version.op, seed=version.seed,
        # what the version's media covers: its range with the handles rendered before and after it
        range=engine_pb2.RangeSpec(frames=engine_pb2.FrameRange(
            start=version.source_start - version.handle_head,
            end=version.source_start - version.handle_head + version.output_frames)),
        sequence_rate=p.get("sequence_rate", ""), mask_index=p.get("mask_index", ""))
    if p.get("mask"):
        request.mask.path = p["mask"]
    if p.get("mask_frame") is not None:
        request.mask_frame = int(p["mask_frame"])
    for frame, path in zip(p.get("keyframes", []), p.get("edited", []), strict=False):
        request.keyframes.add(frame=int(frame), edited=engine_pb2.MediaRef(path=path))
    for frame, path in p.get("key_masks", []):
        request.key_masks.add(frame=int(frame), mask=engine_pb2.MediaRef(path=path))
    for name, value in p.items():
        if name not in _STRUCTURAL and value is not None:
            request.params[name].CopyFrom(param_value(value))
    return request


def _range(request: engine_pb2.EditRequest, total: int, timebase: Timebase) -> FrameRange:
    """The request's range as the engine resolved it (engine/plan.py does the same)."""
    kind = request.range.WhichOneof("kind") if request.HasField("range") else None
    if kind is None:
        return FrameRange(0, total)
    if kind == "frames":
        return FrameRange(request.range.frames.start, request.range.frames.end).within(total)
    tc = request.range.timecodes
    given = f"{tc.start.strip()}-{tc.end.strip()}"
    return range_within(parse_range(given, timebase), total, timebase, given=given)


def _version_at(store: VersionStore, media: Path) -> Version | None:
    """The version whose output is this very file (a hard link, or the recorded path itself)."""
    for version in reversed(store.list_versions()):
        try:
            if os.path.samefile(version.output_path, media):
                return version
        except OSError:  # an output since removed, or on a disk not mounted now
            continue
    return None


def _with_media(clip: ClipRef, media: Path) -> ClipRef:
    return replace(clip, media_path=str(media))


def _link(out: Path, target: Path) -> bool:
    """Hard-links OUT (a file, or a folder's files) at `target`; False, with nothing left, if it can't."""
    try:
        if out.is_file():
            os.link(out, target)
            return True
        target.mkdir()
        for frame in sorted(out.iterdir()):
            os.link(frame, target / frame.name)
        return True
    except OSError:
        if target.is_dir():
            shutil.rmtree(target, ignore_errors=True)
        else:
            target.unlink(missing_ok=True)
        return False
