"""Bad input gets the right error naming the right field, before anything is written."""

from __future__ import annotations

import os
import shutil
from fractions import Fraction

import av
import cv2
import numpy as np
import pytest

from retakes.engine.errors import CorruptMedia, InvalidArgument, MediaNotFound, MediaUnreadable
from retakes.engine.media import (
    CODECS,
    ColorTags,
    FrameReader,
    KeyframeMask,
    PerFrameMasks,
    SegmentWriter,
    check_output_path,
    load_masks,
    probe,
    resolve_codec,
)
from retakes.engine.media.codecs import MUXERS
from retakes.engine.media.synthetic import DemoScene, write_clip
from retakes.engine.timecode import FrameRange, FrameRate


def probe_and_decode(path, field="source"):
    info = probe(path, field=field)
    with FrameReader(info, field=field) as r:
        for _ in r.frames(FrameRange(0, info.frame_count)):
            pass


def test_missing_path(tmp_path):
    with pytest.raises(MediaNotFound) as err:
        probe(tmp_path / "nope.mov")
    assert err.value.field == "source"


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_path(clips, tmp_path):
    p = tmp_path / "locked.mov"
    shutil.copy(clips["prores_23976.mov"], p)
    p.chmod(0)
    try:
        with pytest.raises(MediaUnreadable) as err:
            probe(p, field="params.plate")
        assert err.value.field == "params.plate"
    finally:
        p.chmod(0o644)


def test_not_media(tmp_path):
    p = tmp_path / "notes.mov"
    p.write_bytes(b"this is a text file, not a movie\n" * 50)
    with pytest.raises(CorruptMedia) as err:
        probe(p)
    assert err.value.field == "source" and "notes.mov" in err.value.message


def test_corrupt_bytes_inside_a_movie(clips, tmp_path):
    data = bytearray(clips["prores_23976.mov"].read_bytes())
    rng = np.random.default_rng(1)
    # Overwrite the front of the file (header and first frames) with noise.
    data[: len(data) // 2] = rng.integers(0, 256, len(data) // 2, dtype=np.uint8).tobytes()
    p = tmp_path / "corrupt.mov"
    p.write_bytes(bytes(data))
    with pytest.raises(CorruptMedia) as err:
        probe_and_decode(p)
    assert err.value.field == "source"


@pytest.mark.parametrize("name", ["ffv1_25.mkv", "prores_23976.mov", "h264_2997df.mp4"])
def test_truncated_file(clips, tmp_path, name):
    data = clips[name].read_bytes()
    p = tmp_path / f"cut_{name}"
    p.write_bytes(data[: int(len(data) * 0.6)])
    with pytest.raises(CorruptMedia) as err:
        probe_and_decode(p, field="mask")
    assert err.value.field == "mask"


def _write_with_pts(path, pts_ms):
    with av.open(str(path), "w") as c:
        s = c.add_stream("ffv1", rate=25)
        s.width, s.height, s.pix_fmt = 160, 96, "bgr0"
        s.codec_context.time_base = Fraction(1, 1000)
        for i, pts in enumerate(pts_ms):
            f = av.VideoFrame.from_ndarray(np.full((96, 160, 3), i * 5, np.uint8), format="rgb24")
            f.pts, f.time_base = pts, Fraction(1, 1000)
            c.mux(s.encode(f))
        c.mux(s.encode(None))


@pytest.mark.parametrize(
    "pts_ms",
    [
        [i * 40 + (i % 3) * 13 for i in range(30)],  # uneven throughout
        [i * 40 for i in range(12)] + [i * 40 + 20 for i in range(12, 30)],  # one jump off the grid mid-clip
    ],
)
def test_variable_frame_rate_is_refused(tmp_path, pts_ms):
    p = tmp_path / "vfr.mkv"
    _write_with_pts(p, pts_ms)
    with pytest.raises(InvalidArgument) as err:
        probe_and_decode(p)
    assert err.value.field == "source"
    assert "frame rate" in err.value.message


@pytest.mark.parametrize(
    "out,codec,field",
    [
        ("o.mov", "prores_9000", "codec"),
        ("o.mp4", "prores_422hq", "codec"),
        ("o.mxf", "h264", "codec"),
        ("pngs", "ffv1", "codec"),
        ("o.mov", "png", "codec"),
        ("o.avi", None, "output_path"),
    ],
)
def test_codec_and_container(tmp_path, out, codec, field):
    with pytest.raises(InvalidArgument) as err:
        resolve_codec(tmp_path / out, codec)
    assert err.value.field == field
    if codec == "prores_9000":
        assert "prores_422hq" in err.value.message and "ffv1" in err.value.message


@pytest.mark.parametrize(
    "out,default",
    [
        ("a.mov", "prores_422hq"),
        ("a.mp4", "h264"),
        ("a.mkv", "ffv1"),
        ("a.mxf", "dnxhr_hqx"),
        ("frames", "png"),
    ],
)
def test_default_codec_by_extension(tmp_path, out, default):
    assert resolve_codec(tmp_path / out).name == default


def test_output_is_the_source(clips):
    with pytest.raises(InvalidArgument) as err:
        check_output_path(clips["ffv1_25.mkv"], [clips["ffv1_25.mkv"]])
    assert err.value.field == "output_path"


def test_output_inside_a_source_sequence(clips):
    with pytest.raises(InvalidArgument) as err:
        check_output_path(clips["sequence"] / "out" / "frames", [clips["sequence"]], field="output")
    assert err.value.field == "output"
    with pytest.raises(InvalidArgument):
        check_output_path(clips["sequence"] / "edit.mov", [clips["sequence"]])


def test_output_folder_missing(tmp_path, clips):
    with pytest.raises(InvalidArgument) as err:
        check_output_path(tmp_path / "no" / "such" / "o.mov", [clips["ffv1_25.mkv"]])
    assert err.value.field == "output_path"
    assert check_output_path(tmp_path / "o.mov", [clips["ffv1_25.mkv"]]) == (tmp_path / "o.mov").resolve()


# ---- masks -------------------------------------------------------------------------------------


def _mask_dir(path, count, size=(192, 108)):
    path.mkdir()
    for i in range(count):
        m = np.zeros((size[1], size[0]), np.uint8)
        m[:, : 10 + i] = 200
        m[0, -1] = 127  # just under the threshold
        cv2.imwrite(str(path / f"m_{i:03d}.png"), m)
    return path


def test_mask_wrong_size(clips, tmp_path):
    info = probe(clips["ffv1_25.mkv"])
    cv2.imwrite(str(tmp_path / "key.png"), np.zeros((36, 64), np.uint8))
    with pytest.raises(InvalidArgument) as err:
        load_masks(tmp_path / "key.png", info, FrameRange(0, 10))
    assert err.value.field == "mask"
    assert "64x36" in err.value.message and "192x108" in err.value.message


@pytest.mark.parametrize("count", [5, 39, 41])
def test_mask_wrong_count(clips, tmp_path, count):
    info = probe(clips["ffv1_25.mkv"])
    with pytest.raises(InvalidArgument) as err:
        load_masks(_mask_dir(tmp_path / "m", count), info, FrameRange(10, 20))
    assert err.value.field == "mask"
    assert "40" in err.value.message and "10" in err.value.message


@pytest.mark.parametrize("count,first_mask", [(40, 10), (10, 0)])
def test_per_frame_masks_match_by_order(clips, tmp_path, count, first_mask):
    info = probe(clips["ffv1_25.mkv"])
    masks = load_masks(_mask_dir(tmp_path / "m", count), info, FrameRange(10, 20))
    assert isinstance(masks, PerFrameMasks)
    m = masks.mask(12)
    assert m.dtype == np.uint8 and m.shape == (108, 192)
    assert set(np.unique(m)) == {0, 255}
    assert int((m[1] == 255).sum()) == 10 + first_mask + 2  # the mask file for source frame 12
    assert m[0, -1] == 0 and masks.soft(12)[0, -1] == 127
    with pytest.raises(InvalidArgument):
        masks.mask(25)


def test_single_image_is_a_keyframe_mask(clips, tmp_path):
    info = probe(clips["ffv1_25.mkv"])
    img = np.zeros((108, 192), np.uint8)
    img[20:40, 30:60] = 128
    cv2.imwrite(str(tmp_path / "k.png"), img)
    km = load_masks(tmp_path / "k.png", info, FrameRange(5, 30), mask_frame=9)
    assert isinstance(km, KeyframeMask) and km.frame == 9
    assert km.image[30, 40] == 255 and km.image.sum() == 255 * 20 * 30


def test_matte_video_masks(clips, tmp_path):
    scene = DemoScene(192, 108, frames=40, rate=25)
    matte = tmp_path / "matte.mkv"
    write_clip(
        matte, lambda i: np.repeat(scene.mask(i)[:, :, None], 3, axis=2), frames=40, rate=25, audio=False
    )
    masks = load_masks(matte, probe(clips["ffv1_25.mkv"]), FrameRange(3, 9))
    assert np.array_equal(masks.mask(7), scene.mask(7))
    with pytest.raises(InvalidArgument) as err:
        load_masks(matte, probe(clips["dnxhr_60.mxf"]), FrameRange(3, 9), field="params.matte")
    assert err.value.field == "params.matte" and "192x108" in err.value.message


def test_every_codec_and_container_the_table_allows_can_be_muxed(tmp_path):
    # A pair the table allows but FFmpeg's muxer refuses (FFV1 in .mov was one) fails
    # only after every frame was rendered, as an internal error.
    for spec in CODECS.values():
        for ext in spec.extensions:
            if not ext:
                continue
            with av.open(str(tmp_path / f"probe_{spec.name}{ext}"), "w", format=MUXERS[ext]) as out:
                out.add_stream(spec.encoder, rate=24)


def test_png_codec_names_the_folder_whatever_its_suffix(tmp_path):
    assert resolve_codec(tmp_path / "shot.v2", "png").image_sequence
    assert resolve_codec(tmp_path / "frames.png", "png").image_sequence


def test_an_existing_file_is_not_taken_for_a_png_folder(tmp_path):
    existing = tmp_path / "notes"
    existing.write_text("keep me")
    for codec in (None, "png"):
        with pytest.raises(InvalidArgument) as err:
            resolve_codec(existing, codec)
        assert err.value.field == "output_path" and "existing file" in err.value.message
    assert existing.read_text() == "keep me"


def test_a_folder_holding_other_files_is_not_replaced(clips, tmp_path):
    # A PNG-sequence output replaces its folder whole: `-o ~/Desktop` must be refused.
    folder = tmp_path / "desktop"
    folder.mkdir()
    (folder / "00000.png").write_bytes(b"an earlier output")
    (folder / "report.txt").write_text("someone's work")
    with pytest.raises(InvalidArgument) as err:
        check_output_path(folder, [clips["ffv1_25.mkv"]], field="output_path")
    assert err.value.field == "output_path" and "report.txt" in err.value.message


def test_an_empty_folder_is_filled_and_an_earlier_png_output_replaced_only_with_overwrite(clips, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / ".DS_Store").write_bytes(b"")
    assert check_output_path(empty, [clips["ffv1_25.mkv"]]) == empty.resolve()
    earlier = tmp_path / "earlier"
    earlier.mkdir()
    for i in range(3):
        (earlier / f"{i:05d}.png").write_bytes(b"png")
    with pytest.raises(InvalidArgument) as err:
        check_output_path(earlier, [clips["ffv1_25.mkv"]])
    assert err.value.field == "output_path" and "--overwrite" in err.value.message
    assert check_output_path(earlier, [clips["ffv1_25.mkv"]], overwrite=True) == earlier.resolve()


@pytest.mark.parametrize(("codec", "ext", "size"), [("h264", ".mp4", (161, 90)), ("dnxhr_hqx", ".mxf", (192, 108))])
def test_a_frame_size_the_encoder_cannot_take_names_the_codec(tmp_path, codec, ext, size):
    # FFmpeg refuses these when the encoder opens: that used to be an internal error.
    segment = tmp_path / f"chunk{ext}"
    with pytest.raises(InvalidArgument) as err:
        SegmentWriter(segment, CODECS[codec], *size, FrameRate(Fraction(24)), 8, ColorTags())
    assert err.value.field == "codec" and f"{size[0]}x{size[1]}" in err.value.message
    assert not segment.exists()
