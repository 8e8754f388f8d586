"""The audio under a frame range, sample-exact.

Frame f starts at sample `floor(f * sample_rate / rate)` (exact Fractions, measured from
the presentation time of video frame 0). The range [A, B) therefore owns samples
[floor(A*sr/rate), floor(B*sr/rate)): consecutive ranges tile the track with no gap or
overlap, and a range's count is the same wherever it is cut. At 48 kHz and 24000/1001
fps a frame is 2002 samples exactly; at 30000/1001 the counts alternate 1601/1602.

A clip the probe numbered in order (a phone's, see `timing`) is cut at its frames' real
presentation times instead (`samples_under`).

Where the track is shorter than the video, or starts after it, the missing samples are
silence, so the count is always exact. (Where the container's clock is coarser than a
sample, as in Matroska, the track is read from its start: see `_decoded_samples`.)
Samples keep the source's type (int16, int32,
float32...), planar, as (channels, samples).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction

import av
import av.error
import numpy as np

from ..errors import CorruptMedia, InvalidArgument
from ..timecode import FrameRange, FrameRate
from .probe import AudioInfo, MediaInfo, open_container

_DTYPES = {
    "u8": np.uint8,
    "s16": np.int16,
    "s32": np.int32,
    "flt": np.float32,
    "dbl": np.float64,
    "s64": np.int64,
}


@dataclass(frozen=True)
class AudioFormat:
    sample_rate: int
    channels: int
    layout: str
    #: FFmpeg's planar sample format name of the arrays ("s16p", "s32p", "fltp", ...).
    sample_format: str

    @property
    def dtype(self) -> np.dtype:
        return np.dtype(_DTYPES[self.sample_format.rstrip("p")])


@dataclass(frozen=True)
class AudioClip:
    samples: np.ndarray  # (channels, n)
    format: AudioFormat


def sample_of(frame: int, rate: FrameRate, sample_rate: int) -> int:
    """The first sample of video frame `frame` (floor rule, see the module docstring)."""
    return math.floor(Fraction(frame) * sample_rate / rate.value)


def sample_span(frames: FrameRange, rate: FrameRate, sample_rate: int) -> tuple[int, int]:
    return sample_of(frames.start, rate, sample_rate), sample_of(frames.end, rate, sample_rate)


def samples_under(info: MediaInfo, frames: FrameRange, sample_rate: int) -> tuple[int, int]:
    """The samples [first, end) under `frames` of `info`'s video.

    On the rate's grid that is `sample_span`. A clip numbered in order (`MediaInfo.frame_pts`)
    has its sound cut where its pictures really are, at each end frame's presentation time,
    so a range starts in sync whatever drift the frames before it gathered.
    """
    if info.frame_pts is None:
        return sample_span(frames, info.rate, sample_rate)
    return _sample_at(info, frames.start, sample_rate), _sample_at(info, frames.end, sample_rate)


def _sample_at(info: MediaInfo, index: int, sample_rate: int) -> int:
    stamps = info.frame_pts
    assert stamps is not None
    last = len(stamps) - 1
    seconds = (stamps[min(index, last)] - info.start_pts) * info.time_base
    seconds += Fraction(max(0, index - last), 1) / info.rate.value  # the end of the last frame
    return math.floor(seconds * sample_rate)


def audio_track(info: MediaInfo, track: int = 0, *, field: str = "source") -> AudioInfo:
    """The media's `track`-th audio track (0: the first)."""
    tracks = info.audio_tracks or ((info.audio,) if info.audio is not None else ())
    if not tracks:
        raise InvalidArgument(f"{info.path.name} has no audio", field=field)
    if not 0 <= track < len(tracks):
        raise InvalidArgument(f"{info.path.name} has {len(tracks)} audio tracks, not {track + 1}", field=field)
    return tracks[track]


def audio_format(info: MediaInfo, *, track: int = 0, field: str = "source") -> AudioFormat:
    audio = audio_track(info, track, field=field)
    planar = audio.sample_format.rstrip("p") + "p"
    return AudioFormat(audio.sample_rate, audio.channels, audio.layout, planar)


def read_audio(info: MediaInfo, frames: FrameRange, *, track: int = 0, field: str = "source") -> AudioClip:
    """The range's audio of one track in one array; use `iter_audio` for long ranges."""
    fmt = audio_format(info, track=track, field=field)
    blocks = list(iter_audio(info, frames, track=track, field=field))
    samples = np.concatenate(blocks, axis=1) if blocks else np.zeros((fmt.channels, 0), fmt.dtype)
    return AudioClip(samples, fmt)


def iter_audio(
    info: MediaInfo, frames: FrameRange, *, track: int = 0, block: int = 48000, field: str = "source"
) -> Iterator[np.ndarray]:
    """Yields (channels, n) blocks of at most `block` samples, exactly the range's samples of
    audio track `track`."""
    fmt = audio_format(info, track=track, field=field)
    first, end = samples_under(info, frames, fmt.sample_rate)
    position = first  # next sample to deliver
    pending: list[np.ndarray] = []
    pending_n = 0

    def take(chunk: np.ndarray) -> Iterator[np.ndarray]:
        nonlocal pending_n
        pending.append(chunk)
        pending_n += chunk.shape[1]
        while pending_n >= block:
            joined = np.concatenate(pending, axis=1)
            yield joined[:, :block]
            rest = joined[:, block:]
            pending[:] = [rest] if rest.shape[1] else []
            pending_n = rest.shape[1]

    for start, data in _decoded_samples(info, fmt, first, field, audio_track(info, track).track):
        if start + data.shape[1] <= position:
            continue
        if start > position:  # a gap in the track: fill with silence
            yield from take(np.zeros((fmt.channels, min(start, end) - position), fmt.dtype))
            position = min(start, end)
        if position >= end:
            break
        piece = data[:, position - start : end - start]
        yield from take(piece)
        position += piece.shape[1]
        if position >= end:
            break
    if position < end:
        yield from take(np.zeros((fmt.channels, end - position), fmt.dtype))
    if pending_n:
        yield np.concatenate(pending, axis=1)


def _decoded_samples(
    info: MediaInfo, fmt: AudioFormat, first: int, field: str, stream_index: int = 0
) -> Iterator[tuple[int, np.ndarray]]:
    """(sample position relative to video frame 0, planar samples) for each decoded frame.

    A frame's position is where the previous one ended unless its pts says otherwise by
    more than one tick of the container's clock. Matroska stores milliseconds (48
    samples at 48 kHz), so its pts cannot place a sample exactly: for such coarse clocks
    the track is read from its start and positions are counted, instead of seeking.
    """
    with open_container(info.path, field=field) as container:
        stream = container.streams.audio[stream_index]
        tb = Fraction(stream.time_base)
        tick = tb * fmt.sample_rate  # samples per clock tick
        if tick <= 1:
            seconds = info.start_seconds + Fraction(max(0, first - fmt.sample_rate // 10), fmt.sample_rate)
            container.seek(math.floor(seconds / tb), stream=stream, backward=True)
        expected: int | None = None
        try:
            for packet in container.demux(stream):
                for frame in packet.decode():
                    if frame.pts is None:
                        raise CorruptMedia(f"{info.path.name} has audio without timestamps", field=field)
                    start = round((frame.pts * tb - info.start_seconds) * fmt.sample_rate)
                    if expected is not None and abs(start - expected) <= max(1, math.ceil(tick)):
                        start = expected
                    data = _planar(frame, fmt)
                    yield start, data
                    expected = start + data.shape[1]
        except av.error.FFmpegError as exc:
            raise CorruptMedia(f"{info.path.name}: the audio is damaged ({exc})", field=field) from None


def _planar(frame: av.AudioFrame, fmt: AudioFormat) -> np.ndarray:
    data = frame.to_ndarray()
    if not frame.format.is_planar:
        data = data.reshape(-1, fmt.channels).T
    return np.ascontiguousarray(data.astype(fmt.dtype, copy=False))
