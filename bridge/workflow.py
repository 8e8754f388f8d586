"""Pipeline policy: which version is the latest, what gets recorded where, in what order.

The host wrappers (`resolve/`) and the OTIO conversion (`timeline/`) know nothing of the
version store; this module joins them. Order matters: a version is recorded in the store
before it is placed, so a failed placement leaves a draft the editor can place again, never a
clip on the timeline that the store does not know.
"""

from __future__ import annotations

from .clipref import ClipRef, VersionMedia
from .resolve.api import Resolve, current_timeline
from .resolve.place import Placed, place_version
from .versions import NewVersion, Version, VersionStore


def media_of(version: Version) -> VersionMedia:
    return VersionMedia(label=version.label, path=version.output_path, version_id=version.id,
                        offset=version.handle_head, frames=version.output_frames,
                        metadata={"op": version.op, "seed": version.seed, "source_key": version.source_key,
                                  "parent_id": version.parent_id})


def earlier_items(store: VersionStore, version: Version) -> tuple[str, ...]:
    """Timeline items of the other versions of the same clip, placed as tracks (to mark outdated)."""
    others = [v for v in store.list_versions(source_key=version.source_key) if v.id != version.id]
    return tuple(p["item_id"] for v in others for p in store.placements(v.id) if p["mode"] == "track")


def place_recorded(resolve: Resolve, store: VersionStore, clip: ClipRef, version: Version,
                   *, mode: str = "track") -> Placed:
    """Places a recorded version in the open timeline and records where it went."""
    _project, timeline = current_timeline(resolve)
    placed = place_version(resolve, clip, media_of(version), mode=mode,
                           outdated_item_ids=earlier_items(store, version))
    store.record_placement(version.id, host="resolve", timeline=timeline.GetName(), mode=placed.mode,
                           item_id=placed.item_id, track=placed.track, record_start=placed.record.start,
                           record_end=placed.record.end)
    return placed


def record_and_place(resolve: Resolve, store: VersionStore, new: NewVersion, *,
                     mode: str = "track") -> Placed:
    version = store.record(new)
    return place_recorded(resolve, store, new.clip, version, mode=mode)
