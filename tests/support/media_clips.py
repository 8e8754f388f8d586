"""The media tests' clips: one per container/codec default, covering the rates issue 2 names."""

from __future__ import annotations

# (file name, rate, frame size, start timecode, gop). DNxHR needs at least 256x120.
CLIPS = {
    "prores_23976.mov": ("24000/1001", (192, 108), "01:00:00:00", None),
    "h264_2997df.mp4": ("30000/1001", (192, 108), "00:59:59;28", 300),  # one long GOP
    "ffv1_25.mkv": ("25", (192, 108), "10:00:00:00", None),
    "dnxhr_60.mxf": ("60", (256, 144), "01:00:59:00", None),
    "h264_2997df.mkv": ("30000/1001", (192, 108), "01:00:59;29", 24),
}
FRAMES = 40
