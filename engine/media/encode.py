"""Encoding: chunks of frames to segment files, then segments to one finished output.

The runner encodes each chunk of a job to its own segment (`SegmentWriter`), so a job
resumed after a crash re-encodes only the unfinished chunk. `finalize_output` then
joins the segments by stream copy (no re-encode: the segments' bytes are the output's
bytes), adds the range's audio, the start timecode and the colour tags, and publishes
the file with one rename. Given the same segments it writes the same bytes: muxers run
with `+bitexact` (no random ids, no encoder version or wall-clock dates).

Audio is written as PCM, which round-trips sample-exactly in every container:
pcm_s16le for sources of 16 bits or less, pcm_s24le for deeper or float sources (float
is clipped to [-1, 1]). MP4 takes PCM too (FFmpeg writes it as ISO 'ipcm'), but always
16-bit there: FFmpeg before 6.0 ignores ipcm's sample-size box and decodes 24-bit ipcm
as 16-bit noise, and MP4 is the H.264 viewing copy, not a master. MXF holds 48 kHz
audio only, so other rates are converted to 48 kHz there (the one place audio is not
sample-exact; .mov keeps any rate). PNG sequences carry no audio.
"""

from __future__ import annotations

import heapq
import os
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
from av.codec.context import Flags

from ..errors import InvalidArgument
from ..timecode import FrameRange, FrameRate, Timebase
from .audio import audio_format, iter_audio, samples_under
from .codecs import CODECS, MUXERS, CodecSpec, output_extension, resolve_codec
from .decode import _SWS_FLAGS, is_rgb_pixel_format, yuv_matrix
from .paths import atomic_temp_path, publish, remove
from .probe import FIELD_ORDERS, MATRICES, PRIMARIES, RANGES, TRANSFERS, ColorTags, MediaInfo

__all__ = ["CODECS", "CodecSpec", "SegmentWriter", "finalize_output", "resolve_codec"]

_BITEXACT = {"fflags": "+bitexact"}
#: the only audio sample rate FFmpeg's MXF muxer accepts
MXF_AUDIO_RATE = 48000
_CODE = {
    kind: {name: code for code, name in table.items()}
    for kind, table in (
        ("primaries", PRIMARIES),
        ("transfer", TRANSFERS),
        ("matrix", MATRICES),
        ("range", RANGES),
        ("field_order", FIELD_ORDERS),
    )
}


def _matrix_name(color: ColorTags, height: int) -> str:
    return (
        color.matrix
        if color.matrix in _CODE["matrix"] and color.matrix != "gbr"
        else ("bt709" if height >= 720 else "smpte170m")
    )


def add_video_stream(
    container: av.container.OutputContainer,
    spec: CodecSpec,
    width: int,
    height: int,
    rate: FrameRate,
    bit_depth: int,
    color: ColorTags,
    sample_aspect_ratio: Fraction = Fraction(1),
    field_order: str | None = None,
    alpha: bool = False,
) -> av.video.stream.VideoStream:
    """A configured encoder stream; its tags say exactly how `encode_rgb` converted.
    `alpha`: in the spec's pixel format with an alpha channel, for RGBA frames."""
    stream = container.add_stream(spec.encoder, rate=rate.value, options=dict(spec.options))
    stream.width, stream.height = width, height
    if sample_aspect_ratio != 1:
        stream.codec_context.sample_aspect_ratio = sample_aspect_ratio
    if field_order in _CODE["field_order"]:
        stream.codec_context.field_order = _CODE["field_order"][field_order]
        if field_order != "progressive":  # coded as fields, as the source was (ProRes, DNxHR, H.264)
            stream.codec_context.flags = stream.codec_context.flags | Flags.interlaced_dct
    stream.pix_fmt = spec.pix_fmt(bit_depth, alpha=alpha)
    if "threads" not in spec.options:
        # An API user gets one encoder thread by default. ProRes and DNxHR split their
        # work across frames and slices without changing a byte of output (tested), so
        # they use every core; libx264 and FFV1 pin their thread count in their options.
        stream.thread_type, stream.thread_count = "AUTO", 0
    ctx = stream.codec_context
    ctx.time_base = 1 / rate.value
    if color.primaries in _CODE["primaries"]:
        ctx.color_primaries = _CODE["primaries"][color.primaries]
    if color.transfer in _CODE["transfer"]:
        ctx.color_trc = _CODE["transfer"][color.transfer]
    if is_rgb_pixel_format(stream.pix_fmt):
        ctx.colorspace, ctx.color_range = 0, 2  # gbr, full
    else:
        ctx.colorspace = _CODE["matrix"][_matrix_name(color, height)]
        ctx.color_range = 1  # limited: what ProRes, DNxHR and delivery H.264 expect
    return stream


def encode_rgb(stream: av.video.stream.VideoStream, rgb: np.ndarray, pts: int) -> list[av.Packet]:
    """Encodes an RGB frame, or an RGBA one for a stream made with `alpha`."""
    fmt = "rgb24" if rgb.dtype == np.uint8 else "rgb48le"
    if rgb.shape[2] == 4:
        fmt = "rgba" if fmt == "rgb24" else "rgba64le"
    # Wrapped, not copied: from_ndarray copies the frame twice while holding the interpreter lock,
    # which with four chunks encoding at once was most of the lock's use in a GPU render (py-spy,
    # bench/gpu/profile_job.py). The conversion below reads the array with the lock released.
    frame = av.VideoFrame.from_numpy_buffer(np.ascontiguousarray(rgb), format=fmt)
    if is_rgb_pixel_format(stream.pix_fmt):
        frame = frame.reformat(format=stream.pix_fmt, interpolation=_SWS_FLAGS)
    else:
        matrix = {v: k for k, v in _CODE["matrix"].items()}[stream.codec_context.colorspace]
        frame = frame.reformat(
            format=stream.pix_fmt,
            src_colorspace=yuv_matrix(matrix, stream.height),
            dst_colorspace=yuv_matrix(matrix, stream.height),
            src_color_range="JPEG",
            dst_color_range="MPEG",
            interpolation=_SWS_FLAGS,
        )
    # ProRes writes each frame's own tags into its frame header, where Apple's decoders read
    # them: untagged frames would say "unspecified" under the container's HLG or PQ tags
    ctx = stream.codec_context
    frame.color_primaries, frame.color_trc = ctx.color_primaries, ctx.color_trc
    frame.pts = pts
    return stream.encode(frame)


class SegmentWriter:
    """Writes one chunk's frames to a video-only segment file, or a PNG directory.

    Segments use the final output's container (`chunk_00003.mov` for a .mov output) so
    finalize copies packets without conversion. On an exception inside the `with`, the
    partial segment is deleted.

    With `alpha=True` (a codec that `keeps_alpha`) the frames are RGBA. With `matte=True`
    the frames are masks (white = object; single-channel or RGB with equal
    channels, any depth): a PNG sequence gets 8-bit single-channel (grayscale) PNGs, 255 =
    object, 0 = background; a video gets a gray matte (R = G = B).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        spec: CodecSpec,
        width: int,
        height: int,
        rate: FrameRate,
        bit_depth: int,
        color: ColorTags,
        *,
        matte: bool = False,
        sample_aspect_ratio: Fraction = Fraction(1),
        field_order: str | None = None,
        alpha: bool = False,
    ) -> None:
        if alpha and not spec.keeps_alpha:
            raise InvalidArgument(f"codec {spec.name!r} has no alpha channel", field="codec")
        self.path, self.spec, self.bit_depth, self.matte = Path(path), spec, bit_depth, matte
        self.shape = (height, width, 4 if alpha else 3)
        self.frames_written = 0
        self._container = None
        spec.check_frame_size(width, height)
        if spec.image_sequence:
            self.path.mkdir(parents=True, exist_ok=True)
            return
        fmt = MUXERS.get(self.path.suffix.lower())
        if fmt is None:
            raise InvalidArgument(
                f"a segment needs a .mov/.mp4/.mkv/.mxf name, not {self.path.name}", field="output_path"
            )
        self._container = av.open(str(self.path), "w", format=fmt, options=_BITEXACT)
        self._stream = add_video_stream(
            self._container, spec, width, height, rate, bit_depth, color, sample_aspect_ratio, field_order, alpha
        )

    def __enter__(self) -> SegmentWriter:
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        self.close()
        if exc_type is not None:
            remove(self.path)

    def write(self, rgb: np.ndarray) -> None:
        if self.matte:
            self._write_matte(rgb)
            return
        want = np.uint8 if self.bit_depth <= 8 else np.uint16
        if rgb.shape != self.shape or rgb.dtype != want:
            raise ValueError(f"expected a {self.shape} {np.dtype(want)} frame, got {rgb.shape} {rgb.dtype}")
        if self._container is None:
            name = self.path / f"{self.frames_written:05d}.png"
            bgr = cv2.cvtColor(rgb, cv2.COLOR_RGBA2BGRA if rgb.shape[2] == 4 else cv2.COLOR_RGB2BGR)
            if not cv2.imwrite(str(name), bgr, [cv2.IMWRITE_PNG_COMPRESSION, 3]):
                raise OSError(f"could not write {name}")
        else:
            for packet in encode_rgb(self._stream, rgb, self.frames_written):
                self._container.mux(packet)
        self.frames_written += 1

    def _write_matte(self, mask: np.ndarray) -> None:
        if mask.shape not in (self.shape, self.shape[:2]) or mask.dtype not in (np.uint8, np.uint16):
            raise ValueError(f"expected a {self.shape[:2]} mask, got {mask.shape} {mask.dtype}")
        if mask.ndim == 3:
            mask = mask[..., 0]
        if mask.dtype == np.uint16:
            mask = (mask >> 8).astype(np.uint8)
        mask = np.ascontiguousarray(mask)
        if self._container is None:
            name = self.path / f"{self.frames_written:05d}.png"
            if not cv2.imwrite(str(name), mask, [cv2.IMWRITE_PNG_COMPRESSION, 3]):
                raise OSError(f"could not write {name}")
        else:
            gray = cv2.cvtColor(mask, cv2.COLOR_GRAY2RGB)  # np.repeat would hold the interpreter lock
            if self.bit_depth > 8:
                gray = gray.astype(np.uint16) * 257
            for packet in encode_rgb(self._stream, gray, self.frames_written):
                self._container.mux(packet)
        self.frames_written += 1

    def close(self) -> None:
        if self._container is not None:
            for packet in self._stream.encode():
                self._container.mux(packet)
            self._container.close()
            self._container = None


@dataclass(frozen=True)
class PacketSlice:
    """Frames [start, end) (0 = the file's first, in presentation order) of an existing output,
    joined by copying their packets (a PNG sequence's files) untouched: frame fixing keeps the
    old version's frames this way. Must start and end on keyframes (`keyframe_indices`)."""

    path: Path
    start: int
    end: int


def keyframe_indices(path: Path) -> list[int]:
    """The frames (0 = first, presentation order) a decoder can start at: every frame of a PNG
    sequence or an intra-frame codec, the GOP starts of a long-GOP one."""
    path = Path(path)
    if path.is_dir():
        return list(range(len(list(path.glob("*.png")))))
    with av.open(str(path)) as f:
        stream = f.streams.video[0]
        tb = Fraction(stream.time_base)
        rate = stream.average_rate or stream.guessed_rate
        stamps = [(p.pts, p.is_keyframe) for p in f.demux(stream) if p.size]
    base = min(pts for pts, _ in stamps)
    return sorted(round((pts - base) * tb * Fraction(rate)) for pts, key in stamps if key)


def finalize_output(
    segments: list[Path | PacketSlice],
    dest: Path,
    spec: CodecSpec,
    *,
    rate: FrameRate,
    start_timecode: str,
    color: ColorTags,
    audio_source: tuple[MediaInfo, FrameRange] | None = None,
) -> Path:
    """Joins `segments` (in order) into `dest` and publishes it atomically; returns dest."""
    dest = Path(dest)
    Timebase.from_start_timecode(rate, start_timecode)  # refuse a bad timecode before writing
    temp = atomic_temp_path(dest)
    remove(temp)
    try:
        if spec.image_sequence:
            _join_png(segments, temp)
        else:
            _join_video(segments, temp, dest, rate, start_timecode, audio_source)
        publish(temp, dest)
    except BaseException:
        remove(temp)
        raise
    return dest


def _join_png(segments: list[Path | PacketSlice], temp: Path) -> None:
    temp.mkdir()
    index = 0
    for segment in segments:
        if isinstance(segment, PacketSlice):
            frames = sorted(Path(segment.path).glob("*.png"))[segment.start:segment.end]
        else:
            frames = sorted(Path(segment).glob("*.png"))
        for frame in frames:
            target = temp / f"{index:05d}.png"
            # A hard link leaves the segment whole, so a crash here can simply be re-run.
            try:
                os.link(frame, target)
            except OSError:
                target.write_bytes(frame.read_bytes())
            index += 1


def _join_video(
    segments: list[Path | PacketSlice],
    temp: Path,
    dest: Path,
    rate: FrameRate,
    start_timecode: str,
    audio_source: tuple[MediaInfo, FrameRange] | None,
) -> None:
    ext = output_extension(dest)
    out = av.open(str(temp), "w", format=MUXERS[ext], options=_BITEXACT)
    try:
        with av.open(str(_file_of(segments[0]))) as first:
            vstream = out.add_stream_from_template(first.streams.video[0])
            # the template leaves the pixel shape and the field order behind (only H.264 repeats
            # them in its bitstream), and the codec tag: without it the mov muxer tags any ProRes
            # 'apch' (422 HQ), and a 4444 master would say it is 4:2:2, which QC rejects. The
            # segments are in the output's own container, so their tag is valid there.
            template = first.streams.video[0]
            vstream.codec_context.codec_tag = template.codec_context.codec_tag
            if template.sample_aspect_ratio:
                vstream.codec_context.sample_aspect_ratio = template.sample_aspect_ratio
            if template.codec_context.field_order:
                vstream.codec_context.field_order = template.codec_context.field_order
        # The mov muxer builds its tmcd track from the stream's frame rate.
        vstream.codec_context.framerate = rate.value
        vstream.time_base = 1 / rate.value
        out.metadata["timecode"] = start_timecode
        sources: list[Iterator[tuple[Fraction, int, av.Packet | av.AudioFrame]]] = [
            _video_packets(segments, rate)
        ]
        astreams = []  # one per audio track of the source, in its order
        if audio_source is not None:
            info, frames = audio_source
            for track in range(len(info.audio_tracks or ((info.audio,) if info.audio else ()))):
                astreams.append(_add_audio_stream(out, info, ext, track))
                sources.append(_audio_frames(info, frames, astreams[-1], track))
        # Interleave by time so the muxer never queues a whole track in memory.
        for _, kind, item in heapq.merge(*sources, key=lambda x: (x[0], x[1])):
            if kind == 0:
                item.stream = vstream
                out.mux(item)
            else:
                out.mux(astreams[kind - 1].encode(item))
        for astream in astreams:
            out.mux(astream.encode(None))
    finally:
        out.close()


def _file_of(segment: Path | PacketSlice) -> Path:
    return Path(segment.path) if isinstance(segment, PacketSlice) else Path(segment)


def _segment_packets(segment: Path | PacketSlice, rate: FrameRate) -> Iterator[tuple[av.Packet, int, int | None]]:
    """The segment's packets in decode order with their frame index and dts in frames (a
    slice's from its first frame), only those of the slice's frames for a PacketSlice."""
    path = str(_file_of(segment))
    # two passes over the file rather than its packets in memory: an old version may be long
    with av.open(path) as seg:
        base = min((p.pts for p in seg.demux(seg.streams.video[0]) if p.size), default=None)
    if base is None:
        return
    first = segment.start if isinstance(segment, PacketSlice) else 0
    with av.open(path) as seg:
        stream = seg.streams.video[0]
        tb = Fraction(stream.time_base)
        for p in (p for p in seg.demux(stream) if p.size):
            index = round((p.pts - base) * tb * rate.value)
            if isinstance(segment, PacketSlice) and not segment.start <= index < segment.end:
                continue
            dts = None if p.dts is None else round((p.dts - base) * tb * rate.value) - first
            yield p, index - first, dts


def _segment_timing(segment: Path | PacketSlice, rate: FrameRate) -> tuple[list[int], list[int | None], int]:
    """(frame index of each packet by pts, its dts in frames or None, reorder delay)."""
    stamps = [(index, dts) for _, index, dts in _segment_packets(segment, rate)]
    if not stamps:
        return [], [], 0
    index = [i for i, _ in stamps]
    dts = [d for _, d in stamps]
    # The encoder's own delay (first dts before first pts) may exceed what reordering needs.
    delay = max(
        0, *(k - i for k, i in enumerate(index)), *(k - d for k, d in enumerate(dts) if d is not None)
    )
    return index, dts, delay


def _video_packets(segments: list[Path | PacketSlice], rate: FrameRate) -> Iterator[tuple[Fraction, int, av.Packet]]:
    """Every segment's packets with timestamps moved onto one continuous frame grid.

    pts is the packet's own frame index plus the frames before its segment. dts is the
    packet's decode position minus one delay shared by all segments (the largest any
    segment needs): segments encoded separately can have different delays (a two-frame
    chunk has no B-frames), and a per-segment dts would jump at the boundary, which MP4
    turns into a wrong frame duration. Matroska does not store dts at all.
    """
    delay = max(_segment_timing(s, rate)[2] for s in segments)
    offset = 0
    tick = 1 / rate.value
    for segment in segments:
        index, _, _ = _segment_timing(segment, rate)
        for k, (packet, _, _) in enumerate(_segment_packets(segment, rate)):
            decode_at = offset + k - delay
            packet.time_base = tick
            packet.pts = offset + index[k]
            packet.dts = decode_at
            packet.duration = 1
            yield decode_at * tick, 0, packet
        offset += len(index)


def _add_audio_stream(out: av.container.OutputContainer, info: MediaInfo, ext: str, track: int = 0):
    fmt = audio_format(info, track=track)
    # 16-bit in MP4: see the module docstring.
    deep = ext != ".mp4" and fmt.dtype not in (np.dtype(np.uint8), np.dtype(np.int16))
    # FFmpeg's MXF muxer takes 48 kHz only: refusing here, after every frame was rendered,
    # would fail the whole job over the audio; see `_resampled`.
    rate = MXF_AUDIO_RATE if ext == ".mxf" else fmt.sample_rate
    stream = out.add_stream("pcm_s24le" if deep else "pcm_s16le", rate=rate, layout=_named_layout(fmt.layout))
    return stream


#: FFmpeg's default layout for a channel count (av_channel_layout_default)
_DEFAULT_LAYOUTS = {1: "mono", 2: "stereo", 3: "2.1", 4: "4.0", 5: "5.0(side)", 6: "5.1(side)", 7: "6.1", 8: "7.1"}


def _named_layout(layout: str) -> str:
    """The source's layout, or the usual one for its channel count where it names none.

    Matroska and WAV-style PCM tracks often say only "2 channels"; the MP4 muxer refuses
    such a track ("unsupported channel layout"), which failed the job after rendering.
    Every player plays two unnamed channels as stereo, so that is what is written.
    """
    parsed = av.AudioLayout(layout)
    if layout == f"{parsed.nb_channels} channels":
        return _DEFAULT_LAYOUTS.get(parsed.nb_channels, layout)
    return layout


def _audio_frames(
    info: MediaInfo, frames: FrameRange, stream, track: int = 0
) -> Iterator[tuple[Fraction, int, av.AudioFrame]]:
    """Track `track`'s frames for `stream`, keyed (time, 1 + track) for the interleave."""
    sr = stream.codec_context.sample_rate
    layout = stream.codec_context.layout.name
    deep = stream.codec_context.name == "pcm_s24le"
    sample_format = "s32p" if deep else "s16p"
    source_rate = audio_format(info, track=track).sample_rate
    blocks = (
        _to_int(b, deep) for b in iter_audio(info, frames, track=track, block=max(1, source_rate // 10))
    )
    if sr != source_rate:
        first, end = samples_under(info, frames, sr)
        blocks = _resampled(blocks, source_rate, sr, sample_format, layout, end - first)
    position = 0
    for data in blocks:
        frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(data), format=sample_format, layout=layout)
        frame.sample_rate, frame.pts, frame.time_base = sr, position, Fraction(1, sr)
        yield Fraction(position, sr), 1 + track, frame
        position += data.shape[1]


def _resampled(
    blocks: Iterator[np.ndarray], source_rate: int, rate: int, sample_format: str, layout: str, count: int
) -> Iterator[np.ndarray]:
    """`blocks` converted from `source_rate` to `rate` (swresample: the same bytes every run),
    cut or padded with silence to exactly `count` samples, the range's length at `rate`, so
    the audio ends with the video whatever the resampler's delay."""
    resampler = av.AudioResampler(format=sample_format, layout=layout, rate=rate)
    done = 0
    position = 0

    def take(frames: list[av.AudioFrame]) -> Iterator[np.ndarray]:
        nonlocal done
        for converted in frames:
            data = converted.to_ndarray()[:, : count - done]
            if data.shape[1]:
                done += data.shape[1]
                yield data

    for block in blocks:
        frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(block), format=sample_format, layout=layout)
        frame.sample_rate, frame.pts, frame.time_base = source_rate, position, Fraction(1, source_rate)
        position += block.shape[1]
        yield from take(resampler.resample(frame))
    yield from take(resampler.resample(None))
    if done < count:
        dtype = np.int32 if sample_format == "s32p" else np.int16
        yield np.zeros((len(av.AudioLayout(layout).channels), count - done), dtype)


def _to_int(block: np.ndarray, deep: bool) -> np.ndarray:
    if block.dtype.kind == "f":
        full = 2**31 - 1 if deep else 2**15 - 1
        return np.rint(np.clip(block, -1.0, 1.0) * full).astype(np.int32 if deep else np.int16)
    if block.dtype == np.uint8:
        return ((block.astype(np.int16) - 128) << 8).astype(np.int16)
    if deep:
        return (block.astype(np.int64) << (32 - 8 * block.dtype.itemsize)).astype(np.int32)
    if block.dtype.itemsize > 2:  # a deep integer source written at 16 bits (MP4): keep the top bits
        return (block >> (8 * block.dtype.itemsize - 16)).astype(np.int16)
    return np.ascontiguousarray(block.astype(np.int16))
