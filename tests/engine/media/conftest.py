"""Media made in code for the media tests (small frames, short clips: the folder runs in seconds)."""

from __future__ import annotations

from pathlib import Path

import pytest

from retakes.engine.media import synthetic

# (file name, rate, frame size, start timecode, gop): one per container/codec default,
# covering the rates issue 2 names. DNxHR needs at least 256x120.
CLIPS = {
    "prores_23976.mov": ("24000/1001", (192, 108), "01:00:00:00", None),
    "h264_2997df.mp4": ("30000/1001", (192, 108), "00:59:59;28", 300),  # one long GOP
    "ffv1_25.mkv": ("25", (192, 108), "10:00:00:00", None),
    "dnxhr_60.mxf": ("60", (256, 144), "01:00:59:00", None),
    "h264_2997df.mkv": ("30000/1001", (192, 108), "01:00:59;29", 24),
}
FRAMES = 40


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
