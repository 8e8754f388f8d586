"""A real version store holding a shot's versions, for review tests."""

from __future__ import annotations

from pathlib import Path

from retakes.bridge.clipref import ClipRef, Placement, TimelineInfo
from retakes.bridge.versions import NewVersion, Version, VersionStore
from retakes.engine.timecode import FrameRange, FrameRate, Timebase


def placed_clip(name: str, media: str, rate: FrameRate, record_start: int, source_start: int, *,
                drop_frame: bool = False) -> ClipRef:
    """A 30-frame clip placed on V1 at `record_start`, its media starting at `source_start`."""
    return ClipRef(
        name=name,
        media_path=media,
        source_rate=rate,
        source_range=FrameRange(0, 30),
        placement=Placement(1, FrameRange(record_start, record_start + 30)),
        timeline=TimelineInfo("edit", rate, record_start, drop_frame=drop_frame),
        source_timebase=Timebase(rate, source_start, drop_frame=drop_frame),
        item_id="item-orig",
    )


def copies(files: list[Path], folder: Path) -> list[Path]:
    """Each test's own copy of the shared clips: notes' marker files are written beside the media."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for f in files:
        (folder / f.name).write_bytes(f.read_bytes())
        out.append(folder / f.name)
    return out


def record_versions(db: Path, clip: ClipRef, outputs: list[Path], params: list[dict], op: str = "recolor",
                    *, placed: bool = True) -> list[Version]:
    """Records one version per output (v001, v002, ...), each placed on its own track when `placed`."""
    with VersionStore(db) as store:
        versions = []
        for i, (out, p) in enumerate(zip(outputs, params, strict=True), start=1):
            versions.append(store.record(NewVersion(clip, op, str(out), p)))
            if placed:
                store.record_placement(versions[-1].id, host="resolve", timeline="edit", mode="track",
                                       item_id=f"item-v{i}", track=i + 1, record_start=clip.placement.record.start,
                                       record_end=clip.placement.record.end)
    return versions
