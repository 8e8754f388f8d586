"""Frame-exact decode: [A, B) gives exactly frames A..B-1, proven by the burnt-in index."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from retakes.engine.errors import InvalidArgument
from retakes.engine.media import FrameReader, probe, synthetic
from retakes.engine.media.synthetic import read_burnt_index
from retakes.engine.timecode import FrameRange, FrameRate
from tests.support.media_clips import CLIPS, FRAMES

SOURCES = [*CLIPS, "sequence"]


@pytest.mark.parametrize("name", list(CLIPS))
def test_probe_reports_rate_count_and_start_timecode(clips, name):
    rate, size, timecode, _ = CLIPS[name]
    info = probe(clips[name])
    assert info.kind == "video"
    assert info.rate == FrameRate.parse(rate)
    assert info.frame_count == FRAMES
    assert (info.width, info.height) == size
    assert info.start_timecode == timecode
    assert info.timebase.drop_frame == (";" in timecode)
    assert info.audio is not None and info.audio.sample_rate == 48000 and info.audio.channels == 2


@pytest.mark.parametrize("name", SOURCES)
@pytest.mark.parametrize("start,end", [(0, 4), (13, 29), (31, FRAMES)])
def test_range_decodes_exactly_those_frames(clips, name, start, end):
    info = probe(clips[name])
    with FrameReader(info) as reader:
        got = [(i, read_burnt_index(rgb)) for i, rgb in reader.frames(FrameRange(start, end))]
    assert got == [(i, i) for i in range(start, end)]


@pytest.mark.parametrize("name", SOURCES)
def test_random_access_backwards_and_forwards(clips, name):
    info = probe(clips[name])
    with FrameReader(info) as reader:
        order = [37, 2, 21, 22, 5, 39, 0]
        assert [read_burnt_index(reader.frame(i)) for i in order] == order


def test_mid_gop_range_in_long_gop_h264(clips):
    # One 300-frame GOP: every range after frame 0 starts mid-GOP, far from its keyframe.
    info = probe(clips["h264_2997df.mp4"])
    with FrameReader(info) as reader:
        assert [read_burnt_index(f) for _, f in reader.frames(FrameRange(17, 23))] == list(range(17, 23))
        # Reading on continues from the open decoder and still lands exactly.
        assert [read_burnt_index(f) for _, f in reader.frames(FrameRange(23, 26))] == [23, 24, 25]


def test_output_dtype_follows_source_bit_depth(clips):
    deep = probe(clips["prores_23976.mov"])
    shallow = probe(clips["h264_2997df.mp4"])
    assert deep.bit_depth == 10 and shallow.bit_depth == 8
    with FrameReader(deep) as r:
        assert r.frame(0).dtype == np.uint16 and r.frame(0).shape == (108, 192, 3)
    with FrameReader(shallow) as r:
        assert r.frame(0).dtype == np.uint8


def test_sequence_defaults_and_numeric_order(tmp_path):
    from retakes.engine.media.synthetic import index_frame, write_sequence

    # Unpadded numbers: alphabetical order would put f10 before f9.
    d = write_sequence(tmp_path / "s", lambda i: index_frame(i, (160, 96)), frames=12, first_number=1)
    for p in d.iterdir():
        p.rename(d / f"f{int(p.stem.split('_')[1])}.png")
    info = probe(d)
    assert info.kind == "sequence" and info.frame_count == 12
    assert info.rate == FrameRate(Fraction(24)) and info.start_timecode == "00:00:00:00"
    with FrameReader(info) as r:
        assert [read_burnt_index(f) for _, f in r.frames(FrameRange(7, 12))] == [7, 8, 9, 10, 11]
    info = probe(d, sequence_rate=FrameRate(Fraction(30000, 1001)), sequence_start_timecode="01:00:00;00")
    assert info.timebase.drop_frame and info.start_timecode == "01:00:00;00"


def test_range_outside_the_media_is_refused(clips):
    with FrameReader(probe(clips["ffv1_25.mkv"])) as r, pytest.raises(InvalidArgument) as err:
        list(r.frames(FrameRange(30, FRAMES + 1)))
    assert err.value.field == "range"


def test_a_decoder_with_fewer_frame_threads_gives_the_same_frames(clips):
    """Chunks rendering side by side share the cores (engine.render): their decoders get fewer threads."""
    info = probe(clips["h264_2997df.mp4"])
    with FrameReader(info) as default, FrameReader(info, thread_count=2) as capped:
        got = [(i, f.tobytes()) for i, f in capped.frames(FrameRange(3, 17))]
        assert got == [(i, f.tobytes()) for i, f in default.frames(FrameRange(3, 17))]
        assert capped._container.streams.video[0].codec_context.thread_count == 2


def portrait_frame(i: int) -> np.ndarray:
    """Stored on its side (landscape), as a phone stores a portrait clip: a white block at the
    stored image's top-left, a red one at its bottom-left, so every turn tells apart."""
    rgb = np.zeros((96, 160, 3), np.uint8)
    rgb[:32, :48] = 255
    rgb[-32:, :48] = (255, 0, 0)
    return rgb


@pytest.mark.parametrize("rotation", [90, -90, 180])
def test_a_clip_tagged_to_display_rotated_decodes_upright(tmp_path, rotation):
    path = synthetic.write_clip(tmp_path / "phone.mp4", portrait_frame, frames=6, rate="30", display_rotation=rotation)
    info = probe(path)
    turns = (rotation // 90) % 4
    assert info.quarter_turns == turns
    assert (info.width, info.height) == ((96, 160) if turns % 2 else (160, 96))  # the upright size
    with FrameReader(info) as reader:
        rgb = reader.frame(3)
    upright = np.rot90(portrait_frame(3), turns)  # what a player shows (checked against ffmpeg's autorotate)
    assert rgb.shape == upright.shape
    assert np.abs(rgb.astype(int) - upright.astype(int)).mean() < 8  # H.264, 4:2:0


def write_dpx(path: Path, rgb: np.ndarray) -> None:
    with av.open(str(path), "w", format="image2") as out:
        stream = out.add_stream("dpx", rate=24)
        stream.height, stream.width = rgb.shape[:2]
        stream.pix_fmt = "rgb48le" if rgb.dtype == np.uint16 else "rgb24"
        frame = av.VideoFrame.from_ndarray(rgb, format=stream.pix_fmt)
        for packet in stream.encode(frame):
            out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_a_dpx_sequence_is_read_at_its_depth(tmp_path, dtype):
    """DPX is how film scans and DI plates arrive; OpenCV cannot read it."""
    rng = np.random.default_rng(3)
    full = np.iinfo(dtype).max
    frames = [rng.integers(0, full, (36, 52, 3), dtype=np.uint64).astype(dtype) for _ in range(3)]
    for i, rgb in enumerate(frames):
        write_dpx(tmp_path / f"plate.{1001 + i:07d}.dpx", rgb)
    info = probe(tmp_path)
    assert (info.kind, info.frame_count, info.width, info.height) == ("sequence", 3, 52, 36)
    assert info.bit_depth == (16 if dtype == np.uint16 else 8)
    with FrameReader(info) as reader:
        for i, rgb in reader.frames(FrameRange(0, 3)):
            np.testing.assert_array_equal(rgb, frames[i])


def test_gpu_decode_gives_the_software_decoders_pixels_or_falls_back_saying_so(clips, caplog):
    """--decode gpu: NVDEC where there is one (frames copied back, same colour conversion), else
    the software decoder and one log line; either way the same frames, exactly."""
    import logging

    from retakes.engine.media.decode import open_decoding

    info = probe(clips[next(iter(CLIPS))])
    with caplog.at_level(logging.INFO, logger="retakes.engine.media.decode"):
        with FrameReader(info) as cpu, FrameReader(info, decode="gpu") as gpu:
            for (i, a), (j, b) in zip(cpu.frames(FrameRange(3, 9)), gpu.frames(FrameRange(3, 9)), strict=True):
                assert i == j
                np.testing.assert_array_equal(a, b)
        container = open_decoding(info.path, decode="gpu")
        hardware = container.streams.video[0].codec_context.is_hwaccel
        container.close()
    said = [r.getMessage() for r in caplog.records if "decoding on the CPU" in r.getMessage()]
    assert hardware or said, "a fallback to the CPU decoder must be logged"


@pytest.mark.parametrize(("given", "where"), [("", "cpu"), ("cpu", "cpu"), ("auto", "cpu"), ("GPU", "gpu")])
def test_decode_choice_auto_is_the_cpu(given, where):
    from retakes.engine.media.decode import decode_where

    assert decode_where(given) == where


def test_an_unknown_decode_choice_names_the_field():
    from retakes.engine.media.decode import decode_where

    with pytest.raises(InvalidArgument) as err:
        decode_where("nvdec")
    assert err.value.field == "decode" and "cpu, gpu, auto" in str(err.value)
