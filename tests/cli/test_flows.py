"""Issue 17's workflows through the real `retakes` executable: batch variants, webhooks, frame fixing.

Each command runs as a user types it, against one `retakes engine serve` the module shares
(a private engine per command would cost a start each), on a small generated clip.
"""

from __future__ import annotations

import hashlib
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from retakes.bridge.versions import VersionStore, store_file
from retakes.engine.media.synthetic import DemoScene
from tests.cli.test_documented_commands import ok, refused
from tests.engine.service.test_webhooks import Receiver, verified
from tests.support.cli import RETAKES, one_line_error, user_env

RED, BLUE, GREEN = "#C81E1E", "#1E3CC8", "#22AA22"


@dataclass
class Studio:
    root: Path
    env: dict[str, str]

    def retakes(self, *args: str, **env: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(RETAKES), *args], capture_output=True, text=True, timeout=240,
                              env={**self.env, **env}, cwd=self.root)

    def store(self) -> VersionStore:
        return VersionStore(store_file(Path(self.env["RETAKES_HOME"]) / "versions"))


@pytest.fixture(scope="module")
def studio() -> Iterator[Studio]:
    root = Path(tempfile.mkdtemp(prefix="rtk-flows-", dir="/tmp"))
    scene = DemoScene(64, 48, 16, 24)
    scene.write(root / "shot.mov", start_timecode="01:00:00:00")
    key = np.zeros((48, 64), np.uint8)
    key[14:34, 18:46] = 255
    cv2.imwrite(str(root / "key.png"), key)
    env = user_env(root / "home")
    socket = root / "e.sock"
    engine = subprocess.Popen([str(RETAKES), "engine", "serve", "--socket", str(socket)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert "listening" in engine.stdout.readline()
        yield Studio(root, {**env, "RETAKES_ENGINE": f"unix://{socket}"})
    finally:
        engine.send_signal(signal.SIGTERM)
        engine.communicate(timeout=60)
        shutil.rmtree(root, ignore_errors=True)


def frames(path: Path) -> list[np.ndarray]:
    if path.is_dir():
        return [cv2.imread(str(p), cv2.IMREAD_UNCHANGED) for p in sorted(path.glob("*.png"))]
    with av.open(str(path)) as f:
        return [frame.to_ndarray(format="rgb24") for frame in f.decode(video=0)]


def packets(path: Path) -> list[bytes]:
    if path.is_dir():
        return [p.read_bytes() for p in sorted(path.glob("*.png"))]
    with av.open(str(path)) as f:
        return [bytes(p) for p in f.demux(video=0) if p.size]


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ------------------------------------------------------------------ batch variants


def test_repeated_colors_are_variants_byte_identical_to_separate_jobs(studio):
    run = ok(studio.retakes("edit", "shot.mov", "-o", "car.mkv", "--op", "recolor", "--mask", "key.png",
                            "--color", RED, "--color", BLUE))
    red, blue = studio.root / "car_C81E1E.mkv", studio.root / "car_1E3CC8.mkv"
    assert f"variant C81E1E: wrote {red} (16 frames" in run.stdout
    assert f"variant 1E3CC8: wrote {blue} (16 frames" in run.stdout
    assert not (studio.root / "car.mkv").exists()
    for color, variant in ((RED, red), (BLUE, blue)):
        alone = studio.root / f"alone_{color[1:]}.mkv"
        ok(studio.retakes("edit", "shot.mov", "-o", str(alone), "--op", "recolor", "--mask", "key.png",
                          "--color", color, "--no-version"))
        assert sha(alone) == sha(variant)
    assert sha(red) != sha(blue)
    # each variant is its own version, its lineage showing its own colour
    with studio.store() as store:
        made = {v.params.get("color"): v for v in store.list_versions() if v.job_id}
    assert {RED, BLUE} <= set(made)


def test_a_variants_file_csv_or_yaml_names_each_output(studio):
    (studio.root / "looks.csv").write_text("name,exposure,temperature\nwarm,0.5,3200\ncool,,7500\n")
    run = ok(studio.retakes("edit", "shot.mov", "-o", "graded/", "--op", "relight", "--exposure", "-1",
                            "--variants", "looks.csv", "--no-version"))
    warm, cool = studio.root / "graded_warm", studio.root / "graded_cool"
    assert "variant warm: wrote" in run.stdout and len(list(warm.glob("*.png"))) == 16
    # `cool` leaves exposure to the command line's -1: equal to that job alone
    ok(studio.retakes("edit", "shot.mov", "-o", "cool_alone/", "--op", "relight", "--exposure", "-1",
                      "--temperature", "7500", "--no-version"))
    assert packets(cool) == packets(studio.root / "cool_alone")
    assert packets(warm) != packets(cool)

    (studio.root / "hues.yaml").write_text("- {name: h30, hue: 30}\n- {name: h90, hue: 90}\n")
    ok(studio.retakes("edit", "shot.mov", "-o", "hue.mkv", "--op", "recolor", "--mask", "key.png",
                      "--variants", "hues.yaml", "--no-version"))
    assert (studio.root / "hue_h30.mkv").is_file() and (studio.root / "hue_h90.mkv").is_file()


def test_a_bad_variant_is_refused_naming_it_and_nothing_is_written(studio):
    (studio.root / "bad.csv").write_text("name,color\nok,#112233\nbad,purple\n")
    line = one_line_error(studio.retakes("edit", "shot.mov", "-o", "bad.mkv", "--op", "recolor", "--mask",
                                         "key.png", "--variants", "bad.csv"))
    assert line.startswith("retakes: error: variant 2 (--color): expected a colour"), line
    assert not list(studio.root.glob("bad_*.mkv"))
    (studio.root / "odd.txt").write_text("x")
    assert "--variants: expected a .csv, .yaml or .yml" in one_line_error(
        studio.retakes("edit", "shot.mov", "-o", "x.mkv", "--op", "relight", "--variants", "odd.txt"))
    assert "--color and --hue" in one_line_error(studio.retakes(
        "edit", "shot.mov", "-o", "x.mkv", "--op", "recolor", "--mask", "key.png", "--color", RED, "--color",
        BLUE, "--hue", "1", "--hue", "2"))


# ------------------------------------------------------------------ webhooks


def test_webhook_from_the_command_line_secret_from_a_file_or_the_environment(studio):
    (studio.root / "hook.secret").write_text("file-secret\n")
    with Receiver() as receiver:
        ok(studio.retakes("edit", "shot.mov", "-o", "hooked.mkv", "--op", "relight", "--exposure", "0.3",
                          "--webhook", receiver.url, "--webhook-secret-file", "hook.secret", "--no-version"))
        receiver.wait_for(1)
        message = verified(*receiver.got[0], secret="file-secret")
        assert message["event"] == "job.succeeded"
        assert message["job"]["result"]["outputs"][0]["path"] == str(studio.root / "hooked.mkv")
        ok(studio.retakes("edit", "shot.mov", "-o", "hooked2.mkv", "--op", "relight", "--exposure", "0.3",
                          "--webhook", receiver.url, "--no-version", RETAKES_WEBHOOK_SECRET="env-secret"))
        receiver.wait_for(2)
        assert verified(*receiver.got[1], secret="env-secret")["event"] == "job.succeeded"
    # no secret at all: refused before anything runs
    line = refused(studio.retakes("edit", "shot.mov", "-o", "nohook.mkv", "--op", "relight", "--exposure", "1",
                                  "--webhook", "http://127.0.0.1:9/x"), "--webhook-secret-file")
    assert "RETAKES_WEBHOOK_SECRET" in line and not (studio.root / "nohook.mkv").exists()
    (studio.root / "empty.secret").write_text("")
    for secret_file, words in (("missing.secret", "No such file"), ("empty.secret", "is empty")):
        line = one_line_error(studio.retakes("edit", "shot.mov", "-o", "nohook.mkv", "--op", "relight", "--exposure",
                                             "1", "--webhook", "http://127.0.0.1:9/x", "--webhook-secret-file",
                                             secret_file))
        assert line.startswith("retakes: error: --webhook-secret-file: ") and words in line, line
    help_text = ok(studio.retakes("edit", "--help")).stdout
    assert "RETAKES_WEBHOOK_SECRET" in " ".join(help_text.split())


# ------------------------------------------------------------------ frame fixing


def _version_of(studio: Studio, output: Path):
    with studio.store() as store:
        return store.find_version(str(output))


@pytest.mark.parametrize("out", ["orig.mkv", "orig.mov", "orig_png/"])
def test_fix_renders_only_the_range_and_keeps_every_other_frame(studio, out):
    name = out.rstrip("/")
    ok(studio.retakes("edit", "shot.mov", "-o", out, "--op", "recolor", "--mask", "key.png", "--color", RED))
    old = _version_of(studio, studio.root / name)
    fixed_name = f"fixed_{name}" if "." not in name else name.replace("orig", "fixed")
    fixed_out = fixed_name + ("/" if out.endswith("/") else "")
    run = ok(studio.retakes("edit", "--fix", f"{old.source_key}:{old.label}", "--range", "5:9", "-o", fixed_out,
                            "--color", GREEN))
    assert "fixed output frames 5:9" in run.stderr
    fresh_name = fixed_name.replace("fixed", "fresh")
    ok(studio.retakes("edit", "shot.mov", "-o", fresh_name + ("/" if out.endswith("/") else ""), "--op", "recolor",
                      "--mask", "key.png", "--color", GREEN, "--no-version"))
    before, after, fresh = (frames(studio.root / n) for n in (name, fixed_name, fresh_name))
    old_packets, new_packets = packets(studio.root / name), packets(studio.root / fixed_name)
    assert len(after) == len(before) == 16
    for i in range(16):
        if 5 <= i < 9:
            assert np.array_equal(after[i], fresh[i]), i
            assert not np.array_equal(after[i], before[i]), i
        else:
            assert new_packets[i] == old_packets[i], i  # untouched: the same bytes
            assert np.array_equal(after[i], before[i]), i
    # the lineage records the fix: the new version comes from the old one, with the frames
    new = _version_of(studio, studio.root / fixed_name)
    assert new.parent_id == old.id and new.params["fixed_frames"] == "5:9" and new.params["color"] == GREEN
    assert f"{new.label} <- {old.label}" in ok(studio.retakes("versions", "show", old.source_key)).stdout
    if out == "orig.mkv":  # a new value of the op's other alternative (hue for a colour) replaces it
        hued = studio.root / "fixed_hue.mkv"
        ok(studio.retakes("edit", "--fix", str(studio.root / name), "--range", "2:3", "-o", str(hued), "--hue", "90"))
        assert _version_of(studio, hued).params.get("color") is None


def test_fix_of_a_long_gop_version_reencodes_whole_gops_and_says_so(studio):
    ok(studio.retakes("edit", "shot.mov", "-o", "view.mp4", "--op", "recolor", "--mask", "key.png", "--color", RED))
    old = _version_of(studio, studio.root / "view.mp4")
    run = ok(studio.retakes("edit", "--fix", str(studio.root / "view.mp4"), "--range", "5:9", "-o", "view_fix.mp4",
                            "--color", GREEN))
    assert "long-GOP" in run.stderr and "lossy" in run.stderr
    assert len(frames(studio.root / "view_fix.mp4")) == 16
    assert _version_of(studio, studio.root / "view_fix.mp4").parent_id == old.id


def test_fix_refusals_name_the_option(studio):
    ok(studio.retakes("edit", "shot.mov", "-o", "tofix.mkv", "--op", "recolor", "--mask", "key.png", "--color", RED))
    old = _version_of(studio, studio.root / "tofix.mkv")
    ref = f"{old.source_key}:{old.label}"
    assert "--range" in one_line_error(studio.retakes("edit", "--fix", ref, "-o", "f1.mkv", "--color", GREEN))
    line = one_line_error(studio.retakes("edit", "--fix", ref, "--range", "10:40", "-o", "f2.mkv"))
    assert line.startswith("retakes: error: --range: expected source frames A:B inside the version's range"), line
    assert "--fix" in one_line_error(studio.retakes("edit", "--fix", "nope:v009", "--range", "1:2", "-o", "f3.mkv"))
    # another codec cannot take the old packets
    line = one_line_error(studio.retakes("edit", "--fix", ref, "--range", "1:2", "-o", "f4.mov"))
    assert line.startswith("retakes: error: --fix: ") and "ffv1" in line and "prores" in line, line
    assert not any((studio.root / n).exists() for n in ("f1.mkv", "f2.mkv", "f3.mkv", "f4.mov"))
