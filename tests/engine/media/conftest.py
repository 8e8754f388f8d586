"""Media made in code for the media tests (small frames, short clips: the folder runs in seconds)."""

from __future__ import annotations

from pathlib import Path

import pytest

from retakes.engine.media import synthetic
from tests.support.media_clips import CLIPS, FRAMES


@pytest.fixture(scope="session")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("clips")
    out = {}
    for name, (rate, size, tc, gop) in CLIPS.items():
        codec = "h264" if name.endswith(".mkv") and name.startswith("h264") else None
        out[name] = synthetic.write_index_clip(
            root / name, frames=FRAMES, rate=rate, size=size, start_timecode=tc, gop=gop, codec=codec
        )
    out["sequence"] = synthetic.write_index_sequence(root / "seq", frames=FRAMES, first_number=998)
    return out
