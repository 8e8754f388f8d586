"""What a piece of media is: size, exact rate, frame count, timecode, colour, audio.

`probe` is the one place that opens a source to describe it, so every later step (decode,
audio, encode, masks) works from the same `MediaInfo` and never guesses again. It refuses
media it cannot serve frame-exactly (truncated files, a frame rate too variable to number
frames in order: see `timing`) up front, with an error naming the request field, instead
of letting a job drift half-way through.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Literal

import av
import av.error

from ..errors import CorruptMedia, InvalidArgument, MediaUnreadable
from ..timecode import FrameRate, Timebase
from . import sequence
from .paths import check_input_path, file_version
from .timing import FrameTiming, frame_timing

# FFmpeg's enum values -> names (libavutil/pixfmt.h), for the tags we read and write.
PRIMARIES = {
    1: "bt709",
    4: "bt470m",
    5: "bt470bg",
    6: "smpte170m",
    7: "smpte240m",
    9: "bt2020",
    11: "smpte431",
    12: "smpte432",
}
TRANSFERS = {
    1: "bt709",
    4: "gamma22",
    5: "gamma28",
    6: "smpte170m",
    7: "smpte240m",
    8: "linear",
    13: "iec61966-2-1",
    14: "bt2020-10",
    15: "bt2020-12",
    16: "smpte2084",
    18: "arib-std-b67",
}
MATRICES = {
    0: "gbr",
    1: "bt709",
    4: "fcc",
    5: "bt470bg",
    6: "smpte170m",
    7: "smpte240m",
    9: "bt2020nc",
    10: "bt2020c",
}
RANGES = {1: "tv", 2: "pc"}
#: seconds FFmpeg may wait for the source to open, or for any one read while probing
PROBE_TIMEOUT_S = 30.0
#: AVFieldOrder, by the names ffprobe prints
FIELD_ORDERS = {1: "progressive", 2: "tt", 3: "bb", 4: "tb", 5: "bt"}


@dataclass(frozen=True)
class ColorTags:
    """Colour tags by their FFmpeg names; None where the media does not say."""

    primaries: str | None = None
    transfer: str | None = None
    matrix: str | None = None
    range: str | None = None


@dataclass(frozen=True)
class AudioInfo:
    sample_rate: int
    channels: int
    layout: str
    codec: str
    sample_format: str
    #: which of the container's audio streams (cameras record several, often one per microphone)
    track: int = 0


@dataclass(frozen=True)
class MediaInfo:
    path: Path
    kind: Literal["video", "sequence"]
    width: int
    height: int
    rate: FrameRate
    frame_count: int
    timebase: Timebase
    pixel_format: str
    bit_depth: int
    codec: str
    color: ColorTags
    #: the first audio track (None: no audio); `audio_tracks` has every one
    audio: AudioInfo | None
    container: str
    #: Video only: the stream's time base and the pts of frame 0, so that decode and audio
    #: place every frame and sample on the same grid the probe checked.
    time_base: Fraction = Fraction(0)
    start_pts: int = 0
    #: Video numbered in order (a phone's clip, off its rate's grid; see `timing`): every
    #: frame's pts, in presentation order. None: frame n is n frame-durations after frame 0.
    frame_pts: tuple[int, ...] | None = field(default=None, repr=False, compare=False)
    #: Video only: quarter turns counterclockwise that show the coded frames upright (the
    #: stream's display matrix, as players apply it). Decoded frames come upright, and
    #: `width` and `height` are the upright size: what the editor sees, masks included.
    quarter_turns: int = 0
    #: Every audio track the video file has, in the container's order; outputs keep them all.
    audio_tracks: tuple[AudioInfo, ...] = ()
    #: How the frames' two fields are ordered in time, by FFmpeg's names: "tt" and "tb" (top
    #: field first), "bb" and "bt" (bottom first) for interlaced video (1080i broadcast), else
    #: "progressive", or None where the media does not say. Outputs are tagged the same.
    field_order: str | None = None
    #: The shape of a pixel, its width over its height (anamorphic HDV's 1440x1080 is 4/3):
    #: outputs carry it, so they show at the source's display aspect.
    sample_aspect_ratio: Fraction = Fraction(1)

    @property
    def coded_height(self) -> int:
        """The height of the frames as stored, before they are turned upright."""
        return self.width if self.quarter_turns % 2 else self.height
    #: The pictures carry an alpha channel (ProRes 4444, PNG or TIFF with transparency).
    #: Outputs whose codec can hold one (prores_4444, ffv1, png) keep it as it is.
    alpha: bool = False
    #: Sequence only: the frame files in frame order.
    files: tuple[Path, ...] = field(default=(), repr=False)

    @property
    def start_timecode(self) -> str:
        return self.timebase.timecode_of(0)

    @property
    def start_seconds(self) -> Fraction:
        """Presentation time of frame 0 (audio samples are placed relative to it)."""
        return self.start_pts * self.time_base


def check_readable(path: Path, *, field: str = "source") -> Path:
    """Raises MediaNotFound / MediaUnreadable for a path that is missing or not readable, and
    InvalidArgument for one that is no file or folder (a FIFO would block the reader for good)."""
    path = check_input_path(path, field=field)
    want = os.R_OK | (os.X_OK if path.is_dir() else 0)
    if not os.access(path, want):
        raise MediaUnreadable(f"{path} exists but cannot be read (check its permissions)", field=field)
    return path


def open_container(path: Path, *, field: str = "source", timeout: float | None = None) -> av.container.InputContainer:
    """av.open with the engine's errors: a file FFmpeg cannot parse is CorruptMedia. With
    `timeout`, opening and each later read may wait that many seconds for data, no longer."""
    try:
        return av.open(str(path), "r", timeout=timeout)
    except PermissionError:
        raise MediaUnreadable(f"{path} cannot be read (check its permissions)", field=field) from None
    except av.error.ExitError:  # FFmpeg's interrupt callback: the timeout passed
        raise MediaUnreadable(f"{path} gave no data for {timeout:g} s; is its disk or share reachable?",
                              field=field) from None
    except (av.error.FFmpegError, OSError, UnicodeDecodeError) as exc:
        raise CorruptMedia(
            f"{path.name} is not media that can be decoded ({_reason(exc)})", field=field
        ) from None


def _reason(exc: BaseException) -> str:
    text = getattr(exc, "strerror", None) or str(exc)
    return text.strip().rstrip(".").splitlines()[0] if text else type(exc).__name__


def probe(
    path: str | os.PathLike[str],
    *,
    sequence_rate: FrameRate | None = None,
    sequence_start_timecode: str | None = None,
    field: str = "source",
) -> MediaInfo:
    """Describes a video file or an image-sequence directory, or raises naming `field`.

    Sequences have no rate or timecode of their own, so the caller says them
    (default 24 fps from 00:00:00:00).
    """
    p = check_readable(Path(path), field=field)
    if p.is_dir():
        return _probe_sequence(p, sequence_rate or FrameRate(Fraction(24)), sequence_start_timecode, field)
    return _probe_video_file(p.resolve(), file_version(p), field)


@functools.lru_cache(maxsize=128)
def _probe_video_file(path: Path, version: tuple[int, int], field: str) -> MediaInfo:
    """Probing proves the frame count by decoding the last GOP: worth doing once per file
    version, not on every preview of a scrubbing panel. Keyed by size and mtime, so a
    replaced file is probed again; failures are not cached."""
    with open_container(path, field=field, timeout=PROBE_TIMEOUT_S) as container:
        return _probe_video(path, container, field)


def _probe_sequence(path: Path, rate: FrameRate, start_tc: str | None, field: str) -> MediaInfo:
    files = sequence.list_frames(path, field=field)
    image = sequence.read_image(files[0], field=field)
    first = sequence.as_rgb(image, files[0].name, field=field)
    depth = 8 if first.dtype.itemsize == 1 else 16
    return MediaInfo(
        path=path,
        kind="sequence",
        width=first.shape[1],
        height=first.shape[0],
        rate=rate,
        frame_count=len(files),
        timebase=Timebase.from_start_timecode(rate, start_tc),
        pixel_format="rgb24" if depth == 8 else "rgb48le",
        bit_depth=depth,
        codec=files[0].suffix.lower().lstrip("."),
        color=ColorTags(range="pc"),
        audio=None,
        container="image-sequence",
        files=tuple(files),
        alpha=sequence.has_alpha(image),
    )


def _probe_video(path: Path, container: av.container.InputContainer, field: str) -> MediaInfo:
    if not container.streams.video:
        raise CorruptMedia(f"{path.name} has no video stream", field=field)
    stream = container.streams.video[0]
    ctx = stream.codec_context
    avg, base = stream.average_rate, stream.base_rate
    if not avg or not base:
        raise CorruptMedia(f"{path.name} does not state a frame rate", field=field)
    timing = FrameTiming(FrameRate(Fraction(avg)))
    if avg != base:  # a phone's jitter, a dropped frame, or only an odd last duration
        pts = _packet_pts(path, field)
        timing = frame_timing(pts, Fraction(stream.time_base), Fraction(base), name=path.name, field=field)
    rate = timing.rate
    if ctx.format is None or not ctx.width:
        raise CorruptMedia(f"{path.name}: the video stream cannot be decoded", field=field)
    pix = ctx.format.name
    tc = _start_timecode(container)
    try:
        timebase = Timebase.from_start_timecode(rate, tc)
    except InvalidArgument:
        timebase = Timebase(rate)  # a tag we cannot read at this rate is not worth refusing the media
    audio = _audio_tracks(container)
    info = MediaInfo(
        path=path,
        kind="video",
        width=ctx.width,
        height=ctx.height,
        rate=rate,
        frame_count=0,
        timebase=timebase,
        pixel_format=pix,
        bit_depth=max(c.bits for c in av.VideoFormat(pix).components),
        alpha=any(c.is_alpha for c in av.VideoFormat(pix).components),
        codec=ctx.name,
        color=_color_tags(ctx),
        audio=audio[0] if audio else None,
        audio_tracks=audio,
        field_order=FIELD_ORDERS.get(int(ctx.field_order)),
        container=container.format.name,
        time_base=Fraction(stream.time_base),
        start_pts=0,
        frame_pts=timing.frame_pts,
    )
    # Frame 0's pts and the frame count come from decoding, not from headers: headers of
    # truncated or oddly muxed files lie, and every later step depends on these two numbers.
    from .decode import scan_extent  # decode imports this module

    start_pts, frame_pts, count, rotation = scan_extent(info, container, field=field)
    turns = quarter_turns(rotation, path, field)
    sar = Fraction(stream.sample_aspect_ratio or 1) or Fraction(1)  # 0/1 and None: unknown, square
    if turns % 2:  # a pixel on its side
        info = _replace(info, width=info.height, height=info.width)
        sar = 1 / sar
    return _replace(
        info, start_pts=start_pts, frame_pts=frame_pts, frame_count=count, quarter_turns=turns, sample_aspect_ratio=sar
    )


def _packet_pts(path: Path, field: str) -> list[int]:
    """The timestamps of every picture the video stream holds, read by demuxing alone."""
    with open_container(path, field=field, timeout=PROBE_TIMEOUT_S) as container:
        stream = container.streams.video[0]
        pts = []
        try:
            for packet in container.demux(stream):
                if not packet.size or packet.is_discard:  # the flush packet; an edit list's pre-roll
                    continue
                if packet.pts is None:
                    raise CorruptMedia(f"{path.name} has a frame without a timestamp", field=field)
                pts.append(packet.pts)
        except av.error.FFmpegError as exc:
            raise CorruptMedia(f"{path.name} is damaged and cannot be read ({exc})", field=field) from None
    return pts


def quarter_turns(rotation: float, path: Path, field: str) -> int:
    """A display matrix's rotation (degrees counterclockwise) as quarter turns, 0 to 3."""
    turns = round(rotation / 90)
    if abs(rotation - 90 * turns) > 0.5:
        raise InvalidArgument(
            f"{path.name} is to be shown rotated by {rotation:g} degrees, not a multiple of 90; "
            "export it upright before editing",
            field=field,
        )
    return turns % 4


def _replace(info: MediaInfo, **changes: object) -> MediaInfo:
    from dataclasses import replace

    return replace(info, **changes)


def _start_timecode(container: av.container.InputContainer) -> str | None:
    # mov/mp4 expose the tmcd track's value as a 'timecode' tag on the video and data
    # streams; mxf and mkv carry it as a stream or container tag ('TIMECODE' in mkv).
    tagged = [s.metadata for s in container.streams.video] + [s.metadata for s in container.streams]
    for tags in [*tagged, container.metadata]:
        for key, value in tags.items():
            if key.lower() == "timecode" and value:
                return value.strip()
    return None


def _color_tags(ctx: av.video.codeccontext.VideoCodecContext) -> ColorTags:
    return ColorTags(
        primaries=PRIMARIES.get(int(ctx.color_primaries)),
        transfer=TRANSFERS.get(int(ctx.color_trc)),
        matrix=MATRICES.get(int(ctx.colorspace)) if int(ctx.colorspace) != 2 else None,
        range=RANGES.get(int(ctx.color_range)),
    )


def _audio_tracks(container: av.container.InputContainer) -> tuple[AudioInfo, ...]:
    """Every audio stream that can be decoded (one that states no rate or format cannot)."""
    tracks = []
    for n, stream in enumerate(container.streams.audio):
        ctx = stream.codec_context
        if not ctx.sample_rate or ctx.format is None:
            continue
        layout = ctx.layout
        tracks.append(
            AudioInfo(
                sample_rate=ctx.sample_rate,
                channels=layout.nb_channels,
                layout=layout.name,
                codec=ctx.name,
                sample_format=ctx.format.name,
                track=n,
            )
        )
    return tuple(tracks)
