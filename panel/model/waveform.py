"""The audio of a clip's frames as peaks, one per video frame (worker thread; PyAV).

A frame's peak is the loudest sample (absolute, all channels) whose time falls in that frame, so a
clap lands under the frame it is heard on. Sample times become frames with exact fractions (the
stream's time base times the video rate), never through floating seconds.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from retakes.engine.timecode import FrameRate


def frame_peaks(path: str | Path, rate: FrameRate, first: int, end: int) -> np.ndarray | None:
    """Peaks 0..1 for video frames [first, end); None when the media has no audio."""
    peaks = np.zeros(end - first, np.float32)
    with av.open(str(path)) as container:
        if not container.streams.audio:
            return None
        stream = container.streams.audio[0]
        video = container.streams.video[0] if container.streams.video else None
        # Frame 0 of the video is the media's first frame; audio before it (a pre-roll) is not on any frame.
        zero = Fraction(0)
        if video is not None and video.time_base:
            zero = Fraction(video.start_time or 0) * video.time_base
        fps = rate.value
        for frame in container.decode(stream):
            if frame.pts is None:
                continue
            samples = frame.to_ndarray()
            if samples.dtype.kind == "i":
                samples = samples.astype(np.float32) / float(np.iinfo(samples.dtype).max)
            elif samples.dtype.kind == "u":
                info = np.iinfo(samples.dtype)
                samples = (samples.astype(np.float32) - (info.max + 1) / 2) / ((info.max + 1) / 2)
            # planar (channels, n) or packed (1, n * channels): either way, the loudest of all channels
            n = frame.samples
            level = np.abs(samples.astype(np.float32)).reshape(-1, n).max(axis=0) if n else samples[:0]
            t0 = Fraction(frame.pts) * frame.time_base - zero
            start = int(np.floor(t0 * fps))  # the frame the first sample is heard on
            step = Fraction(1, frame.sample_rate) * fps  # frames per sample
            # frame of each sample: exact for the first, then sample k adds k * step
            index = start + np.floor((np.arange(n) * step.numerator) / step.denominator
                                     + float(t0 * fps - start)).astype(np.int64)
            keep = (index >= first) & (index < end)
            if keep.any():
                np.maximum.at(peaks, index[keep] - first, level[keep])
            if start >= end:
                break
    return np.clip(peaks, 0.0, 1.0)
