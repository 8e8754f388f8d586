"""The gateway's side of the version store: clips and versions between the proto and the store.

`VersionStore` is synchronous SQLite with one connection per thread, so every function here
opens its own store and is meant to run in a worker thread (`asyncio.to_thread`).
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from google.protobuf import json_format

from ...engine.errors import InvalidArgument
from ...engine.timecode import FrameRange, FrameRate
from ...v1 import engine_pb2, gateway_pb2
from ..clipref import ClipRef, Placement, TimelineInfo
from ..versions import NewVersion, Version, VersionStore
from .errors import GatewayError


def clip_ref(clip: gateway_pb2.Clip, field: str = "clip") -> ClipRef:
    """Checks a panel's clip, naming the field at fault, and makes it the bridge's ClipRef."""
    if not clip.media_path:
        raise GatewayError.invalid(f"{field}.media_path", "required: the clip's media file")
    if not Path(clip.media_path).is_absolute():
        raise GatewayError.invalid(f"{field}.media_path", f"expected an absolute path, got {clip.media_path!r}")
    if not Path(clip.media_path).exists():
        raise GatewayError("NOT_FOUND", f"{clip.media_path} does not exist on the engine's machine",
                           f"{field}.media_path")
    if clip.track < 1:
        raise GatewayError.invalid(f"{field}.track", f"video tracks count from 1 (V1), got {clip.track}")
    try:
        source_rate = FrameRate.parse(clip.source_rate, field=f"{field}.source_rate")
        timeline_rate = FrameRate.parse(clip.timeline_rate, field=f"{field}.timeline_rate")
        source = _range(clip.source_range, f"{field}.source_range")
        record = _range(clip.record, f"{field}.record")
        timeline = TimelineInfo(clip.timeline_name or "(sequence)", timeline_rate, clip.timeline_start_frame,
                                clip.drop_frame and timeline_rate.is_drop_frame_rate)
        return ClipRef(name=clip.name or Path(clip.media_path).name, media_path=clip.media_path,
                       source_rate=source_rate, source_range=source, placement=Placement(clip.track, record),
                       timeline=timeline, item_id=clip.item_id)
    except InvalidArgument as error:
        raise GatewayError.from_domain(error) from None
    except ValueError as error:  # ClipRef: record and source lengths disagree at equal rates
        raise GatewayError.invalid(f"{field}.record", str(error)) from None


def _range(value: engine_pb2.FrameRange, field: str) -> FrameRange:
    if value.start < 0:
        raise InvalidArgument(f"frames count from 0, got {value.start}", field=field)
    try:
        return FrameRange(value.start, value.end)
    except InvalidArgument as error:
        raise InvalidArgument(error.message, field=field) from None


def reserve_output(root: Path, clip: ClipRef, extension: str) -> Path:
    with VersionStore.open(root) as store:
        return store.output_path_for(clip, extension)


def release_output(root: Path, output: Path) -> None:
    """Gives back a name reserved for a submit the engine refused: bad input leaves nothing."""
    from ..versions import reservation_of

    reservation_of(output).unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        output.parent.rmdir()  # only when empty: the clip's folder if this submit made it


def record(root: Path, clip: ClipRef, job: engine_pb2.Job, engine_version: str) -> gateway_pb2.Version:
    """Records a finished job as the clip's next version; a second call returns the same one."""
    output = job.request.output_path
    with VersionStore.open(root) as store:
        existing = [v for v in store.list_versions() if v.output_path == output]
        if existing:
            return _proto(store, existing[0])
        params = {name: json_format.MessageToDict(value).popitem()[1] if value.WhichOneof("kind") else None
                  for name, value in job.request.params.items()}
        hashed = next((o.sha256 for o in job.result.outputs if o.path == output), "")
        version = store.record(NewVersion(clip=clip, op=job.request.op, output_path=output, params=params,
                                          seed=job.request.seed, engine_version=engine_version, job_id=job.id,
                                          output_sha256=hashed))
        return _proto(store, version)


def versions_of(root: Path, clip: ClipRef) -> gateway_pb2.VersionList:
    with VersionStore.open(root) as store:
        return gateway_pb2.VersionList(versions=[_proto(store, v) for v in store.versions_of(clip)])


def lineage(root: Path, version_id: int) -> gateway_pb2.Lineage:
    with VersionStore.open(root) as store:
        chain = [_get(store, version_id)]
        while chain[0].parent_id:
            chain.insert(0, store.get(chain[0].parent_id))
        return gateway_pb2.Lineage(chain=[_proto(store, v) for v in chain])


def add_placement(root: Path, version_id: int, placement: gateway_pb2.Placement) -> gateway_pb2.Version:
    if not placement.host:
        raise GatewayError.invalid("host", "required: which application the version was placed in")
    if placement.track < 1:
        raise GatewayError.invalid("track", f"video tracks count from 1 (V1), got {placement.track}")
    try:
        record_range = _range(placement.record, "record")
    except InvalidArgument as error:
        raise GatewayError.from_domain(error) from None
    with VersionStore.open(root) as store:
        _get(store, version_id)
        store.record_placement(version_id, host=placement.host, timeline=placement.timeline,
                               mode=placement.mode or "track", item_id=placement.item_id, track=placement.track,
                               record_start=record_range.start, record_end=record_range.end)
        return _proto(store, store.get(version_id))


def _get(store: VersionStore, version_id: int) -> Version:
    try:
        return store.get(version_id)
    except KeyError:
        raise GatewayError("NOT_FOUND", f"no version with id {version_id}", "version_id") from None


def _proto(store: VersionStore, v: Version) -> gateway_pb2.Version:
    out = gateway_pb2.Version(
        id=v.id, label=v.label, number=v.number, source_key=v.source_key, clip_name=v.clip_name,
        source_path=v.source_path, source_range=engine_pb2.FrameRange(start=v.source_start, end=v.source_end),
        source_rate=v.source_rate, op=v.op, seed=v.seed, model=v.model, engine_version=v.engine_version,
        output_path=v.output_path, output_sha256=v.output_sha256, output_frames=v.output_frames,
        output_start_timecode=v.output_start_timecode, handle_head=v.handle_head, parent_id=v.parent_id or 0,
        job_id=v.job_id, status=v.status)
    out.params.update(v.params)
    out.created_at.FromNanoseconds(int(v.created_at * 1e9))
    for p in store.placements(v.id):
        placed = out.placements.add(host=p["host"], timeline=p["timeline"], mode=p["mode"], item_id=p["item_id"],
                                    track=p["track"],
                                    record=engine_pb2.FrameRange(start=p["record_start"], end=p["record_end"]))
        placed.at.FromNanoseconds(int(p["at"] * 1e9))
    return out
