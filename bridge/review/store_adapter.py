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

from pathlib import Path

from retakes.bridge.versions import Version, VersionStore, describe_edit, describe_source
from retakes.engine.timecode import FrameRate

from .versions import OriginalMedia, ReviewVersion


class StoreAdapter:
    def __init__(self, db_path: Path | str) -> None:
        self.db_path = Path(db_path)

    def _open(self) -> VersionStore:
        return VersionStore(self.db_path)

    def _review(self, store: VersionStore, v: Version) -> ReviewVersion:
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
            lineage=lineage(store, v),
            review_link=links[-1].url if links else None,
            item_id=placements[-1]["item_id"] if placements else "",
            clip_name=v.clip_name,
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

    def set_review_link(self, version_id: str, url: str, service: str = "frameio", note: str = "") -> None:
        store = self._open()
        try:
            store.add_review_link(int(version_id), url, service=service, note=note)
        finally:
            store.close()


def lineage(store: VersionStore, version: Version) -> str:
    """One line per step back to the original, newest first, then where the original came from:

        v003 <- v002: relight --look day-to-night
        v002 <- v001: recolor --hue 30 --mask car.png
        v001 <- original: remove --mask pole.png
        from A001_C002.mov, frames 10:58 (10:00:00:10-10:00:00:58) at 23.976 fps, seed 0

    Readable options, file names rather than paths (the review page shows this to reviewers).
    """
    lines, v = [], version
    for _ in range(1000):  # parents are earlier rows, so the chain ends; the bound is for a damaged file
        parent = store.get(v.parent_id) if v.parent_id else None
        lines.append(describe_edit(v, parent))
        if parent is None:
            break
        v = parent
    return "\n".join([*lines, describe_source(v)])
