"""Outputs: the range's frames, start timecode, audio, lossless identity, determinism, atomicity."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from retakes.engine.media import (
    FrameReader,
    SegmentWriter,
    finalize_output,
    probe,
    read_audio,
    resolve_codec,
    sample_span,
)
from retakes.engine.media import encode as encode_module
from retakes.engine.media.synthetic import read_burnt_index, tone
from retakes.engine.timecode import FrameRange


def encode_range(
    source: Path, frames: FrameRange, dest: Path, codec: str | None = None, chunk: int = 5
) -> Path:
    """What the runner does: one segment per chunk, then finalize."""
    info = probe(source)
    spec = resolve_codec(dest, codec)
    work = dest.parent / f"{dest.name}.segments"
    work.mkdir()
    segments = []
    with FrameReader(info) as reader:
        for k, part in enumerate(frames.chunks(chunk)):
            seg = work / f"chunk_{k:05d}{dest.suffix}"
            with SegmentWriter(
                seg, spec, info.width, info.height, info.rate, info.bit_depth, info.color
            ) as w:
                for _, rgb in reader.frames(part):
                    w.write(rgb)
            segments.append(seg)
    return finalize_output(
        segments,
        dest,
        spec,
        rate=info.rate,
        start_timecode=info.timebase.timecode_of(frames.start),
        color=info.color,
        audio_source=(info, frames),
    )


def audio_samples(path: Path) -> np.ndarray:
    """Every sample of the file's audio track, decoded to the end."""
    with av.open(str(path)) as c:
        blocks = [
            f.to_ndarray().reshape(-1, 2).T if not f.format.is_planar else f.to_ndarray()
            for f in c.decode(audio=0)
        ]
    return np.concatenate(blocks, axis=1)


# (source, output name, codec, range, expected output start timecode)
CASES = [
    ("prores_23976.mov", "out.mov", None, (13, 29), "01:00:00:13"),
    ("h264_2997df.mp4", "out.mp4", None, (3, 27), "01:00:00;01"),  # crosses 01:00:00 (no drop at minute 0)
    ("h264_2997df.mkv", "out.mov", "prores_4444", (1, 12), "01:01:00;02"),  # 59;29 + 1: ;00 and ;01 dropped
    ("ffv1_25.mkv", "out.mkv", None, (20, 40), "10:00:00:20"),
    ("dnxhr_60.mxf", "out.mxf", None, (0, 23), "01:00:59:00"),
    ("dnxhr_60.mxf", "out2.mov", "dnxhr_hqx", (7, 31), "01:00:59:07"),
]


@pytest.mark.parametrize("source,out_name,codec,span,timecode", CASES)
def test_output_carries_range_frames_timecode_and_audio(
    clips, tmp_path, source, out_name, codec, span, timecode
):
    frames = FrameRange(*span)
    src = probe(clips[source])
    out = encode_range(clips[source], frames, tmp_path / out_name, codec)
    info = probe(out)
    assert info.frame_count == len(frames)
    assert info.rate == src.rate
    assert info.start_timecode == timecode == src.timebase.timecode_of(frames.start)
    with FrameReader(info) as r:
        assert [read_burnt_index(f) for _, f in r.frames(info_range(info))] == list(frames)
    first, end = sample_span(frames, src.rate, 48000)
    samples = audio_samples(out)
    assert samples.shape == (2, end - first)
    # The very samples the source holds under these frames (the generator's ground truth).
    assert np.array_equal(samples, tone(first, end - first))


def info_range(info) -> FrameRange:
    return FrameRange(0, info.frame_count)


def test_drop_frame_timecode_across_a_dropped_minute(clips, tmp_path):
    # Source starts at 00:59:59;28: frame 2 is 01:00:00;00 (minute 0, nothing dropped);
    # 30000/1001 source 01:00:59;29 + 1 is 01:01:00;02.
    out = encode_range(clips["h264_2997df.mkv"], FrameRange(1, 4), tmp_path / "o.mkv", "ffv1")
    assert probe(out).start_timecode == "01:01:00;02"


@pytest.mark.parametrize("source", ["prores_23976.mov", "h264_2997df.mp4", "sequence"])
@pytest.mark.parametrize("out_name", ["identity.mkv", "identity_png"])
def test_lossless_identity_is_bit_identical(clips, tmp_path, source, out_name):
    frames = FrameRange(4, 17)
    out = encode_range(clips[source], frames, tmp_path / out_name)
    with FrameReader(probe(clips[source])) as a, FrameReader(probe(out)) as b:
        for (i, want), (j, got) in zip(a.frames(frames), b.frames(FrameRange(0, len(frames))), strict=True):
            assert j == i - frames.start
            assert got.dtype == want.dtype and np.array_equal(got, want), f"frame {i} differs"


def test_png_output_is_named_by_frame_index(clips, tmp_path):
    out = encode_range(clips["ffv1_25.mkv"], FrameRange(10, 22), tmp_path / "pngs")
    assert sorted(p.name for p in out.iterdir()) == [f"{i:05d}.png" for i in range(12)]


@pytest.mark.parametrize("out_name", ["d.mov", "d.mkv", "d.mxf", "d.mp4"])
def test_same_segments_give_byte_identical_output(clips, tmp_path, out_name):
    source = "dnxhr_60.mxf" if out_name.endswith("mxf") else "prores_23976.mov"
    first = encode_range(clips[source], FrameRange(2, 14), tmp_path / out_name)
    info = probe(clips[source])
    segments = sorted((tmp_path / f"{out_name}.segments").iterdir())
    again = finalize_output(
        segments,
        tmp_path / f"again_{out_name}",
        resolve_codec(first),
        rate=info.rate,
        start_timecode=info.timebase.timecode_of(2),
        color=info.color,
        audio_source=(info, FrameRange(2, 14)),
    )
    assert again.read_bytes() == first.read_bytes()


def test_no_file_at_dest_while_writing_and_none_after_a_failure(clips, tmp_path, monkeypatch):
    info = probe(clips["prores_23976.mov"])
    dest = tmp_path / "atomic.mov"
    seen_during_write = []
    real_iter_audio = encode_module.iter_audio

    def failing_audio(*args, **kwargs):
        for n, block in enumerate(real_iter_audio(*args, **kwargs)):
            seen_during_write.append(dest.exists())
            if n == 2:
                raise RuntimeError("disk full")
            yield block

    monkeypatch.setattr(encode_module, "iter_audio", failing_audio)
    with pytest.raises(RuntimeError):
        encode_range(clips["prores_23976.mov"], FrameRange(0, 30), dest)
    assert seen_during_write == [False, False, False]
    assert not dest.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp left behind
    assert info.frame_count == 40


def test_a_failed_rewrite_keeps_the_previous_complete_output(clips, tmp_path, monkeypatch):
    dest = encode_range(clips["ffv1_25.mkv"], FrameRange(0, 6), tmp_path / "keep.mkv")
    before = dest.read_bytes()

    def broken(*args, **kwargs):
        raise RuntimeError("boom")
        yield  # pragma: no cover

    monkeypatch.setattr(encode_module, "iter_audio", broken)
    (tmp_path / "keep.mkv.segments").rename(tmp_path / "old.segments")
    with pytest.raises(RuntimeError):
        encode_range(clips["ffv1_25.mkv"], FrameRange(0, 6), dest)
    assert dest.read_bytes() == before


def test_audio_count_is_exact_for_ntsc_rates(clips):
    # 30000/1001 at 48 kHz: 1601.6 samples per frame; the floor rule tiles ranges exactly.
    info = probe(clips["h264_2997df.mp4"])
    parts = [read_audio(info, r).samples.shape[1] for r in FrameRange(0, 40).chunks(7)]
    assert sum(parts) == read_audio(info, FrameRange(0, 40)).samples.shape[1] == 64064
    assert read_audio(info, FrameRange(0, 5)).samples.shape[1] == (5 * 48000 * 1001) // 30000
    assert Fraction(parts[0]) == (7 * 48000 * 1001) // 30000


def _clip_with_audio(
    path: Path, sample_rate: int, codec: str, samples: np.ndarray, frames: int = 12, size: tuple[int, int] = (64, 48)
) -> Path:
    """A 24 fps FFV1 clip (Matroska) whose audio track holds exactly `samples` (channels, n).

    Matroska keeps no channel layout for PCM: the track reads back as "2 channels"."""
    width, height = size
    with av.open(str(path), "w") as out:
        video = out.add_stream("ffv1", rate=24)
        video.width, video.height, video.pix_fmt = width, height, "bgr0"
        audio = out.add_stream(codec, rate=sample_rate, layout="stereo")
        fmt = {"pcm_f32le": "fltp", "pcm_s16le": "s16p"}[codec]
        for i in range(frames):
            f = av.VideoFrame.from_ndarray(np.full((height, width, 3), i * 10, np.uint8), format="rgb24")
            f.pts = i
            out.mux(video.encode(f))
        out.mux(video.encode(None))
        step = sample_rate // 10
        for start in range(0, samples.shape[1], step):
            a = av.AudioFrame.from_ndarray(
                np.ascontiguousarray(samples[:, start : start + step]), format=fmt, layout="stereo"
            )
            a.sample_rate, a.pts, a.time_base = sample_rate, start, Fraction(1, sample_rate)
            out.mux(audio.encode(a))
        out.mux(audio.encode(None))
    return path


def _sine(sample_rate: int, first: int, count: int, hz: float = 441.0) -> np.ndarray:
    t = (first + np.arange(count)) / sample_rate
    return np.stack([0.5 * np.sin(2 * np.pi * hz * t)] * 2).astype(np.float32)


def test_mp4_audio_is_16_bit_pcm_that_older_ffmpeg_reads(tmp_path):
    # FFmpeg before 6.0 decodes 24-bit 'ipcm' as 16-bit noise; a float source (AAC from a
    # phone, a float WAV) must not turn the .mp4's sound into noise for them.
    src = _clip_with_audio(tmp_path / "float.mkv", 48000, "pcm_f32le", _sine(48000, 0, 24000))
    frames = FrameRange(2, 10)
    out = encode_range(src, frames, tmp_path / "o.mp4", chunk=4)
    with av.open(str(out)) as c:
        assert c.streams.audio[0].codec_context.name == "pcm_s16le"
    first, end = sample_span(frames, probe(src).rate, 48000)
    want = np.rint(_sine(48000, first, end - first) * 32767).astype(np.int16)
    assert np.abs(audio_samples(out).astype(np.int32) - want).max() <= 1


def test_unnamed_stereo_from_matroska_goes_into_mp4(tmp_path):
    # The MP4 muxer refuses a "2 channels" layout: such a source failed after rendering.
    pcm = np.rint(_sine(48000, 0, 24000) * 32767).astype(np.int16)
    src = _clip_with_audio(tmp_path / "pcm.mkv", 48000, "pcm_s16le", pcm)
    assert probe(src).audio.layout == "2 channels"
    out = encode_range(src, FrameRange(0, 12), tmp_path / "o.mp4", chunk=6)
    assert probe(out).audio.layout == "stereo"
    first, end = sample_span(FrameRange(0, 12), probe(src).rate, 48000)
    assert np.array_equal(audio_samples(out), pcm[:, first:end])


def test_mp4_audio_of_a_deep_integer_source_keeps_its_top_16_bits():
    block = np.array([[0x7FFFFF00, -0x80000000, 0x00010000, -1]], np.int32)
    assert encode_module._to_int(block, deep=False).tolist() == [[0x7FFF, -0x8000, 1, -1]]


def test_mxf_audio_of_a_44100_source_is_converted_to_48k(tmp_path):
    # The MXF muxer takes 48 kHz only; a 44.1 kHz source used to fail the job after rendering.
    tone_44k = np.rint(_sine(44100, 0, 22050) * 32767).astype(np.int16)
    src = _clip_with_audio(tmp_path / "cd.mkv", 44100, "pcm_s16le", tone_44k, size=(256, 144))  # DNxHR minimum
    frames = FrameRange(3, 11)
    out = encode_range(src, frames, tmp_path / "o.mxf", chunk=4)
    info = probe(out)
    assert info.audio is not None and info.audio.sample_rate == 48000
    first, end = sample_span(frames, info.rate, 48000)
    got = audio_samples(out).astype(np.float64) / 32767
    assert got.shape == (2, end - first)
    # In time with the video: the same sine, at 48 kHz from the range's first 44.1 kHz sample.
    start = Fraction(sample_span(frames, info.rate, 44100)[0], 44100)
    t = float(start) + np.arange(end - first) / 48000
    want = 0.5 * np.sin(2 * np.pi * 441.0 * t)
    assert np.abs(got[:, 200:-200] - want[200:-200]).max() < 0.002


@pytest.mark.parametrize(("codec", "depth"), [("ffv1", 8), ("ffv1", 16), ("prores_422hq", 16)])
def test_a_frame_changed_after_it_was_written_is_encoded_as_it_was_given(tmp_path, codec, depth):
    """The encoder wraps each frame's array instead of copying it (a copy held the interpreter
    lock): what a caller does to its array after `write` returns must not reach the file."""
    from retakes.engine.media.codecs import CODECS
    from retakes.engine.media.probe import ColorTags
    from retakes.engine.timecode import FrameRate

    rng = np.random.default_rng(7)
    dtype = np.uint8 if depth == 8 else np.uint16
    full = np.iinfo(dtype).max
    ramp = np.linspace(0.2, 0.8, 62)[None, :, None] * np.linspace(0.5, 1.0, 36)[:, None, None]
    frames = [(np.clip(ramp * rng.uniform(0.7, 1.2, 3), 0, 1) * full).astype(dtype) for _ in range(3)]
    path = tmp_path / "out.mkv" if codec == "ffv1" else tmp_path / "out.mov"
    with SegmentWriter(path, CODECS[codec], 62, 36, FrameRate(Fraction(24)), depth, ColorTags()) as w:
        for frame in frames:
            given = frame.copy()
            w.write(given)
            given[:] = 0  # the caller reuses its buffer at once
    with av.open(str(path)) as c:
        decoded = [f.to_ndarray(format="rgb48le" if depth > 8 else "rgb24") for f in c.decode(video=0)]
    assert len(decoded) == 3
    for want, got in zip(frames, decoded, strict=True):
        assert got.max() > 0
        if codec == "ffv1":  # lossless: exactly what was given
            assert np.array_equal(got, want)
        else:  # ProRes: within its loss of a smooth picture
            assert np.abs(got.astype(np.int64) - want).mean() < 0.01 * full
