"""`retakes edit` through the real entry point: an existing output is kept unless --overwrite,
and a number that is no number is refused naming its option (issue 13, items 12 and 21)."""

from __future__ import annotations

import os
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import av
import pytest

from retakes.engine.media.synthetic import write_index_clip
from retakes.engine.timecode import FrameRate

RETAKES = str(Path(sys.executable).with_name("retakes"))


def retakes(*args: str, home: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "RETAKES_HOME": str(home)}
    env.pop("RETAKES_ENGINE", None)
    return subprocess.run([RETAKES, *args], capture_output=True, text=True, env=env, timeout=240)


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    return write_index_clip(tmp_path_factory.mktemp("cli") / "shot.mov", frames=6, rate=FrameRate(Fraction(25)),
                            size=(64, 48), codec="prores_422hq", audio=False)


def test_an_existing_output_is_kept_unless_overwrite_is_given(clip, short_tmp):
    out = short_tmp / "graded.mov"
    out.write_bytes(b"yesterday's grade")
    run = retakes("edit", str(clip), "-o", str(out), "--op", "relight", "--exposure", "1", home=short_tmp / "h")
    assert run.returncode != 0
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "-o/--output: " in lines[0], run.stderr
    assert "already exists" in lines[0] and "--overwrite" in lines[0]
    assert out.read_bytes() == b"yesterday's grade"

    run = retakes("edit", str(clip), "-o", str(out), "--op", "relight", "--exposure", "1", "--overwrite",
                  home=short_tmp / "h")
    assert run.returncode == 0, run.stderr
    with av.open(str(out)) as container:
        assert container.streams.video[0].frames == 6


def test_track_keeps_an_existing_mask_folder_unless_overwrite(clip, short_tmp):
    import cv2
    import numpy as np

    key = short_tmp / "key.png"
    m = np.zeros((48, 64), np.uint8)
    m[10:30, 20:40] = 255
    cv2.imwrite(str(key), m)
    out = short_tmp / "mattes"
    first = retakes("track", str(clip), "-o", str(out), "--mask", str(key), "--keyframe", "0", home=short_tmp / "h")
    assert first.returncode == 0, first.stderr
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    again = retakes("track", str(clip), "-o", str(out), "--mask", str(key), "--keyframe", "0", home=short_tmp / "h")
    assert again.returncode != 0 and "-o/--output" in again.stderr and "--overwrite" in again.stderr
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    forced = retakes("track", str(clip), "-o", str(out), "--mask", str(key), "--keyframe", "0", "--overwrite",
                     home=short_tmp / "h")
    assert forced.returncode == 0, forced.stderr


@pytest.mark.parametrize(("flag", "value"), [("--temperature", "nan"),
                                             ("--temperature=-inf", None)])
def test_a_non_finite_number_is_refused_naming_its_option(clip, short_tmp, flag, value):
    out = short_tmp / "never.mov"
    given = [flag] if value is None else [flag, value]  # "-inf" alone would read as an option
    run = retakes("edit", str(clip), "-o", str(out), "--op", "relight", *given, home=short_tmp / "h")
    assert run.returncode != 0
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and flag.split("=")[0] in lines[0] and "finite" in lines[0], run.stderr
    assert not out.exists()
