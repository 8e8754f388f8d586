"""Frame-exact decoding of `[A, B)` from video files and image sequences.

Seeking in FFmpeg is inexact: it lands on some keyframe at or before the target, and
some demuxers land after it. So this module never counts frames from where a seek
landed. Every decoded frame is identified by its presentation timestamp on the
media's constant-rate grid (`index = (pts - pts_of_frame_0) * time_base * rate`), or,
for a clip the probe numbered in order (`MediaInfo.frame_pts`), by its place in that
list; frames before A are dropped, and decoding stops after B - 1. A pts that falls off
the grid means variable frame rate (InvalidArgument); a hole in the sequence means a
damaged or truncated file (CorruptMedia). Neither is ever papered over.

Colour: YUV is converted to RGB with the source's own matrix and range tags. Untagged
media uses BT.709 when it is HD-sized (height >= 720) and BT.601 otherwise, and limited
("tv") range unless the pixel format is a full-range yuvj one; that is what players and
Resolve assume for untagged files. Sources of 8 bits or less decode to uint8 RGB,
deeper ones to uint16 RGB (rgb48le), full scale.

Where: `decode="gpu"` asks FFmpeg's hardware acceleration (PyAV's HWAccel, NVDEC on NVIDIA)
to decode; the frames come back to memory and go through the same colour conversion, so the
pixels are the software decoder's. Where the machine has no such decoder, or the codec has
none (ProRes, DNxHR), the reader falls back to the software decoder and logs it once per
file. It is opt-in (`--decode gpu`): on the H200 measured, NVDEC with the copy back was
slower than FFmpeg's frame-threaded software decoder on 16 cores (docs/BENCHMARKS.md), so
"auto" means the CPU.
"""

from __future__ import annotations

import bisect
import logging
import math
from collections.abc import Iterator
from fractions import Fraction

import av
import av.error
import numpy as np
from av.video.reformatter import Interpolation

from ..errors import CorruptMedia, InvalidArgument
from ..timecode import FrameRange
from . import sequence
from .probe import MediaInfo, open_container
from .timing import grid_tolerance

# ffmpeg matrix name -> swscale colourspace name.
_SWS_MATRIX = {
    "bt709": "ITU709",
    "bt470bg": "ITU601",
    "smpte170m": "ITU601",
    "fcc": "FCC",
    "smpte240m": "SMPTE240M",
    "bt2020nc": "BT2020",
    "bt2020c": "BT2020",
}
# Exact, reproducible conversion: no dithering differences between CPUs.
_SWS_FLAGS = Interpolation.BILINEAR | Interpolation.ACCURATE_RND | Interpolation.BITEXACT
# How far ahead a read may be served by decoding forward instead of seeking.
_FORWARD_WINDOW = 64
#: what `decode` may ask for; "auto" is the CPU until the GPU decoder measures faster
DECODE_CHOICES = ("cpu", "gpu", "auto")

log = logging.getLogger(__name__)


def decode_where(requested: str, *, field: str = "decode") -> str:
    """"cpu" or "gpu" for a request's `decode` ("" and "auto": cpu); else InvalidArgument."""
    wanted = (requested or "cpu").strip().lower()
    if wanted not in DECODE_CHOICES:
        raise InvalidArgument(f"decode must be one of {', '.join(DECODE_CHOICES)}, got {requested!r}", field=field)
    return "gpu" if wanted == "gpu" else "cpu"


def open_decoding(path, *, field: str = "source", decode: str = "cpu") -> av.container.InputContainer:
    """The container to decode from: with decode="gpu" through the GPU's hardware decoder where
    there is one, else (and logged) FFmpeg's software decoder."""
    if decode == "gpu":
        from av.codec.hwaccel import HWAccel

        try:
            container = av.open(str(path), "r", hwaccel=HWAccel(device_type="cuda", allow_software_fallback=True))
        except (av.error.FFmpegError, OSError) as exc:  # no device, no driver: EPERM, ENODEV, ...
            log.info("decode: no GPU decoder for %s (%s); decoding on the CPU", path.name, exc)
        else:
            stream = container.streams.video[0] if container.streams.video else None
            if stream is not None and stream.codec_context.is_hwaccel:
                return container
            codec = stream.codec_context.name if stream is not None else "no video"
            log.info("decode: the GPU has no decoder for %s (%s); decoding on the CPU", path.name, codec)
            container.close()
    return open_container(path, field=field)


def rgb_format(bit_depth: int) -> str:
    return "rgb24" if bit_depth <= 8 else "rgb48le"


def is_rgb_pixel_format(pix_fmt: str) -> bool:
    return pix_fmt.startswith(("gbr", "rgb", "bgr", "argb", "abgr", "0rgb", "0bgr", "gray", "ya", "pal8"))


def yuv_matrix(matrix: str | None, height: int) -> str:
    """The swscale matrix for a tag, with the HD/SD default for untagged media."""
    if matrix in _SWS_MATRIX:
        return _SWS_MATRIX[matrix]
    return "ITU709" if height >= 720 else "ITU601"


def yuv_range(color_range: str | None, pix_fmt: str) -> str:
    if color_range == "pc" or (color_range is None and pix_fmt.startswith("yuvj")):
        return "JPEG"
    return "MPEG"


def to_rgb(frame: av.VideoFrame, info: MediaInfo, *, alpha: bool = False) -> np.ndarray:
    """A decoded frame as RGB (H, W, 3), uint8 or uint16 by the source's bit depth, upright;
    with `alpha`, RGBA (H, W, 4)."""
    fmt = rgb_format(info.bit_depth)
    if alpha:
        fmt = "rgba" if fmt == "rgb24" else "rgba64le"
    if is_rgb_pixel_format(frame.format.name):
        rgb = frame.to_ndarray(format=fmt, interpolation=_SWS_FLAGS)
    else:
        rgb = frame.to_ndarray(
            format=fmt,
            src_colorspace=yuv_matrix(info.color.matrix, info.coded_height),
            src_color_range=yuv_range(info.color.range, frame.format.name),
            dst_color_range="JPEG",
            interpolation=_SWS_FLAGS,
        )
    if info.quarter_turns:  # a phone's portrait clip: stored on its side, shown upright
        rgb = np.ascontiguousarray(np.rot90(rgb, info.quarter_turns))
    return rgb


def frame_index(pts: int | None, info: MediaInfo, *, field: str = "source") -> int:
    """The frame number a pts stands for; raises when it is off the constant-rate grid.

    Containers with a coarse clock (Matroska counts milliseconds) round each pts to
    their tick, so a pts within one tick of its grid point is on the grid.
    """
    if pts is None:
        raise CorruptMedia(f"{info.path.name} has a frame without a timestamp", field=field)
    if info.frame_pts is not None:
        index = bisect.bisect_left(info.frame_pts, pts)
        if index == 0 and pts < info.frame_pts[0]:
            return -1  # pre-roll before frame 0, dropped like any frame before the range
        if index == len(info.frame_pts) or info.frame_pts[index] != pts:
            raise CorruptMedia(f"{info.path.name} decodes a frame its index does not list (damaged file)", field=field)
        return index
    position = (pts - info.start_pts) * info.time_base * info.rate.value
    index = round(position)
    if abs(position - index) > grid_tolerance(info.time_base, info.rate.value):
        raise InvalidArgument(
            f"{info.path.name} has a frame at {float(pts * info.time_base):.4f}s that is not on its "
            f"{info.rate} fps grid (variable frame rate); conform it to a constant rate before editing",
            field=field,
        )
    return index


def pts_of(index: int, info: MediaInfo) -> int:
    """The (floor) pts of frame `index`, in the stream's time base."""
    if info.frame_pts is not None:
        return info.frame_pts[min(index, len(info.frame_pts) - 1)]
    return info.start_pts + math.floor(index / (info.rate.value * info.time_base))


def _decoded(container: av.container.InputContainer, info: MediaInfo, field: str) -> Iterator[av.VideoFrame]:
    stream = container.streams.video[0]
    try:
        for packet in container.demux(stream):
            yield from packet.decode()
    except av.error.FFmpegError as exc:
        raise CorruptMedia(
            f"{info.path.name} is damaged and cannot be decoded ({exc})", field=field
        ) from None


def scan_extent(
    info: MediaInfo, container: av.container.InputContainer, *, field: str = "source"
) -> tuple[int, tuple[int, ...] | None, int, float]:
    """(pts of frame 0, the frames' pts for a clip numbered in order, frame count, frame 0's
    display rotation in degrees counterclockwise) found by decoding the head and the tail.

    The header's frame count (or duration) says where the last frame should be; decoding
    it proves it is there, so a truncated file is refused at probe time.
    """
    stream = container.streams.video[0]
    first = next(iter(_decoded(container, info, field)), None)
    if first is None or first.pts is None:
        raise CorruptMedia(f"{info.path.name} contains no decodable video frame", field=field)
    frame_pts = info.frame_pts
    if frame_pts is not None:  # what the decoder does not show (pre-roll) is not a frame
        frame_pts = tuple(p for p in frame_pts if p >= first.pts)
    info = _with(info, start_pts=first.pts, frame_pts=frame_pts)
    declared = len(frame_pts) if frame_pts is not None else stream.frames or 0
    estimate = 0
    if stream.duration:
        estimate = round(stream.duration * info.time_base * info.rate.value)
    elif container.duration:
        estimate = round(Fraction(container.duration, av.time_base) * info.rate.value)
    expected = declared or estimate
    last = 0
    if expected > 1:
        container.seek(pts_of(max(0, expected - 2), info), stream=stream, backward=True)
        for frame in _decoded(container, info, field):
            last = max(last, frame_index(frame.pts, info, field=field))
    count = last + 1
    if (declared and count < declared) or (not declared and count < estimate - 1):
        raise CorruptMedia(
            f"{info.path.name} is truncated or damaged: it should hold {expected} frames but only "
            f"{count} can be decoded",
            field=field,
        )
    return first.pts, frame_pts, count, float(first.rotation or 0)


def _with(info: MediaInfo, **changes: object) -> MediaInfo:
    from dataclasses import replace

    return replace(info, **changes)


class FrameReader:
    """Random and sequential frame access for one source (the ops' `FrameSource`).

    Reading forward (the runner's chunk after chunk, or `frame(i+1)` after `frame(i)`)
    reuses the open decoder; anything else seeks. Memory holds one GOP's decoder state,
    whatever the clip length. Use as a context manager, or call `close()`.
    """

    def __init__(
        self, info: MediaInfo, *, field: str = "source", threads: str = "AUTO", thread_count: int = 0,
        alpha: bool = False, decode: str = "cpu",
    ) -> None:  # fmt: skip
        """`threads`: FFmpeg's decoder threading. "AUTO" (frame threads) is fastest for
        streaming; "SLICE" has no frame-thread delay, for one frame after a seek (preview).
        `thread_count`: how many (0: FFmpeg's choice, one per core). Each frame thread holds
        a frame in flight: readers decoding side by side share the cores, and their memory adds up.
        `alpha`: RGBA frames (H, W, 4), opaque where the source has no alpha.
        `decode`: "cpu" or "gpu" (`decode_where`; the module docstring says what gpu does)."""
        self.info = info
        self.field = field
        self.alpha = alpha
        self.threads = threads
        self.thread_count = thread_count
        self.decode = decode
        self._container: av.container.InputContainer | None = None
        self._iter: Iterator[av.VideoFrame] | None = None
        self._pending: tuple[int, av.VideoFrame] | None = None
        self._position: int | None = None  # index of the next frame the decoder will give

    @property
    def frame_range(self) -> FrameRange:
        return FrameRange(0, self.info.frame_count)

    def __enter__(self) -> FrameReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._container is not None:
            self._container.close()
        self._container = self._iter = self._pending = self._position = None

    def frame(self, index: int) -> np.ndarray:
        for _, rgb in self.frames(FrameRange(index, index + 1)):
            return rgb
        raise AssertionError("unreachable: frames() yields or raises")

    def frames(self, frames: FrameRange) -> Iterator[tuple[int, np.ndarray]]:
        """Yields (index, RGB frame) for exactly frames.start .. frames.end - 1."""
        frames.within(self.info.frame_count, field="range")
        if self.info.kind == "sequence":
            for i in frames:
                rgb = sequence.read_frame(self.info.files[i], field=self.field, alpha=self.alpha)
                if rgb.shape[:2] != (self.info.height, self.info.width):
                    raise CorruptMedia(
                        f"{self.info.files[i].name} is {rgb.shape[1]}x{rgb.shape[0]}, but the sequence is "
                        f"{self.info.width}x{self.info.height}",
                        field=self.field,
                    )
                yield i, rgb
            return
        yield from self._video_frames(frames)

    def _video_frames(self, frames: FrameRange) -> Iterator[tuple[int, np.ndarray]]:
        pos = self._position
        if pos is None or not (pos <= frames.start < pos + _FORWARD_WINDOW):
            self._seek(frames.start)
        expected = frames.start
        while expected < frames.end:
            got = self._next()
            if got is None:
                raise CorruptMedia(
                    f"{self.info.path.name} ends at frame {expected} of {self.info.frame_count} "
                    "(truncated or damaged)",
                    field=self.field,
                )
            index, frame = got
            self._position = index + 1
            if index < expected:
                continue  # pre-roll from the keyframe before A
            if index > expected:
                raise CorruptMedia(
                    f"{self.info.path.name} is missing frame {expected} (damaged or truncated file)",
                    field=self.field,
                )
            yield index, to_rgb(frame, self.info, alpha=self.alpha)
            expected += 1

    def _next(self) -> tuple[int, av.VideoFrame] | None:
        if self._pending is not None:
            got, self._pending = self._pending, None
            return got
        assert self._iter is not None
        frame = next(self._iter, None)
        if frame is None:
            return None
        return frame_index(frame.pts, self.info, field=self.field), frame

    def _seek(self, target: int) -> None:
        if self._container is None:
            self._container = open_decoding(self.info.path, field=self.field, decode=self.decode)
            self._container.streams.video[0].thread_type = self.threads
            self._container.streams.video[0].thread_count = self.thread_count
        stream = self._container.streams.video[0]
        back = 0
        while True:
            start = max(0, target - back)
            # Seeking to frame 0 still goes through seek(): it resets a drained decoder.
            self._container.seek(pts_of(start, self.info), stream=stream, backward=True)
            self._iter = iter(_decoded(self._container, self.info, self.field))
            self._pending = self._next()
            # Some demuxers land after the target; step back until we land at or before it.
            if self._pending is None or self._pending[0] <= target or start == 0:
                self._position = self._pending[0] if self._pending else target
                return
            back = max(2 * back, self.info.rate.nominal)
