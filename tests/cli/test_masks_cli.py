"""Masks through the installed `retakes` executable: multi-object masks, masks on several frames,
what the tracker reports when it loses the object, and propagate given an unedited keyframe."""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from retakes.engine.media import FrameReader, probe
from retakes.engine.media.synthetic import write_index_clip
from retakes.engine.timecode import FrameRange, FrameRate
from retakes.engine.vision.scenes import make_scene, with_pole

RETAKES = Path(sys.executable).with_name("retakes")


def retakes(*args: str, home: Path, timeout: float = 240) -> subprocess.CompletedProcess:
    env = {**os.environ, "RETAKES_HOME": str(home)}
    env.pop("RETAKES_ENGINE", None)
    return subprocess.run([str(RETAKES), *map(str, args)], capture_output=True, text=True, env=env, timeout=timeout)


def notes(run: subprocess.CompletedProcess) -> list[str]:
    prefix = "retakes: note: "
    return [line.removeprefix(prefix) for line in run.stderr.splitlines() if line.startswith(prefix)]


def iou(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a > 127, b > 127
    return (a & b).sum() / max((a | b).sum(), 1)


@pytest.fixture(scope="module")
def pole(tmp_path_factory):
    """24 frames (a PNG sequence) of an object a pole sweeps across over frames ~9-18, its true
    masks, and the masks of frames 0 and 20 as files."""
    root = tmp_path_factory.mktemp("pole")
    scene = with_pole(make_scene(192, 144, 24, seed=0, speed=(2.5, 0.5)), x0=200, speed=-9, width=30)
    (root / "shot").mkdir()
    for i, frame in enumerate(scene.frames):
        cv2.imwrite(str(root / "shot" / f"{i:04d}.png"), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    for i in (0, 20):
        cv2.imwrite(str(root / f"mask{i}.png"), scene.masks[i])
    return root, scene


def lost_frames(note: str) -> set[int]:
    spans = note.split(" frames: ", 1)[1].split(" (source frames")[0]
    frames: set[int] = set()
    for part in spans.split(", "):
        a, _, b = part.partition(":")
        frames |= set(range(int(a), int(b) if b else int(a) + 1))
    return frames


def test_track_says_which_frames_lost_the_object_and_writes_the_confidence(pole, short_tmp):
    root, scene = pole
    out, table = short_tmp / "masks", short_tmp / "confidence.csv"
    run = retakes("track", root / "shot", "-o", out, "--mask", root / "mask0.png", "--keyframe", "0",
                  "--confidence", table, home=short_tmp / "home")
    assert run.returncode == 0, run.stderr
    assert f"wrote {out}" in run.stdout
    (note,) = notes(run)
    got = [cv2.imread(str(out / f"{i:05d}.png"), cv2.IMREAD_GRAYSCALE) for i in range(24)]
    gone = {i for i in range(24) if iou(got[i], scene.masks[i]) < 0.1}
    assert set(range(15, 24)) <= gone  # the object really is lost after the pole
    assert gone <= lost_frames(note) <= set(range(12, 24)), note
    assert "--mask-frame" in note
    with open(table, newline="") as f:
        rows = list(csv.DictReader(f))
    assert [int(r["frame"]) for r in rows] == list(range(24))
    confidence = [float(r["confidence"]) for r in rows]
    assert confidence[0] == 1.0 and max(confidence[15:]) < 0.3 and min(confidence[:10]) > 0.9


def test_a_second_mask_after_the_occlusion_brings_the_object_back(pole, short_tmp):
    root, scene = pole
    out = short_tmp / "masks"
    run = retakes("track", root / "shot", "-o", out, "--mask", root / "mask0.png", "--keyframe", "0",
                  "--mask", root / "mask20.png", "--keyframe", "20", home=short_tmp / "home")
    assert run.returncode == 0, run.stderr
    got = [cv2.imread(str(out / f"{i:05d}.png"), cv2.IMREAD_GRAYSCALE) for i in range(24)]
    np.testing.assert_array_equal(got[20], scene.masks[20])  # a frame given a mask uses it exactly
    np.testing.assert_array_equal(got[0], scene.masks[0])
    assert min(iou(got[i], scene.masks[i]) for i in range(15, 24)) > 0.8
    assert not [n for n in notes(run) if max(lost_frames(n)) >= 15], run.stderr


def test_an_op_that_tracks_takes_masks_on_several_frames(pole, short_tmp):
    """recolor, given mask images, tracks them: with frame 0's alone the object is lost and left
    unedited after the pole (and the note says so); with frame 20's too it is recoloured there."""
    root, scene = pole
    edited = {}
    for masks in (["--mask", root / "mask0.png"],
                  ["--mask", root / "mask0.png", "--mask-frame", "0", "--mask", root / "mask20.png",
                   "--mask-frame", "20"]):
        out = short_tmp / f"recolor{len(masks)}"
        run = retakes("edit", root / "shot", "-o", out, "--op", "recolor", "--hue", "150", *masks,
                      home=short_tmp / "home")
        assert run.returncode == 0, run.stderr
        frame = cv2.cvtColor(cv2.imread(str(out / "00022.png")), cv2.COLOR_BGR2RGB)
        inside = scene.masks[22] > 127
        edited[len(masks)] = (np.abs(frame.astype(int) - scene.frames[22]).sum(-1)[inside] > 30).mean()
        lost = [n for n in notes(run) if "lost" in n]
        assert bool(lost) == (len(masks) == 2), run.stderr
    assert edited[2] < 0.1 < 0.8 < edited[8], edited


def test_masks_on_several_frames_come_in_pairs(pole, short_tmp):
    root, _ = pole
    out = short_tmp / "never"
    base = ["edit", root / "shot", "-o", out, "--op", "recolor", "--hue", "30"]
    run = retakes(*base, "--mask", root / "mask0.png", "--mask", root / "mask20.png", home=short_tmp / "home")
    # a usage error, found before any engine is asked (its prefix is the CLI's, "error:" or not)
    assert run.returncode == 2 and re.match(r"retakes: (error: )?--mask-frame: .*in pairs", run.stderr), run.stderr
    run = retakes(*base, "--mask", root / "mask0.png", "--mask-frame", "0", "--mask", root / "mask20.png",
                  "--mask-frame", "99", home=short_tmp / "home")
    assert run.returncode == 1, run.stderr
    (line,) = run.stderr.strip().splitlines()
    assert line.startswith("retakes: error: --mask-frame #2: mask frame 99 is outside the range 0:24"), line
    assert not out.exists()


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("clip") / "shot.mkv"
    write_index_clip(path, frames=8, rate=FrameRate(Fraction(24)), size=(160, 96), codec="ffv1", audio=False)
    return path


def test_propagate_of_an_unedited_keyframe_writes_the_source_and_says_so(clip, short_tmp):
    with FrameReader(probe(clip)) as reader:
        key = reader.frame(3)
    cv2.imwrite(str(short_tmp / "key.png"), cv2.cvtColor(key, cv2.COLOR_RGB2BGR))
    out = short_tmp / "out.mkv"
    run = retakes("edit", clip, "-o", out, "--op", "propagate", "--keyframe", "3", "--edited", short_tmp / "key.png",
                  home=short_tmp / "home")
    assert run.returncode == 0, run.stderr  # was: internal error (cv2.remap of an empty map)
    assert f"wrote {out}" in run.stdout
    (note,) = notes(run)
    assert "keyframe 3 shows no change from the source" in note and "the output is the source" in note
    with FrameReader(probe(clip)) as src, FrameReader(probe(out)) as dst:
        for (_, a), (_, b) in zip(src.frames(FrameRange(0, 8)), dst.frames(FrameRange(0, 8)), strict=True):
            np.testing.assert_array_equal(a, b)


def _objects() -> np.ndarray:
    labels = np.zeros((96, 160), np.uint8)
    labels[10:40, 10:50] = 1
    labels[30:80, 90:150] = 2
    labels[70:90, 20:60] = 3
    return labels


def test_a_palette_mask_with_several_objects_is_refused_then_picked(clip, short_tmp):
    labels = _objects()
    image = Image.fromarray(labels, "P")
    image.putpalette([0, 0, 0, 128, 0, 0, 0, 128, 0, 128, 128, 0] + [0] * 756)  # DAVIS's colours
    image.save(short_tmp / "ids.png")
    out = short_tmp / "masks"
    run = retakes("track", clip, "-o", out, "--mask", short_tmp / "ids.png", "--keyframe", "2",
                  home=short_tmp / "home")
    assert run.returncode == 1
    (line,) = run.stderr.strip().splitlines()
    assert line.startswith("retakes: error: --mask: ids.png is a palette mask with 3 objects: "
                           "index 1 (#800000, 1,200 px); index 2 (#008000, 3,000 px); index 3 (#808000, 800 px); "
                           "pick one with --mask-index N"), line
    assert not out.exists()
    run = retakes("track", clip, "-o", out, "--mask", short_tmp / "ids.png", "--keyframe", "2", "--mask-index", "2",
                  home=short_tmp / "home")
    assert run.returncode == 0, run.stderr
    np.testing.assert_array_equal(cv2.imread(str(out / "00002.png"), cv2.IMREAD_GRAYSCALE),
                                  np.where(labels == 2, 255, 0))


def test_a_colour_mask_names_its_colours_and_a_bad_pick_names_the_option(clip, short_tmp):
    labels = _objects()
    bgr = np.zeros((96, 160, 3), np.uint8)
    bgr[labels == 1], bgr[labels == 2] = (255, 0, 0), (0, 0, 255)  # blue, red (OpenCV writes BGR)
    cv2.imwrite(str(short_tmp / "ids.png"), bgr)
    base = ["edit", clip, "-o", short_tmp / "never.mkv", "--op", "recolor", "--hue", "40",
            "--mask", short_tmp / "ids.png"]
    run = retakes(*base, home=short_tmp / "home")
    assert run.returncode == 1
    assert re.match(r"retakes: error: --mask: ids\.png is a colour mask with 2 objects: 1 = #0000FF \(1,200 px\); "
                    r"2 = #FF0000 \(3,000 px\)", run.stderr), run.stderr
    run = retakes(*base, "--mask-index", "7", home=short_tmp / "home")
    assert run.returncode == 1 and run.stderr.startswith("retakes: error: --mask-index: ids.png has no object 7")
    assert not (short_tmp / "never.mkv").exists()


@pytest.mark.parametrize("command", ["edit", "track"])
def test_help_says_how_masks_are_read(command, short_tmp):
    run = retakes(command, "--help", home=short_tmp / "home")
    assert run.returncode == 0
    text = " ".join(run.stdout.split())
    assert "white on black" in text and ">= 128" in text and "palette PNG" in text and "--mask-index" in text
    assert "--confidence" in text
