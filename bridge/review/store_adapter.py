"""`VersionStoreLike` over issue 4's `retakes.bridge.versions.VersionStore`.

Mapping: a review "clip" is the store's `source_key` (all versions of one source range); a
review version id is the store's integer id as a string. The media review shows is the
version's output, which covers the source range plus rendered handles; its timecode is the
output's own (`output_start_timecode`). The original for compare is the same media frames of
the source file, starting `handle_head` frames before the range.

The store is "one connection, one thread"; the review server answers on several threads, so
each call opens the store briefly (SQLite opens are cheap) instead of sharing a connection.
"""

from __future__ import annotations

import json
from pathlib import Path

from retakes.bridge.versions import Version, VersionStore
from retakes.engine.timecode import FrameRate

from .versions import OriginalMedia, ReviewVersion


class StoreAdapter:
    def __init__(self, db_path: Path | str) -> None:
        self.db_path = Path(db_path)

    def _open(self) -> VersionStore:
        return VersionStore(self.db_path)

    def _review(self, store: VersionStore, v: Version) -> ReviewVersion:
        parent = store.get(v.parent_id).label if v.parent_id else "original"
        params = " ".join(f"--{k} {val}" for k, val in sorted(v.params.items())) if v.params else ""
        links = store.review_links(v.id)
        placements = store.placements(v.id)
        return ReviewVersion(
            id=str(v.id),
            clip_id=v.source_key,
            number=v.number,
            media_path=Path(v.output_path),
            rate=FrameRate.parse(v.source_rate),
            frame_count=v.output_frames,
            start_timecode=v.output_start_timecode or None,
            status=v.status,
            lineage=f"{v.label} <- {parent}: {v.op} {params}".strip()
            + (
                f"\nsource {v.source_path} [{v.source_start}:{v.source_end}) seed {v.seed}"
                if v.source_path
                else ""
            )
            + (f"\nparams {json.dumps(v.params, sort_keys=True)}" if v.params else ""),
            review_link=links[-1].url if links else None,
            item_id=placements[-1]["item_id"] if placements else "",
        )

    def versions(self, clip_id: str) -> list[ReviewVersion]:
        store = self._open()
        try:
            return [self._review(store, v) for v in store.list_versions(source_key=clip_id)]
        finally:
            store.close()

    def version(self, version_id: str) -> ReviewVersion | None:
        store = self._open()
        try:
            return self._review(store, store.get(int(version_id)))
        except (KeyError, ValueError):
            return None
        finally:
            store.close()

    def original(self, clip_id: str) -> OriginalMedia | None:
        store = self._open()
        try:
            versions = store.list_versions(source_key=clip_id)
        finally:
            store.close()
        if not versions:
            return None
        v = versions[0]
        return OriginalMedia(
            clip_id,
            Path(v.source_path),
            FrameRate.parse(v.source_rate),
            v.output_frames,
            v.source_start - v.handle_head,
            v.output_start_timecode or None,
        )

    def set_status(self, version_id: str, status: str) -> None:
        store = self._open()
        try:
            store.set_status(int(version_id), status, actor="retakes review")
        finally:
            store.close()

    def set_review_link(self, version_id: str, url: str, service: str = "frameio") -> None:
        store = self._open()
        try:
            store.add_review_link(int(version_id), url, service=service)
        finally:
            store.close()
