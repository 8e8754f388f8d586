"""A version store of n made-up versions of one clip, for the review tests."""

from __future__ import annotations

from pathlib import Path

from retakes.bridge.review.versions import MemoryVersions, ReviewVersion
from retakes.engine.timecode import FrameRate


def make_versions(
    tmp_path: Path,
    n: int = 3,
    *,
    size: int = 10_000,
    rate: str = "24",
    start_tc: str | None = None,
    frames: int = 48,
) -> MemoryVersions:
    store = MemoryVersions()
    for i in range(1, n + 1):
        media = tmp_path / f"shot_v{i:03d}.mov"
        media.write_bytes(bytes((i * 7 + j) % 251 for j in range(size)))
        store.add(
            ReviewVersion(
                id=f"ver-{i}",
                clip_id="shot010",
                number=i,
                media_path=media,
                rate=FrameRate.parse(rate),
                frame_count=frames,
                start_timecode=start_tc,
                lineage=f"v{i:03d} <- {'original' if i == 1 else f'v{i - 1:03d}'}: recolor --hue {30 * i}",
                item_id=f"item-v{i}",
            )
        )
    return store
