"""Media generated in code, for tests and `retakes demo` (nothing downloaded or committed).

Two kinds:

- index clips: every frame shows its own index as a 16-bit code of large black/white
  blocks (top half of the frame), readable with `read_burnt_index` after lossy H.264,
  ProRes or DNxHR and 4:2:0 chroma, so a test can prove which frame it got. The bottom
  half is a moving colour gradient, so frames also differ in colour. Audio is a
  sawtooth whose value is a function of the absolute sample number.
- `DemoScene`: a shaded, textured ball rolling over a panning textured background, with
  an exact per-frame object mask, for the demo's recolor/remove edits.

Everything is deterministic: the same arguments give the same pixels and samples.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

from ..timecode import FrameRate
from .codecs import MUXERS, output_extension, resolve_codec
from .encode import _BITEXACT, add_video_stream, encode_rgb
from .probe import ColorTags

_COLS, _ROWS = 8, 2  # 16 code blocks in the top half of the frame
SAMPLE_RATE = 48000


def _rate(rate: FrameRate | Fraction | int | str) -> FrameRate:
    return rate if isinstance(rate, FrameRate) else FrameRate.parse(rate)


def index_frame(index: int, size: tuple[int, int], *, bit_depth: int = 8) -> np.ndarray:
    """The RGB frame `index` of an index clip, `size` = (width, height)."""
    w, h = size
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    phase = index * 0.11
    rgb = np.stack(
        [
            0.5 + 0.4 * np.sin(xx / w * 6.28 + phase),
            0.5 + 0.4 * np.sin(yy / h * 6.28 - phase * 1.3),
            0.5 + 0.4 * np.cos((xx + yy) / (w + h) * 6.28 + phase * 0.7),
        ],
        axis=2,
    )
    top = h // 2
    bw, bh = w // _COLS, top // _ROWS
    for bit in range(16):
        r, c = divmod(bit, _COLS)
        rgb[r * bh : (r + 1) * bh, c * bw : (c + 1) * bw] = 1.0 if (index >> bit) & 1 else 0.0
    full = 255 if bit_depth <= 8 else 65535
    return np.rint(rgb * full).astype(np.uint8 if bit_depth <= 8 else np.uint16)


def read_burnt_index(rgb: np.ndarray) -> int:
    """Reads the index back from a (possibly lossy) decoded frame."""
    h, w = rgb.shape[:2]
    bw, bh = w // _COLS, (h // 2) // _ROWS
    luma = rgb.astype(np.float32).mean(axis=2) / float(np.iinfo(rgb.dtype).max)
    value = 0
    for bit in range(16):
        r, c = divmod(bit, _COLS)
        block = luma[r * bh + bh // 4 : (r + 1) * bh - bh // 4, c * bw + bw // 4 : (c + 1) * bw - bw // 4]
        if block.mean() > 0.5:
            value |= 1 << bit
    return value


def tone(first: int, count: int, channels: int = 2) -> np.ndarray:
    """int16 (channels, count) sawtooth; sample n's value depends only on n."""
    n = np.arange(first, first + count, dtype=np.int64)
    saw = ((n * 37) % 4000 - 2000) * 8
    return np.stack([saw + ch * 3 for ch in range(channels)]).astype(np.int16)


def write_clip(
    path: str | os.PathLike[str],
    frame_at: Callable[[int], np.ndarray],
    *,
    frames: int,
    rate: FrameRate | Fraction | int | str,
    codec: str | None = None,
    start_timecode: str = "01:00:00:00",
    audio: bool = True,
    gop: int | None = None,
    color: ColorTags | None = None,
    display_rotation: int = 0,
    sample_aspect_ratio: Fraction = Fraction(1),
    audio_tracks: int = 1,
    field_order: str | None = None,
    frame_times: Sequence[Fraction] | None = None,
) -> Path:
    """Encodes `frame_at(0..frames-1)` to a video file with an audio tone and a timecode.

    `display_rotation`: degrees counterclockwise a player turns the frames to show them, as
    a phone tags a portrait clip it stores on its side. `sample_aspect_ratio`: the pixels'
    shape, width over height (anamorphic HDV 1440x1080 is 4/3). `audio_tracks`: how many audio
    streams (with `audio`); track k is the tone offset by k * 1000, so a test can tell them apart.
    `field_order`: FFmpeg's name ("tt", "bb", "tb", "bt") to write interlaced video.
    `frame_times`: each frame's presentation time in seconds, as a phone's uneven clock
    stamps them (default: frame i at i / rate); the tone then runs on unbroken beneath them."""
    path, rate = Path(path), _rate(rate)
    times = list(frame_times) if frame_times is not None else [Fraction(i) / rate.value for i in range(frames + 1)]
    if len(times) == frames:
        times.append(times[-1] + 1 / rate.value)
    spec = resolve_codec(path, codec)
    first = frame_at(0)
    h, w = first.shape[:2]
    depth = 8 if first.dtype == np.uint8 else 16
    with av.open(str(path), "w", format=MUXERS[output_extension(path)], options=_BITEXACT) as out:
        out.metadata["timecode"] = start_timecode
        stream = add_video_stream(
            out, spec, w, h, rate, depth, color or ColorTags(), sample_aspect_ratio, field_order
        )
        if gop:
            stream.codec_context.gop_size = gop
        if display_rotation:
            stream.set_display_rotation(display_rotation)
        clock = Fraction(1, 90000) if frame_times is not None else 1 / rate.value
        stream.codec_context.time_base = clock
        tracks = audio_tracks if audio else 0
        astreams = [out.add_stream("pcm_s16le", rate=SAMPLE_RATE, layout="stereo") for _ in range(tracks)]
        for i in range(frames):
            out.mux(encode_rgb(stream, first if i == 0 else frame_at(i), round(times[i] / clock)))
            s0, s1 = math.floor(times[i] * SAMPLE_RATE), math.floor(times[i + 1] * SAMPLE_RATE)
            for k, astream in enumerate(astreams):
                samples = (tone(s0, s1 - s0).astype(np.int32) + 1000 * k).clip(-32768, 32767).astype(np.int16)
                af = av.AudioFrame.from_ndarray(samples, format="s16p", layout="stereo")
                af.sample_rate, af.pts, af.time_base = SAMPLE_RATE, s0, Fraction(1, SAMPLE_RATE)
                out.mux(astream.encode(af))
        out.mux(stream.encode(None))
        for astream in astreams:
            out.mux(astream.encode(None))
    return path


def write_sequence(
    directory: str | os.PathLike[str],
    frame_at: Callable[[int], np.ndarray],
    *,
    frames: int,
    ext: str = "png",
    first_number: int = 1,
) -> Path:
    """Writes frames as `frame_0001.png`... (numbered from `first_number`)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    for i in range(frames):
        rgb = frame_at(i)
        cv2.imwrite(
            str(directory / f"frame_{first_number + i:04d}.{ext}"), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
        )
    return directory


def write_index_clip(
    path: str | os.PathLike[str],
    *,
    frames: int,
    rate: FrameRate | Fraction | int | str,
    size: tuple[int, int] = (192, 108),
    codec: str | None = None,
    start_timecode: str = "01:00:00:00",
    audio: bool = True,
    gop: int | None = None,
    bit_depth: int = 8,
) -> Path:
    """An index clip (see the module docstring) as a video file."""
    return write_clip(
        path,
        lambda i: index_frame(i, size, bit_depth=bit_depth),
        frames=frames,
        rate=rate,
        codec=codec,
        start_timecode=start_timecode,
        audio=audio,
        gop=gop,
    )


def write_index_sequence(
    directory: str | os.PathLike[str],
    *,
    frames: int,
    size: tuple[int, int] = (192, 108),
    ext: str = "png",
    bit_depth: int = 8,
    first_number: int = 1,
) -> Path:
    """An index clip as an image-sequence directory."""
    return write_sequence(
        directory,
        lambda i: index_frame(i, size, bit_depth=bit_depth),
        frames=frames,
        ext=ext,
        first_number=first_number,
    )


class DemoScene:
    """A shaded, textured ball rolling over a panning textured background."""

    def __init__(
        self,
        width: int = 640,
        height: int = 360,
        frames: int = 72,
        rate: FrameRate | Fraction | int | str = 24,
        seed: int = 7,
    ) -> None:
        self.width, self.height, self.frames, self.rate = width, height, frames, _rate(rate)
        rng = np.random.default_rng(seed)
        # Background: smooth colour noise plus fine grain, twice as wide as the frame to pan over.
        coarse = rng.random((max(2, height // 24), max(2, width // 12), 3)).astype(np.float32)
        bg = cv2.resize(coarse, (2 * width, height), interpolation=cv2.INTER_CUBIC)
        grain = rng.random((height, 2 * width, 1)).astype(np.float32)
        ground = np.arange(height, dtype=np.float32)[:, None, None] / height
        self._background = np.clip(0.25 + 0.5 * bg * (0.6 + 0.4 * ground) + 0.08 * grain, 0, 1)
        self._radius = max(6, min(width, height) // 7)
        r = self._radius
        yy, xx = np.mgrid[-r : r + 1, -r : r + 1].astype(np.float32)
        self._disc = (xx**2 + yy**2) <= r * r
        nz = np.sqrt(np.clip(1 - (xx**2 + yy**2) / (r * r), 0, 1))
        self._shade = 0.25 + 0.75 * np.clip(0.4 * (-xx / r) + 0.5 * (-yy / r) + 0.8 * nz, 0, 1)
        self._coords = (xx, yy)
        self._base = np.array([0.85, 0.12, 0.1], np.float32)  # a red ball: recolour target

    def _center(self, i: int) -> tuple[int, int]:
        t = i / max(1, self.frames - 1)
        cx = int(round(self._radius + 2 + t * (self.width - 2 * self._radius - 4)))
        bounce = abs(np.sin(t * np.pi * 2.5))
        cy = int(round(self.height - self._radius - 3 - bounce * self.height * 0.35))
        return cx, cy

    def frame(self, i: int) -> np.ndarray:
        pan = int(round(i * self.width / max(1, self.frames) * 0.8))
        img = self._background[:, pan : pan + self.width].copy()
        cx, cy = self._center(i)
        xx, yy = self._coords
        spin = i * 0.15
        stripes = 0.75 + 0.25 * np.sign(np.sin((xx * np.cos(spin) + yy * np.sin(spin)) / self._radius * 9))
        ball = self._base[None, None, :] * (self._shade * stripes)[:, :, None]
        self._paste(img, ball, cx, cy)
        return np.rint(np.clip(img, 0, 1) * 255).astype(np.uint8)

    def mask(self, i: int) -> np.ndarray:
        m = np.zeros((self.height, self.width), np.uint8)
        cx, cy = self._center(i)
        self._paste(m, np.where(self._disc, 255, 0).astype(np.uint8), cx, cy)
        return m

    def _paste(self, dst: np.ndarray, patch: np.ndarray, cx: int, cy: int) -> None:
        r = self._radius
        y0, x0 = cy - r, cx - r
        ys, xs = (
            slice(max(0, y0), min(dst.shape[0], y0 + 2 * r + 1)),
            slice(max(0, x0), min(dst.shape[1], x0 + 2 * r + 1)),
        )
        py, px = slice(ys.start - y0, ys.stop - y0), slice(xs.start - x0, xs.stop - x0)
        disc = self._disc[py, px]
        dst[ys, xs][disc] = patch[py, px][disc]

    def write(
        self, path: str | os.PathLike[str], codec: str | None = None, start_timecode: str = "01:00:00:00"
    ) -> Path:
        return write_clip(
            path, self.frame, frames=self.frames, rate=self.rate, codec=codec, start_timecode=start_timecode
        )

    def write_masks(self, directory: str | os.PathLike[str]) -> Path:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        for i in range(self.frames):
            cv2.imwrite(str(directory / f"mask_{i:05d}.png"), self.mask(i))
        return directory
