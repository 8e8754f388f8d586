"""The command line contract (DESIGN.md), run as a user runs it: a subprocess, a private engine."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
import pytest

from retakes.engine.media import FrameReader, probe, read_audio, synthetic
from retakes.engine.media.synthetic import read_burnt_index, write_index_clip
from retakes.engine.timecode import FrameRange, FrameRate
from tests.support.cli import retakes


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "shot.mp4"
    write_index_clip(path, frames=30, rate=FrameRate(Fraction(24000, 1001)), size=(160, 96), codec="h264",
                     start_timecode="01:00:00:00", audio=True)
    return path


def test_edit_with_a_timecode_range_writes_a_png_sequence(clip, short_tmp):
    out = short_tmp / "frames"
    run = retakes("edit", str(clip), "-o", str(out), "--op", "relight", "--look", "overcast",
                  "--range", "01:00:00:04-01:00:00:10", home=short_tmp / "home")
    assert run.returncode == 0, run.stderr
    assert f"wrote {out}" in run.stdout
    assert "note:" not in run.stderr  # nothing about this source needs saying
    assert sorted(p.name for p in out.iterdir()) == [f"{i:05d}.png" for i in range(6)]


def test_edit_with_masks_to_ffv1_keeps_the_outside_bit_identical(clip, short_tmp):
    masks = short_tmp / "masks"
    masks.mkdir()
    for i in range(30):
        m = np.zeros((96, 160), np.uint8)
        m[20:70, 40:100] = 255
        cv2.imwrite(str(masks / f"{i:05d}.png"), m)
    out = short_tmp / "recolor.mkv"
    run = retakes("edit", str(clip), "-o", str(out), "--op", "recolor", "--mask", str(masks), "--hue", "120",
                  "--feather", "3", "--range", "3:13", home=short_tmp / "home")
    assert run.returncode == 0, run.stderr
    src_info, out_info = probe(clip), probe(out)
    assert out_info.frame_count == 10 and out_info.start_timecode == "01:00:00:03"
    outside = np.ones((96, 160), bool)
    outside[20 - 3:70 + 3, 40 - 3:100 + 3] = False  # the mask grown by its 3 px feather
    with FrameReader(src_info) as src, FrameReader(out_info) as dst:
        for (i, a), (_, b) in zip(src.frames(FrameRange(3, 13)), dst.frames(FrameRange(0, 10)), strict=True):
            np.testing.assert_array_equal(a[outside], b[outside])
            assert not np.array_equal(a[20:70, 40:100], b[20:70, 40:100]), f"frame {i}: the masked area is unchanged"


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (["--op", "relight", "--range", "20:40"], "--range"),
        (["--op", "teleport"], "--op"),
        (["--op", "relight", "--codec", "wmv"], "--codec"),
        (["--op", "recolor", "--hue", "30"], "--mask"),
    ],
)
def test_bad_input_is_one_line_naming_the_field_and_nothing_is_written(clip, short_tmp, args, field):
    out = short_tmp / "never.mov"
    run = retakes("edit", str(clip), "-o", str(out), *args, home=short_tmp / "home")
    assert run.returncode != 0
    lines = [line for line in run.stderr.strip().splitlines() if line.strip()]
    assert len(lines) == 1, run.stderr
    assert field in lines[0]
    assert not out.exists() and not list(short_tmp.glob(".never*"))


def test_decode_on_the_gpu_writes_the_same_frames_as_the_cpu(clip, short_tmp):
    """--decode gpu uses the hardware decoder where there is one and falls back where not:
    the output is the same either way (here, with no GPU, the fallback)."""
    outs = {}
    for where in ("cpu", "gpu"):
        out = short_tmp / f"relight-{where}.mkv"
        run = retakes("edit", str(clip), "-o", str(out), "--op", "relight", "--exposure", "0.3", "--range", "0:6",
                      "--codec", "ffv1", "--decode", where, home=short_tmp / "home")
        assert run.returncode == 0, run.stderr
        with FrameReader(probe(out)) as reader:
            outs[where] = [f for _, f in reader.frames(FrameRange(0, 6))]
    for a, b in zip(outs["cpu"], outs["gpu"], strict=True):
        np.testing.assert_array_equal(a, b)
    run = retakes("edit", str(clip), "-o", str(short_tmp / "never.mkv"), "--op", "relight", "--decode", "nvdec",
                  home=short_tmp / "home")
    assert run.returncode != 0 and "--decode" in run.stderr and not (short_tmp / "never.mkv").exists()


def test_missing_source_is_reported(short_tmp):
    run = retakes("edit", str(short_tmp / "missing.mov"), "-o", str(short_tmp / "o.mov"), "--op", "relight",
                  home=short_tmp / "home")
    assert run.returncode != 0 and "SOURCE" in run.stderr and "missing.mov" in run.stderr


def test_jobs_list_shows_finished_jobs(clip, short_tmp):
    home = short_tmp / "home"
    assert retakes("edit", str(clip), "-o", str(short_tmp / "a.mov"), "--op", "relight", "--exposure", "0.3",
                   "--range", "0:5", home=home).returncode == 0
    listed = retakes("jobs", "list", home=home)
    assert listed.returncode == 0 and "succeeded" in listed.stdout and "relight" in listed.stdout


def test_demo_writes_its_output_and_a_contact_sheet(short_tmp):
    out = short_tmp / "demo"
    run = retakes("demo", "--out", str(out), "--size", "256x144", "--frames", "24", home=short_tmp / "home")
    assert run.returncode == 0, run.stderr
    assert f"wrote its output to {out}" in run.stdout
    sheet = cv2.imread(str(out / "contact_sheet.png"))
    assert sheet is not None and sheet.shape[0] > 100
    result, source = probe(out / "retake.mov"), probe(out / "source.mov")
    assert result.frame_count == source.frame_count == 24
    assert result.start_timecode == source.start_timecode == "01:00:00:00"
    assert result.audio is not None
    with FrameReader(source) as a, FrameReader(result) as b:
        assert not np.array_equal(a.frame(12), b.frame(12)), "the demo's edit changed nothing"




@pytest.mark.parametrize(
    ("args", "field"),
    [
        (["edit", "SRC", "--op", "relight"], "-o/--output"),  # a required option left out
        (["edit", "SRC", "-o", "OUT", "--op", "relight", "--range", "-5:3"], "--range"),
        (["track", "SRC", "-o", "OUT", "--keyframe", "0"], "--mask"),
    ],
)
def test_usage_errors_are_one_line_naming_the_option(clip, short_tmp, args, field):
    # argparse prints the whole usage (a screenful for `edit`) before its one useful line.
    args = [str(clip) if a == "SRC" else str(short_tmp / "out.mov") if a == "OUT" else a for a in args]
    run = retakes(*args, home=short_tmp / "home")
    assert run.returncode == 2
    lines = [line for line in run.stderr.strip().splitlines() if line.strip()]
    assert len(lines) == 1, run.stderr
    assert field in lines[0]
    assert not (short_tmp / "out.mov").exists()


def test_a_folder_holding_other_files_is_refused_and_kept(clip, short_tmp):
    # A PNG-sequence OUT replaces its folder: `-o ~/Desktop` used to delete the desktop.
    folder = short_tmp / "desktop"
    folder.mkdir()
    (folder / "notes.txt").write_text("someone's work")
    run = retakes("edit", str(clip), "-o", str(folder), "--op", "relight", "--exposure", "0.3", "--range", "0:3",
                  home=short_tmp / "home")
    assert run.returncode != 0 and "-o/--output" in run.stderr and "notes.txt" in run.stderr
    assert sorted(p.name for p in folder.iterdir()) == ["notes.txt"]


def test_codec_png_writes_a_folder_whatever_its_name(clip, short_tmp):
    out = short_tmp / "shot.v2"
    run = retakes("edit", str(clip), "-o", str(out), "--op", "relight", "--exposure", "0.3", "--range", "0:3",
                  "--codec", "png", home=short_tmp / "home")
    assert run.returncode == 0, run.stderr
    assert sorted(p.name for p in out.iterdir()) == ["00000.png", "00001.png", "00002.png"]


def test_colon_timecode_range_on_drop_frame_media_is_read_as_drop_frame(short_tmp):
    # 00:59:59;28 is frame 0 and 01:00:00;02 frame 4; read as non-drop, 01:00:00:02 was 108 frames on.
    src = write_index_clip(short_tmp / "df.mov", frames=12, rate=FrameRate(Fraction(30000, 1001)), size=(64, 48),
                           codec="prores_422hq", start_timecode="00:59:59;28", audio=False)
    out = short_tmp / "frames"
    run = retakes("edit", str(src), "-o", str(out), "--op", "relight", "--exposure", "0.1",
                  "--range", "01:00:00:02-01:00:00:04", home=short_tmp / "home")
    assert run.returncode == 0, run.stderr
    assert "starts 01:00:00;02" in run.stdout, run.stdout
    frames = sorted(out.iterdir())
    assert [read_burnt_index(cv2.imread(str(f))[..., ::-1]) for f in frames] == [4, 5]


def test_timecode_range_outside_the_media_is_refused_in_timecodes(clip, short_tmp):
    out = short_tmp / "never.mov"
    run = retakes("edit", str(clip), "-o", str(out), "--op", "relight", "--range", "00:00:00:00-00:00:00:10",
                  home=short_tmp / "home")
    assert run.returncode != 0
    lines = [line for line in run.stderr.strip().splitlines() if line.strip()]
    assert len(lines) == 1, run.stderr
    assert "--range" in lines[0] and "00:00:00:00-00:00:00:10" in lines[0], lines[0]
    assert "01:00:00:00-01:00:01:06" in lines[0], lines[0]  # 30 frames at 23.976 from 01:00:00:00
    assert not out.exists()


@pytest.mark.parametrize("output", ["masks", "matte.mkv"])
def test_track_writes_8_bit_single_channel_masks_from_a_10_bit_source(short_tmp, output):
    # The masks came out as 3-channel PNGs, and 16-bit ones from a 10-bit source.
    src = write_index_clip(short_tmp / "deep.mov", frames=6, rate=FrameRate(Fraction(24)), size=(96, 64),
                           codec="prores_422hq", bit_depth=16, audio=False)
    assert probe(src).bit_depth > 8
    key = np.zeros((64, 96), np.uint8)
    key[36:60, 20:70] = 255
    cv2.imwrite(str(short_tmp / "key.png"), key)
    out = short_tmp / output
    run = retakes("track", str(src), "-o", str(out), "--mask", str(short_tmp / "key.png"), "--keyframe", "2",
                  home=short_tmp / "home")
    assert run.returncode == 0, run.stderr
    if out.is_dir():
        assert sorted(p.name for p in out.iterdir()) == [f"{i:05d}.png" for i in range(6)]
        masks = [cv2.imread(str(out / f"{i:05d}.png"), cv2.IMREAD_UNCHANGED) for i in range(6)]
        for mask in masks:
            assert mask.shape == (64, 96) and mask.dtype == np.uint8
            assert set(np.unique(mask)) <= {0, 255}
        np.testing.assert_array_equal(masks[2], key)
    else:
        info = probe(out)
        assert info.frame_count == 6 and info.bit_depth == 8
        with FrameReader(info) as reader:
            for _, rgb in reader.frames(FrameRange(0, 6)):
                assert rgb.dtype == np.uint8
                np.testing.assert_array_equal(rgb[..., 0], rgb[..., 1])  # gray: R = G = B
                np.testing.assert_array_equal(rgb[..., 0], rgb[..., 2])
            np.testing.assert_array_equal(reader.frame(2)[..., 0] > 127, key > 127)


@pytest.mark.parametrize(
    ("args", "flag"),
    [
        (["track", "--mask", "KEY", "--keyframe", "99"], "--keyframe"),  # said edit.mask_frame
        (["edit", "--op", "recolor", "--hue", "30", "--mask", "SMALL"], "--mask"),  # said edit.mask
        (["edit", "--op", "relight", "--exposure", "0.2", "--codec", "dnxhr_hqx"], "--codec"),  # found in the job
        (["edit", "--op", "background", "--mask", "KEY", "--plate", "BOGUS"], "--plate"),  # found in the job
    ],
)
def test_errors_name_the_option_the_user_gave(clip, short_tmp, args, flag):
    key = np.zeros((96, 160), np.uint8)
    key[20:70, 40:100] = 255
    cv2.imwrite(str(short_tmp / "key.png"), key)
    cv2.imwrite(str(short_tmp / "small.png"), key[:48, :80])
    (short_tmp / "bogus.png").write_text("not an image")
    files = {"KEY": "key.png", "SMALL": "small.png", "BOGUS": "bogus.png"}
    args = [str(short_tmp / files[a]) if a in files else a for a in args]
    out = short_tmp / "never.mov"
    run = retakes(args[0], str(clip), "-o", str(out), *args[1:], home=short_tmp / "home")
    assert run.returncode == 1
    lines = [line for line in run.stderr.strip().splitlines() if line.strip()]
    assert len(lines) == 1, run.stderr
    assert lines[0].startswith(f"retakes: error: {flag}: "), lines[0]
    assert "edit." not in lines[0] and "params." not in lines[0] and "mask_frame" not in lines[0], lines[0]
    assert not out.exists()


def test_a_phone_clip_tagged_portrait_is_edited_and_written_upright(short_tmp):
    """A portrait clip a phone stores on its side with a display rotation: the editor sees it
    upright (so are its masks), and the output is written upright, as every player shows it."""
    stored = np.zeros((96, 160, 3), np.uint8)
    stored[:32, :48] = 255  # top-left as stored: bottom-left once turned a quarter counterclockwise
    source = synthetic.write_clip(short_tmp / "phone.mp4", lambda i: stored, frames=8, rate="30",
                                  display_rotation=90)
    mask = np.zeros((160, 96), np.uint8)  # drawn on the upright picture: 96 wide, 160 tall
    mask[:40] = 255
    cv2.imwrite(str(short_tmp / "mask.png"), mask)
    out = short_tmp / "upright.mkv"
    run = retakes("edit", str(source), "-o", str(out), "--op", "recolor", "--mask", str(short_tmp / "mask.png"),
                  "--hue", "120", home=short_tmp / "home")
    assert run.returncode == 0, run.stderr
    info = probe(out)
    assert (info.width, info.height, info.quarter_turns) == (96, 160, 0)
    with FrameReader(info) as reader:
        rgb = reader.frame(4)
    upright = np.rot90(stored, 1)
    assert np.abs(rgb[60:].astype(int) - upright[60:].astype(int)).mean() < 8  # outside the mask: the source


def test_a_phone_clip_off_its_rate_grid_is_edited_frame_for_frame(short_tmp):
    """A phone stamps its frames a tick early or late and drops one now and then: Resolve
    numbers such a clip's pictures in order, so the edit does too, and the version is
    constant-rate with the range's pictures, none doubled or lost."""
    times = [Fraction(0)]
    for i in range(1, 40):
        times.append(times[-1] + Fraction(6000 if i == 17 else 3000 + 10 * (-1) ** i, 90000))
    source = synthetic.write_clip(short_tmp / "phone.mp4", lambda i: synthetic.index_frame(i, (192, 108)),
                                  frames=40, rate="30", frame_times=times, codec="h264", audio=False)
    out = short_tmp / "phone.mkv"
    run = retakes("edit", str(source), "-o", str(out), "--op", "relight", "--look", "overcast", "--range", "8:32",
                  home=short_tmp / "home")
    assert run.returncode == 0, run.stderr
    note = next(line for line in run.stderr.splitlines() if line.startswith("retakes: note: phone.mp4"))
    assert "numbered in order at 30 fps" in note and "part by up to 0.0" in note  # within one frame here
    info = probe(out)
    assert (info.frame_count, info.rate.value) == (24, 30)
    with FrameReader(info) as reader:
        assert [read_burnt_index(f) for _, f in reader.frames(FrameRange(0, 24))] == list(range(8, 32))


def _rgba_frame(i: int, depth: int = 8) -> np.ndarray:
    """A picture with a soft-edged alpha (a keyed or CG element): its alpha varies across the frame."""
    full = 255 if depth == 8 else 65535
    yy, xx = np.mgrid[0:96, 0:160]
    rgba = np.zeros((96, 160, 4), np.float64)
    rgba[..., 0], rgba[..., 1], rgba[..., 2] = xx / 160, yy / 96, (i % 5) / 5
    rgba[..., 3] = np.clip((xx - 20 - 2 * i) / 60, 0, 1)
    return np.rint(rgba * full).astype(np.uint8 if depth == 8 else np.uint16)


@pytest.mark.parametrize(("source_kind", "out_name", "codec"), [
    ("png8", "frames", None), ("png16", "frames", None), ("png8", "o.mkv", None),
    ("prores4444", "o.mov", "prores_4444"), ("prores4444", "o.mkv", None),
])
def test_an_alpha_channel_comes_out_as_it_went_in(short_tmp, source_kind, out_name, codec):
    """A keyed plate or a CG element with transparency: the edit changes the colour inside the
    mask, and a codec that can hold alpha (prores_4444, ffv1, png) keeps the alpha unchanged."""
    if source_kind == "prores4444":
        from retakes.engine.media import SegmentWriter
        from retakes.engine.media.codecs import CODECS
        from retakes.engine.media.probe import ColorTags

        source = short_tmp / "element.mov"
        with SegmentWriter(source, CODECS["prores_4444"], 160, 96, FrameRate(Fraction(25)), 16, ColorTags(),
                           alpha=True) as w:
            for i in range(8):
                w.write(_rgba_frame(i, 16))
    else:
        source = short_tmp / "element"
        source.mkdir()
        for i in range(8):
            rgba = _rgba_frame(i, 8 if source_kind == "png8" else 16)
            cv2.imwrite(str(source / f"el_{i:04d}.png"), cv2.cvtColor(rgba, cv2.COLOR_RGBA2BGRA))
    mask = np.zeros((96, 160), np.uint8)
    mask[30:60, 60:120] = 255
    cv2.imwrite(str(short_tmp / "mask.png"), mask)
    out = short_tmp / out_name
    args = ["--codec", codec] if codec else []
    run = retakes("edit", str(source), "-o", str(out), "--op", "recolor", "--mask", str(short_tmp / "mask.png"),
                  "--hue", "120", *args, home=short_tmp / "home")
    assert run.returncode == 0, run.stderr
    src, got = probe(source), probe(out)
    assert src.alpha and got.alpha
    with FrameReader(src, alpha=True) as a, FrameReader(got, alpha=True) as b:
        for (i, before), (_, after) in zip(a.frames(FrameRange(0, 8)), b.frames(FrameRange(0, 8)), strict=True):
            # lossless outputs keep it bit for bit; prores_ks takes alpha at 10 bits, one step is 64 of 65535
            step = 64 if codec == "prores_4444" else 0
            assert np.abs(after[..., 3].astype(int) - before[..., 3]).max() <= step, f"frame {i}'s alpha"
            assert not np.array_equal(after[40:50, 80:100, :3], before[40:50, 80:100, :3]), "the colour was edited"


def test_a_codec_without_alpha_writes_the_colour_alone(short_tmp):
    source = short_tmp / "element"
    source.mkdir()
    for i in range(4):
        cv2.imwrite(str(source / f"el_{i:04d}.png"), cv2.cvtColor(_rgba_frame(i), cv2.COLOR_RGBA2BGRA))
    out = short_tmp / "o.mov"  # ProRes 422 HQ, the .mov default, has no alpha
    run = retakes("edit", str(source), "-o", str(out), "--op", "relight", "--look", "overcast",
                  home=short_tmp / "home")
    assert run.returncode == 0, run.stderr
    assert not probe(out).alpha
    assert "retakes: note: element has an alpha channel that prores_422hq cannot hold" in run.stderr


@pytest.mark.parametrize("ext", [".mov", ".mp4", ".mkv"])
def test_anamorphic_pixels_keep_their_shape_in_the_output(short_tmp, ext):
    """1440x1080 HDV shows at 16:9 through 4:3 pixels: an output that dropped the pixel shape
    would show squeezed, at 4:3. .mov and .mp4 keep it; .mkv (and .mxf) cannot be given it
    through PyAV, so they are refused up front, writing nothing."""
    source = write_index_clip(short_tmp / "hdv.mov", frames=6, rate=FrameRate(Fraction(25)), size=(288, 216),
                              codec="prores_422hq", start_timecode="01:00:00:00", audio=True)
    anamorphic = synthetic.write_clip(short_tmp / "hdv43.mov", lambda i: FrameReader(probe(source)).frame(i),
                                      frames=6, rate="25", sample_aspect_ratio=Fraction(4, 3))
    assert probe(anamorphic).sample_aspect_ratio == Fraction(4, 3)
    out = short_tmp / f"out{ext}"
    run = retakes("edit", str(anamorphic), "-o", str(out), "--op", "relight", "--look", "overcast",
                  home=short_tmp / "home")
    if ext == ".mkv":
        assert run.returncode != 0
        assert "not square (4:3)" in run.stderr and "-o/--output" in run.stderr
        assert not out.exists()
        return
    assert run.returncode == 0, run.stderr
    assert probe(out).sample_aspect_ratio == Fraction(4, 3)


@pytest.mark.parametrize("ext", [".mov", ".mp4", ".mkv", ".mxf"])
def test_every_audio_track_of_the_range_is_kept(short_tmp, ext):
    """Cameras record several audio tracks (one per microphone): all of them, not the first,
    come out with the range, sample for sample (invariant 2)."""
    source = synthetic.write_clip(short_tmp / "cam.mov", lambda i: np.full((128, 256, 3), 90, np.uint8), frames=12,
                                  rate=FrameRate(Fraction(25)), codec="prores_422hq", audio_tracks=3)
    out = short_tmp / f"out{ext}"
    run = retakes("edit", str(source), "-o", str(out), "--op", "relight", "--look", "overcast", "--range", "3:9",
                  home=short_tmp / "home")
    assert run.returncode == 0, run.stderr
    src, got = probe(source), probe(out)
    assert len(src.audio_tracks) == len(got.audio_tracks) == 3
    for track in range(3):
        want = read_audio(src, FrameRange(3, 9), track=track).samples
        assert np.array_equal(read_audio(got, FrameRange(0, 6), track=track).samples, want), f"track {track}"
    assert not np.array_equal(read_audio(src, FrameRange(3, 9), track=0).samples, want)  # the tracks differ


@pytest.mark.parametrize("ext", [".mov", ".mkv", ".mp4"])
def test_an_interlaced_source_comes_out_with_its_field_order(short_tmp, ext):
    """1080i broadcast footage: an output without its field order would be taken for
    progressive by the NLE, and its fields played in the wrong order or blended."""
    source = synthetic.write_clip(short_tmp / "i50.mov", lambda i: np.full((128, 256, 3), 20 * i, np.uint8),
                                  frames=6, rate=FrameRate(Fraction(25)), codec="prores_422hq", field_order="tb")
    assert probe(source).field_order == "tb"
    out = short_tmp / f"out{ext}"
    run = retakes("edit", str(source), "-o", str(out), "--op", "relight", "--look", "overcast",
                  home=short_tmp / "home")
    assert run.returncode == 0, run.stderr
    assert probe(out).field_order in ("tb", "tt")  # top field first; H.264 states only that


def test_a_matte_video_from_track_carries_no_audio(clip, short_tmp):
    """A matte is a picture for compositing: put on a timeline, it must not bring a second copy
    of the shot's sound with it."""
    assert probe(clip).audio is not None
    key = np.zeros((96, 160), np.uint8)
    key[30:70, 40:120] = 255
    cv2.imwrite(str(short_tmp / "key.png"), key)
    out = short_tmp / "matte.mov"
    run = retakes("track", str(clip), "-o", str(out), "--mask", str(short_tmp / "key.png"), "--keyframe", "0",
                  "--range", "0:6", home=short_tmp / "home")
    assert run.returncode == 0, run.stderr
    assert probe(out).audio_tracks == ()
