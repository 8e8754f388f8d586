"""`retakes edit --op restyle --reference IMG` as a user types it."""

from __future__ import annotations

import cv2
import numpy as np

from retakes.engine.media import FrameReader, probe
from retakes.engine.vision.scenes import make_scene
from retakes.engine.vision.style_transfer import LabStats, sample_pixels, to_oklab
from tests.support.cli import one_line_error, retakes


def test_restyle_from_a_reference_with_a_mask(tmp_path):
    scene = make_scene(96, 64, 8, seed=5)
    (tmp_path / "clip").mkdir()
    for i, frame in enumerate(scene.frames):
        cv2.imwrite(str(tmp_path / "clip" / f"{i:04d}.png"), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    cv2.imwrite(str(tmp_path / "mask.png"), scene.masks[0])
    ref = np.zeros((40, 60, 3), np.uint8)
    ref[..., 0] = np.linspace(30, 240, 60, dtype=np.uint8)[None]  # a warm ramp: red rising, little blue
    ref[..., 1] = np.linspace(10, 150, 40, dtype=np.uint8)[:, None]
    ref[..., 2] = 25
    cv2.imwrite(str(tmp_path / "look.png"), cv2.cvtColor(ref, cv2.COLOR_RGB2BGR))
    whole = retakes("edit", str(tmp_path / "clip"), "-o", str(tmp_path / "whole.mkv"), "--op", "restyle",
                    "--reference", str(tmp_path / "look.png"), "--no-version", home=tmp_path)
    assert whole.returncode == 0, whole.stderr
    with FrameReader(probe(tmp_path / "whole.mkv")) as reader:
        out = [f for _, f in reader.frames(reader.frame_range)]
    got = LabStats.of(to_oklab(sample_pixels(out, [None] * len(out))[:, None, :]), 3)
    want = LabStats.of(to_oklab(ref / 255.0), 3)
    assert np.abs(got.quantiles - want.quantiles).max() < 0.02
    assert np.abs(got.mean - want.mean).max() < 0.02

    masked = retakes("edit", str(tmp_path / "clip"), "-o", str(tmp_path / "masked.mkv"), "--op", "restyle",
                     "--reference", str(tmp_path / "look.png"), "--mask", str(tmp_path / "mask.png"),
                     "--feather", "2", "--no-version", home=tmp_path)
    assert masked.returncode == 0, masked.stderr
    with FrameReader(probe(tmp_path / "masked.mkv")) as reader:
        frame = reader.frame(0)
    outside = cv2.dilate(scene.masks[0], np.ones((9, 9), np.uint8)) == 0
    assert np.array_equal(frame[outside], scene.frames[0][outside])  # invariant 1, lossless output

    both = retakes("edit", str(tmp_path / "clip"), "-o", str(tmp_path / "x.mkv"), "--op", "restyle",
                   "--reference", str(tmp_path / "look.png"), "--style", "ink", home=tmp_path)
    assert both.returncode != 0 and "--style or --reference" in one_line_error(both)
    missing = retakes("edit", str(tmp_path / "clip"), "-o", str(tmp_path / "x.mkv"), "--op", "restyle",
                      "--reference", str(tmp_path / "nosuch.png"), home=tmp_path)
    assert missing.returncode != 0 and "--reference" in one_line_error(missing)
    assert not (tmp_path / "x.mkv").exists()
