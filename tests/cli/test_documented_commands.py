"""Every command README.md shows and every command a `--help` names, run as a user runs it.

Issue 13's first guard and issue 21's item 4: a documented command that vanishes (a room's
module misspelt in `_ROOM_COMMANDS`) or crashes on start (`args.run` vs `func`) fails here,
because nothing here builds a parser in-process. Everything goes through the installed
`retakes` executable (or `python -m ...` / `python installers/...` where the README shows that
form) in a subprocess, on the demo media, against a real `retakes engine serve`.

Data-driven:
- The commands come from README.md: each line of its code blocks, and each inline code span,
  that starts with `retakes`, `python -m retakes.` or `python installers/` (setup commands,
  pip, venv and pytest, are CI's to run).
- The command tree is what the executable reports: `retakes PATH __probe__ --help` lists a
  group's subcommands in its "invalid choice" error and prints a command's help otherwise.
  Every help text is searched for the commands it names in backquotes.
- Every command path the README or a help text names must exist in that tree.
- A README line that names real files (`retakes edit shot.mov -o shot_night.mov ...`) is run
  as it stands, in a folder holding those files. A synopsis (`retakes jobs list|watch|cancel`,
  placeholders in capitals) and every command in the tree are run by the SCENARIOS below,
  each asserting what the user relies on. A command with no scenario yet (one a merge just
  added) still has to show its help and refuse a bare call without a traceback.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import av
import cv2
import grpc
import numpy as np
import opentimelineio as otio
import pytest
from opentimelineio.opentime import RationalTime, TimeRange

from retakes import __version__
from retakes.engine.client import EngineClient, EngineError
from retakes.engine.media import probe
from retakes.engine.media.synthetic import DemoScene
from retakes.engine.ops import REGISTRY
from retakes.engine.timecode import FrameRate, timecode_to_frames
from retakes.v1 import engine_pb2
from tests.support.cli import RETAKES, user_env
from tests.support.fake_frameio import FakeFrameio

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
PROBE = "__probe__"

# -------------------------------------------------------------------- the README's commands


@dataclass(frozen=True)
class Documented:
    """One command as the README shows it."""

    words: tuple[str, ...]  # as shlex splits it, `retakes`/`python` first
    line: str  # the README's text
    where: str  # "README.md:LINE" (fenced) or "README.md:LINE (inline)"
    fenced: bool

    @property
    def text(self) -> str:
        """The command alone: no comment, no setup commands before it."""
        return " ".join(self.words)

    @property
    def kind(self) -> str:
        return "retakes" if self.words[0] == "retakes" else "python"

    @property
    def synopsis(self) -> bool:
        """Placeholders (SOURCE, A:B, [options]) or alternatives (list|watch): not runnable as is."""
        return any(_placeholder(w) for w in self.words[1:])

    @property
    def paths(self) -> list[tuple[str, ...]]:
        """The command paths it names, alternatives expanded: `jobs list|watch` -> jobs list, jobs watch."""
        if self.kind == "python":
            return [tuple(self.words[1:3]) if self.words[1] == "-m" else tuple(self.words[1:3])]
        head: list[str] = []
        for word in self.words[1:]:
            if word.startswith("-") or _placeholder(word.replace("|", "")) or not re.fullmatch(r"[a-z|]+", word):
                break
            head.append(word)
        if not head:
            return [()]
        *group, last = head
        return [(*group, alt) for alt in last.split("|")]


def _placeholder(word: str) -> bool:
    return bool(re.search(r"[A-Z]{2}|^[A-Z]:|:[A-Z]$|[\[\]|]|\.\.\.", word))


def _commands_in(text: str) -> list[list[str]]:
    """The product commands in one line of shell: `a && b` split, `VAR=x` prefixes dropped."""
    try:
        words = shlex.split(text, comments=True)
    except ValueError:
        return []
    found, current = [], []
    for word in [*words, "&&"]:
        if word in ("&&", ";", "|"):
            while current and re.fullmatch(r"[A-Z_]+=\S*", current[0]):
                current.pop(0)
            if current:
                name = Path(current[0]).name
                if name == "retakes":
                    found.append(["retakes", *current[1:]])
                elif name in ("python", "python3") and len(current) > 1 and (
                        current[1:2] == ["-m"] and current[2:3] and current[2].startswith("retakes.")
                        or current[1].startswith("installers/")):
                    found.append(["python", *current[1:]])
            current = []
        else:
            current.append(word)
    return found


def readme_commands() -> list[Documented]:
    commands: list[Documented] = []
    fenced = False
    for number, line in enumerate(README.read_text().splitlines(), 1):
        if line.lstrip().startswith("```"):
            fenced = not fenced
            continue
        if fenced:
            commands += [Documented(tuple(w), line.strip(), f"README.md:{number}", True) for w in _commands_in(line)]
            continue
        for span in re.findall(r"`([^`]+)`", line):
            commands += [Documented(tuple(w), span, f"README.md:{number} (inline)", False) for w in _commands_in(span)]
    return commands


README_COMMANDS = readme_commands()

# -------------------------------------------------------------------- the executable's tree


@dataclass
class Tree:
    """What `retakes` itself says it has: groups with their subcommands, commands with their help."""

    groups: dict[tuple[str, ...], list[str]] = field(default_factory=dict)
    helps: dict[tuple[str, ...], str] = field(default_factory=dict)

    @property
    def commands(self) -> list[tuple[str, ...]]:
        return sorted(set(self.helps) - set(self.groups))

    def has(self, path: tuple[str, ...]) -> bool:
        return path in self.helps or path in self.groups


def _run(args: list[str], env: dict[str, str], cwd: Path | None = None, timeout: float = 120,
         **popen) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout, env=env, cwd=cwd, **popen)


def _probe(path: tuple[str, ...], env: dict[str, str]) -> tuple[str, list[str] | None]:
    """(help text, subcommands or None) of `retakes PATH`: a group names its subcommands when
    given one it does not have; a command given an extra word and --help prints its help."""
    run = _run([str(RETAKES), *path, PROBE, "--help"], env)
    assert "Traceback" not in run.stderr, (path, run.stderr)
    choices = re.search(r"invalid choice: '__probe__' \(choose from (.*?)\)", run.stderr)
    if run.returncode == 2 and choices:
        shown = _run([str(RETAKES), *path, "--help"], env)
        assert shown.returncode == 0 and "Traceback" not in shown.stderr, (path, shown.stderr)
        return shown.stdout, [c.strip(" '\"") for c in choices.group(1).split(",")]
    assert run.returncode == 0, f"`retakes {' '.join(path)} --help` failed: {run.stderr}"
    return run.stdout, None


def walk_tree(env: dict[str, str]) -> Tree:
    tree = Tree()
    frontier: list[tuple[str, ...]] = [()]
    with ThreadPoolExecutor(max_workers=4) as pool:
        while frontier:
            found = list(zip(frontier, pool.map(lambda p: _probe(p, env), frontier), strict=True))
            frontier = []
            for path, (text, names) in found:
                tree.helps[path] = text
                if names is not None:
                    tree.groups[path] = names
                    frontier += [(*path, name) for name in names]
    return tree


def help_references(tree: Tree) -> list[tuple[tuple[str, ...], str]]:
    """(command path, "help of `retakes X`") for every backquoted `retakes ...` in a help text."""
    found = []
    for path, text in tree.helps.items():
        flat = " ".join(text.split())  # argparse wraps lines, also inside backquotes
        for span in re.findall(r"`([^`]+)`", flat):
            for words in _commands_in(span):
                if words[0] == "retakes":
                    for ref in Documented(tuple(words), span, "", False).paths:
                        found.append((ref, f"the help of `retakes {' '.join(path)}`".replace("  ", " ")))
    return found

# -------------------------------------------------------------------- the workspace


@dataclass
class Workspace:
    """A user's folder with the README's files in it, and an engine running for them."""

    root: Path
    env: dict[str, str]
    engine: subprocess.Popen
    socket: Path
    tree: Tree | None = None

    def retakes(self, *args: str, cwd: Path | None = None, timeout: float = 240, **env: str):
        return _run([str(RETAKES), *args], {**self.env, **env}, cwd=cwd or self.root, timeout=timeout)

    def python(self, *args: str, timeout: float = 240, **env: str):
        # `python installers/...` from the checkout, as the README says; `python -m` from the user's folder.
        cwd = ROOT if args[0].startswith("installers/") else self.root
        return _run([sys.executable, *args], {**self.env, **env}, cwd=cwd, timeout=timeout)

    def client(self) -> EngineClient:
        return EngineClient(f"unix://{self.socket}")


def _write_media(root: Path) -> None:
    # shot.mov covers the README's --range 01:00:10:00-01:00:14:00 (24 fps) with room either side,
    # and its keyframe examples' frame 120.
    scene = DemoScene(160, 96, 144, 24)
    scene.write(root / "shot.mov", start_timecode="01:00:09:12")
    scene.write_masks(root / "car_masks")
    # The keyframe examples' files: frame 120's car mask, and that frame edited by hand (the car
    # painted blue), as `retakes keyframe ... -o key.png` would leave its second variant.
    car = scene.mask(120)
    cv2.imwrite(str(root / "car.png"), car)
    with av.open(str(root / "shot.mov")) as container:
        frame = next(f for i, f in enumerate(container.decode(video=0)) if i == 120).to_ndarray(format="bgr24")
    frame[car > 127] = (200, 60, 30)
    cv2.imwrite(str(root / "key_2.png"), frame)
    sky = np.zeros((96, 160), np.uint8)
    sky[:40] = 255
    cv2.imwrite(str(root / "sky.png"), sky)
    # look.png: the README's reference image for `--op restyle --reference`, a warm dusk ramp
    look = np.zeros((48, 64, 3), np.uint8)
    look[..., 2] = np.linspace(40, 230, 64, dtype=np.uint8)[None]
    look[..., 1] = np.linspace(20, 140, 48, dtype=np.uint8)[:, None]
    look[..., 0] = 30
    cv2.imwrite(str(root / "look.png"), look)
    # cut.xml: an FCP7 XML timeline (as Premiere or Resolve export it) with A012_C003 on V1.
    from retakes.bridge.timeline.formats import write_timeline

    start = timecode_to_frames("01:00:09:12", FrameRate(24))
    timeline = otio.schema.Timeline(name="cut", global_start_time=RationalTime(86400, 24))
    track = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    track.append(otio.schema.Gap(source_range=TimeRange(RationalTime(0, 24), RationalTime(48, 24))))
    track.append(otio.schema.Clip(
        name="A012_C003",
        media_reference=otio.schema.ExternalReference(
            target_url=str(root / "shot.mov"),
            available_range=TimeRange(RationalTime(start, 24), RationalTime(120, 24))),
        source_range=TimeRange(RationalTime(start + 24, 24), RationalTime(24, 24))))
    timeline.tracks.append(track)
    write_timeline(timeline, root / "cut.xml")
    # what `retakes demo` writes (smaller), and the files the README's variants and webhook lines name
    demo = DemoScene(160, 96, 48, 24)
    (root / "retakes-demo").mkdir()
    demo.write(root / "retakes-demo" / "source.mov", codec="prores_422hq", start_timecode="00:59:59:00")
    demo.write_masks(root / "retakes-demo" / "masks")
    (root / "colours.csv").write_text("name,color\nred,#C81E1E\nblue,#1E3CC8\n")
    (root / "hook.secret").write_text("a-secret-for-the-readme\n")


@pytest.fixture(scope="module")
def ws() -> Iterator[Workspace]:
    root = Path(tempfile.mkdtemp(prefix="rtk-doc-", dir="/tmp" if os.name != "nt" else None))
    try:
        _write_media(root)
        home = root / "home"
        home.mkdir()
        env = user_env(root / "state", HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"),
                       QT_QPA_PLATFORM="offscreen")
        socket = root / "e.sock"
        # `retakes engine serve --socket PATH`: the README's engine, shared by the commands below.
        engine = subprocess.Popen([str(RETAKES), "engine", "serve", "--socket", str(socket), "--log-file",
                                   str(root / "engine.log")], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  text=True)
        listening = engine.stdout.readline()
        assert f"retakes engine listening on unix://{socket}" in listening, listening + engine.stdout.read()
        workspace = Workspace(root, {**env, "RETAKES_ENGINE": f"unix://{socket}"}, engine, socket)
        yield workspace
        engine.send_signal(signal.SIGTERM)
        rest, _ = engine.communicate(timeout=60)
        assert engine.returncode == 0 and "Traceback" not in rest, rest
    finally:
        if "engine" in locals() and engine.poll() is None:
            engine.kill()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def tree(ws) -> Tree:
    ws.tree = walk_tree(ws.env)
    return ws.tree


def ok(run: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert "Traceback" not in run.stderr, run.stderr
    assert run.returncode == 0, f"{run.args}: {run.stderr}"
    return run


def refused(run: subprocess.CompletedProcess, *words: str) -> str:
    """A clear refusal: non-zero, no traceback, one line saying why."""
    assert run.returncode not in (0, 70) and "Traceback" not in run.stderr, run.stderr
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert lines and all(w in run.stderr for w in words), run.stderr
    return lines[-1]

# -------------------------------------------------------------------- scenarios


SCENARIOS: dict[tuple[str, ...], Callable[[Workspace], None]] = {}


def scenario(*path: str):
    def register(fn: Callable[[Workspace], None]) -> Callable[[Workspace], None]:
        SCENARIOS[path] = fn
        return fn
    return register


@scenario("--version")
def _version(ws: Workspace) -> None:
    assert ok(ws.retakes("--version")).stdout.strip() == f"retakes {__version__}"


@scenario("edit")
def _edit(ws: Workspace) -> None:
    out = ws.root / "scenario_edit.mkv"
    run = ok(ws.retakes("edit", "shot.mov", "-o", str(out), "--op", "recolor", "--mask", "car_masks", "--hue", "120",
                        "--range", "2:8"))
    assert f"wrote {out} (6 frames, ffv1" in run.stdout
    assert probe(out).frame_count == 6
    # the README's batch lines, as they stand: their outputs are OUT_NAME, not OUT
    batches = [c for c in README_COMMANDS if c.fenced and c.text in ADJUSTED and c.words[1:2] == ("edit",)
               and ("--variants" in c.words or c.words.count("--color") > 1)]
    assert len(batches) == 2, [c.text for c in batches]
    for command in batches:
        run = ok(ws.retakes(*command.words[1:]))
        assert "variant " in run.stdout and not (ws.root / "car.mkv").exists()
    for name in ("car_C81E1E", "car_1E3CC8", "car_D4A017", "paint_red", "paint_blue"):
        assert probe(ws.root / f"{name}.mkv").frame_count == 48
    # the README's frame fix (a synopsis by its '#C81E1E'-like words), on the variant just recorded
    fixes = [c for c in README_COMMANDS if c.fenced and "--fix" in c.words]
    assert fixes
    for command in fixes:
        run = ok(ws.retakes(*command.words[1:]))
        assert "fixed output frames 24:36" in run.stderr, run.stderr
    assert probe(ws.root / "car_fixed.mkv").frame_count == 48


@scenario("shots", "find")
def _shots_find(ws: Workspace) -> None:
    plan = ws.root / "scenario_shots" / "find.json"
    plan.parent.mkdir(exist_ok=True)
    run = ok(ws.retakes("shots", "find", "shot.mov", "-o", str(plan), "--range", "0:24", "--cut", "12"))
    assert f"wrote {plan} (2 shots)" in run.stdout and "12:24  editor" in run.stdout
    refused(ws.retakes("shots", "find", "shot.mov", "-o", str(plan)), "exists")


def _shots_plan(ws: Workspace, name: str) -> Path:
    """The demo clip's first 24 frames cut in two at frame 12 by hand, the car matched across."""
    plan = ws.root / "scenario_shots" / f"{name}.json"
    plan.parent.mkdir(exist_ok=True)
    ok(ws.retakes("shots", "find", "shot.mov", "-o", str(plan), "--range", "0:24", "--cut", "12"))
    ok(ws.retakes("shots", "match", str(plan), "--mask", "car_masks/mask_00002.png", "--mask-frame", "2"))
    return plan


@scenario("shots", "match")
def _shots_match(ws: Workspace) -> None:
    plan = _shots_plan(ws, "match")
    listed = ok(ws.retakes("shots", "list", str(plan))).stdout
    assert "reference" in listed and "proposed" in listed
    refused(ws.retakes("shots", "match", str(plan), "--mask", "nosuch.png", "--mask-frame", "2"), "mask")


@scenario("shots", "decide")
def _shots_decide(ws: Workspace) -> None:
    plan = _shots_plan(ws, "decide")
    assert "accepted" in ok(ws.retakes("shots", "decide", str(plan), "--shot", "1", "--accept")).stdout
    refused(ws.retakes("shots", "decide", str(plan), "--shot", "0", "--reject"), "reference shot")


@scenario("shots", "list")
def _shots_list(ws: Workspace) -> None:
    plan = _shots_plan(ws, "list")
    assert "0:12" in ok(ws.retakes("shots", "list", str(plan))).stdout
    refused(ws.retakes("shots", "list", "nosuch.json"), "no shots plan")


@scenario("shots", "apply")
def _shots_apply(ws: Workspace) -> None:
    plan = _shots_plan(ws, "apply")
    ok(ws.retakes("shots", "decide", str(plan), "--shot", "1", "--accept"))
    out = ws.root / "scenario_shots" / "blue.mkv"
    run = ok(ws.retakes("shots", "apply", str(plan), "-o", str(out), "--color", "#2050D0"))
    assert f"wrote {out} (24 frames, ffv1" in run.stdout and "edited shots 0, 1" in run.stderr
    refused(ws.retakes("shots", "apply", str(plan), "-o", str(out), "--color", "#2050D0", "--overwrite",
                       "--hue", "30"), "exactly one edit")


@scenario("track")
def _track(ws: Workspace) -> None:
    key = np.zeros((96, 160), np.uint8)
    key[30:70, 50:110] = 255
    cv2.imwrite(str(ws.root / "key.png"), key)
    out = ws.root / "scenario_masks"
    ok(ws.retakes("track", "shot.mov", "-o", str(out), "--mask", "key.png", "--keyframe", "0", "--range", "0:4"))
    assert sorted(p.name for p in out.iterdir()) == [f"{i:05d}.png" for i in range(4)]


@scenario("demo")
def _demo(ws: Workspace) -> None:
    # The README's bare `retakes demo` with a smaller clip: the default 640x360x72 takes ~40 s on CI.
    out = ws.root / "scenario_demo"
    run = ok(ws.retakes("demo", "--out", str(out), "--size", "160x96", "--frames", "12"))
    assert f"retakes demo wrote its output to {out}" in run.stdout
    assert (out / "contact_sheet.png").is_file() and probe(out / "retake.mov").frame_count == 12


@scenario("engine", "serve")
def _engine_serve(ws: Workspace) -> None:
    # --socket PATH is the workspace's own engine (started by the fixture, stopped cleanly by it).
    with ws.client() as client:
        assert client.healthy(timeout=5)
    # --port N: loopback TCP with a bearer token written for the user.
    state = ws.root / "tcp_state"
    engine = subprocess.Popen([str(RETAKES), "engine", "serve", "--port", "0", "--state-dir", str(state),
                               "--log-file", str(ws.root / "tcp_engine.log")],
                              env=ws.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        token_line, listening = engine.stdout.readline(), engine.stdout.readline()
        port = re.search(r"listening on 127\.0\.0\.1:(\d+)", listening)
        assert port and f"token written to {state / 'engine.token'}" in token_line, token_line + listening
        token = (state / "engine.token").read_text().strip()
        with EngineClient(f"127.0.0.1:{port.group(1)}", token=token) as client:
            assert client.capabilities().ops
        with EngineClient(f"127.0.0.1:{port.group(1)}") as client, pytest.raises(EngineError) as refused_call:
            client.capabilities()  # no token: refused (health alone stays open, for supervisors)
        assert refused_call.value.code == grpc.StatusCode.UNAUTHENTICATED
    finally:
        engine.send_signal(signal.SIGINT)
        rest, _ = engine.communicate(timeout=60)
    assert engine.returncode == 0 and "Traceback" not in rest, rest
    # --gateway-port N: the engine and the Premiere panel's gateway in one process (0: a free port).
    socket = ws.root / "gw_engine.sock"
    engine = subprocess.Popen([str(RETAKES), "engine", "serve", "--socket", str(socket), "--gateway-port", "0",
                               "--state-dir", str(state), "--log-file", str(ws.root / "gw_engine.log")],
                              env=ws.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        lines = "".join(_servers_lines(engine, 3))
        url = re.search(r"gateway listening on (http://127\.0\.0\.1:\d+)", lines)
        assert url and f"token written to {state / 'gateway.token'}" in lines, lines
        _gateway_answers(url.group(1), (state / "gateway.token").read_text().strip())
    finally:
        _stop(engine)


def _finished_job(ws: Workspace) -> engine_pb2.Job:
    request = engine_pb2.EditRequest(source=engine_pb2.MediaRef(path=str(ws.root / "shot.mov")), op="relight",
                                     output_path=str(ws.root / f"job_{time.monotonic_ns()}.mov"))
    request.range.frames.end = 3
    with ws.client() as client:
        job = client.wait(client.submit(request).id)
    assert job.state == engine_pb2.JOB_STATE_SUCCEEDED, job.error
    return job


@scenario("jobs", "list")
def _jobs_list(ws: Workspace) -> None:
    job = _finished_job(ws)
    line = next(x for x in ok(ws.retakes("jobs", "list")).stdout.splitlines() if x.startswith(job.id))
    assert "succeeded" in line and "relight" in line and job.request.output_path in line


@scenario("jobs", "watch")
def _jobs_watch(ws: Workspace) -> None:
    job = _finished_job(ws)
    run = ok(ws.retakes("jobs", "watch", job.id[:8]))  # the 8 characters the progress bar shows
    assert f"wrote {job.request.output_path} (3 frames" in run.stdout


@scenario("jobs", "cancel")
def _jobs_cancel(ws: Workspace) -> None:
    job = _finished_job(ws)
    assert ok(ws.retakes("jobs", "cancel", job.id)).stdout.strip() == f"{job.id} succeeded"


@scenario("ops")
def _ops(ws: Workspace) -> None:
    run = ok(ws.retakes("ops"))
    for name in REGISTRY:
        assert re.search(rf"^{name}: ", run.stdout, re.M), name


@scenario("timeline", "send")
def _timeline_send(ws: Workspace) -> None:
    out = ws.root / "scenario_send"
    out.mkdir()
    run = ok(ws.retakes("timeline", "send", str(ws.root / "cut.xml"), "--clip", "A012_C003", "--op", "relight",
                        "--exposure", "0.5", "-o", "v.mov", "--timeline-out", "back.otio", cwd=out))
    assert "(24 frames)" in run.stdout and probe(out / "v.mov").frame_count == 24
    back = otio.adapters.read_from_file(str(out / "back.otio"))
    assert len(back.video_tracks()) == 2  # the cut, and the retakes track with the version over it


@scenario("timeline", "place")
def _timeline_place(ws: Workspace) -> None:
    out = ws.root / "scenario_place.xml"
    ok(ws.retakes("timeline", "place", "cut.xml", "--clip", "A012_C003", "--version", "shot.mov", "-o", str(out)))
    placed = otio.adapters.read_from_file(str(out))
    assert [c.name for c in placed.video_tracks()[-1].find_clips()], "no clip on the retakes track"


def _store_with_versions(ws: Workspace) -> tuple[Path, str]:
    """The version store `python -m retakes.bridge.demo` leaves (two versions of one clip), and its key."""
    out = ws.root / "scenario_store"
    if not out.exists():
        ok(ws.python("-m", "retakes.bridge.demo", "--out", str(out)))
    from retakes.bridge.versions import VersionStore

    with VersionStore(out / "retakes" / "retakes-versions.sqlite") as store:
        key = store.list_versions()[0].source_key
    return out / "retakes" / "retakes-versions.sqlite", key


@scenario("review", "serve")
def _review_serve(ws: Workspace) -> None:
    db, key = _store_with_versions(ws)
    server = subprocess.Popen([str(RETAKES), "review", "serve", key, "--store", str(db), "--host", "127.0.0.1",
                               "--port", "0"], env=ws.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = None
        deadline = time.monotonic() + 60
        while url is None and time.monotonic() < deadline and server.poll() is None:
            url = re.search(r"http://127\.0\.0\.1:\d+/\S*", server.stdout.readline())
        assert url, server.communicate(timeout=5)
        try:
            status = urllib.request.urlopen(url.group(0), timeout=30).status
        except urllib.error.HTTPError as error:  # the page may want more than the printed link
            status = error.code
        assert status < 500
    finally:
        server.send_signal(signal.SIGINT)
        _, err = server.communicate(timeout=30)
    assert "Traceback" not in err, err


def _frameio(ws: Workspace, fake: FakeFrameio, command: str, db: Path, key: str) -> subprocess.CompletedProcess:
    return ws.retakes("review", command, key, "--store", str(db), "--account", fake.state.account_id,
                      "--project", fake.state.project_id, "--base-url", fake.base_url, "--ims-url", fake.base_url,
                      RETAKES_FRAMEIO_CLIENT_ID="cid", RETAKES_FRAMEIO_CLIENT_SECRET="secret")


@scenario("review", "push")
def _review_push(ws: Workspace) -> None:
    db, key = _store_with_versions(ws)
    line = refused(ws.retakes("review", "push", key, "--store", str(db), "--account", "a", "--project", "p"),
                   "RETAKES_FRAMEIO_CLIENT_ID")
    assert "RETAKES_FRAMEIO_CLIENT_SECRET" in line
    with FakeFrameio() as fake:  # Frame.io v4 as documented (tests/support/fake_frameio.py)
        run = ok(_frameio(ws, fake, "push", db, key))
        assert run.stdout.strip(), run.stderr


@scenario("review", "pull")
def _review_pull(ws: Workspace) -> None:
    db, key = _store_with_versions(ws)
    refused(ws.retakes("review", "pull", key, "--store", str(db), "--account", "a", "--project", "p"),
            "RETAKES_FRAMEIO_CLIENT_ID")
    with FakeFrameio() as fake:
        ok(_frameio(ws, fake, "push", db, key))
        run = ok(_frameio(ws, fake, "pull", db, key))
        assert "notes" in run.stdout, run.stdout


@scenario("-m", "retakes.panel")
def _panel(ws: Workspace) -> None:
    run = ok(ws.python("-m", "retakes.panel", "--help"))
    assert "usage: retakes.panel" in run.stdout and "path" in run.stdout


@scenario("-m", "retakes.bridge.demo")
def _bridge_demo(ws: Workspace) -> None:
    _store_with_versions(ws)
    out = ws.root / "scenario_store"
    assert {"demo.otio", "demo.xml"} <= {p.name for p in out.iterdir()}
    tracks = otio.adapters.read_from_file(str(out / "demo.otio")).video_tracks()
    assert [len(list(track.find_clips())) for track in tracks] == [1, 1]  # the cut, and the active version over it


@scenario("installers/resolve_agent.py", "install")
def _install(ws: Workspace) -> None:
    home = Path(ws.env["HOME"])
    run = ok(ws.python("installers/resolve_agent.py", "install"))
    target = home / ".local" / "share" / "DaVinciResolve" / "Fusion" / "Scripts" / "Utility"
    assert (target / "retakes.py").is_file() and str(target / "retakes.py") in run.stdout
    # --all-users writes machine-wide: staged under --root (the installer's packaging option) here.
    stage = ws.root / "stage"
    ok(ws.python("installers/resolve_agent.py", "install", "--all-users", "--root", str(stage)))
    assert list(stage.rglob("retakes.py"))


@scenario("installers/resolve_agent.py", "uninstall")
def _uninstall(ws: Workspace) -> None:
    home = Path(ws.env["HOME"])
    ok(ws.python("installers/resolve_agent.py", "install"))
    ok(ws.python("installers/resolve_agent.py", "uninstall"))
    assert not list(home.rglob("retakes.py"))
    stage = ws.root / "stage_un"
    ok(ws.python("installers/resolve_agent.py", "install", "--all-users", "--root", str(stage)))
    ok(ws.python("installers/resolve_agent.py", "uninstall", "--all-users", "--root", str(stage)))
    assert not list(stage.rglob("retakes.py"))


def _servers_lines(server: subprocess.Popen, count: int, timeout: float = 60) -> list[str]:
    """The first `count` lines a server prints (its token and listening lines), or fail with its output."""
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    while len(lines) < count and time.monotonic() < deadline and server.poll() is None:
        lines.append(server.stdout.readline())
    assert len(lines) == count, "".join(lines) + (server.stdout.read() if server.poll() is not None else "")
    return lines


def _stop(server: subprocess.Popen) -> None:
    server.send_signal(signal.SIGINT)
    rest, _ = server.communicate(timeout=60)
    assert server.returncode == 0 and "Traceback" not in rest, rest


def _gateway_answers(url: str, token: str) -> dict:
    """GET /v1/capabilities: refused without the token, the engine's ops with it."""
    with pytest.raises(urllib.error.HTTPError) as no_token:
        urllib.request.urlopen(f"{url}/v1/capabilities", timeout=30)
    assert no_token.value.code == 401
    request = urllib.request.Request(f"{url}/v1/capabilities", headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        body = json.loads(answer.read())
    assert {op["name"] for op in body["ops"]} >= set(REGISTRY), body
    return body


@scenario("gateway", "serve")
def _gateway_serve(ws: Workspace) -> None:
    # The README's `retakes gateway serve` in front of the running engine, on a free port (8790
    # may be taken on a shared machine); `engine serve --gateway-port` is the engine's scenario.
    server = subprocess.Popen([str(RETAKES), "gateway", "serve", "--port", "0"], env=ws.env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        token_line, listening = _servers_lines(server, 2)
        url = re.search(r"listening on (http://127\.0\.0\.1:\d+) \(engine unix://", listening)
        token_path = re.search(r"token written to (\S+)", token_line)
        assert url and token_path, token_line + listening
        _gateway_answers(url.group(1), Path(token_path.group(1)).read_text().strip())
    finally:
        _stop(server)


def _tiny_inpaint(ws: Workspace) -> str:
    """A tiny inpainting model (tests/learned/tiny.py: the real diffusers classes, random weights),
    registered as the README's `my-inpaint`."""
    folder = ws.root / "weights" / "sdxl-inpainting"
    if not folder.exists():
        from tests.learned.tiny import build_inpaint

        build_inpaint(folder)
        ok(ws.retakes("models", "add", "my-inpaint", str(folder)))
    return "my-inpaint"


@scenario("models", "add")
def _models_add(ws: Workspace) -> None:
    name = _tiny_inpaint(ws)
    listed = ok(ws.retakes("models", "list", "--device", "cpu")).stdout
    assert re.search(rf"^{name}\b.*keyframe", listed, re.M), listed
    before = sorted(p.relative_to(ws.root) for p in (ws.root / "weights").rglob("*"))
    refused(ws.retakes("models", "add", "other", str(ws.root / "car_masks")), "PATH")
    assert sorted(p.relative_to(ws.root) for p in (ws.root / "weights").rglob("*")) == before


@scenario("models", "list")
def _models_list(ws: Workspace) -> None:
    name = _tiny_inpaint(ws)
    assert re.search(rf"^{name}\b", ok(ws.retakes("models", "list")).stdout, re.M)


@scenario("models", "verify")
def _models_verify(ws: Workspace) -> None:
    name = _tiny_inpaint(ws)
    assert f"{name}: ok" in ok(ws.retakes("models", "verify")).stdout


@scenario("models", "remove")
def _models_remove(ws: Workspace) -> None:
    _tiny_inpaint(ws)
    spare = ws.root / "weights" / "spare"
    if not spare.exists():
        shutil.copytree(ws.root / "weights" / "sdxl-inpainting", spare)
    ok(ws.retakes("models", "add", "spare", str(spare)))
    ok(ws.retakes("models", "remove", "spare"))
    assert not re.search(r"^spare\b", ok(ws.retakes("models", "list")).stdout, re.M)
    assert spare.is_dir(), "remove forgets a registered folder; it never deletes the user's files"


@scenario("models", "pull")
def _models_pull(ws: Workspace) -> None:
    # `retakes models pull` alone: the catalogue. Fetching is for users who are online: here the
    # hub is unreachable (and offline mode is refused) and each says so in one line, writing nothing.
    catalogue = ok(ws.retakes("models", "pull")).stdout
    assert "sam2.1-hiera-tiny" in catalogue and "apache-2.0" in catalogue
    models = ws.root / "state" / "models"
    before = sorted(models.rglob("*")) if models.exists() else []
    refused(ws.retakes("models", "pull", "sam2.1-hiera-tiny", HF_HUB_OFFLINE="1"), "HF_HUB_OFFLINE")
    refused(ws.retakes("models", "pull", "sam2.1-hiera-tiny", HF_ENDPOINT="http://127.0.0.1:9"), "could not download")
    refused(ws.retakes("models", "pull", "no-such-model"), "no-such-model")
    assert (sorted(models.rglob("*")) if models.exists() else []) == before


@scenario("keyframe")
def _keyframe(ws: Workspace) -> None:
    # The README's keyframe line with 2 denoising steps: a tiny model needs no more to show the contract.
    _tiny_inpaint(ws)
    line = next(c for c in README_COMMANDS if c.words[1:2] == ("keyframe",) and c.fenced)
    out = ws.root / "scenario_keyframe"
    out.mkdir(exist_ok=True)
    for name in ("shot.mov", "car.png"):
        (out / name).symlink_to(ws.root / name)
    ok(ws.retakes(*line.words[1:], "--steps", "2", cwd=out))
    variants = int(line.words[line.words.index("--variants") + 1])
    written = sorted(p.name for p in out.glob("key_*.png"))
    assert written == [f"key_{i}.png" for i in range(1, variants + 1)], written
    assert cv2.imread(str(out / "key_1.png")).shape == (96, 160, 3)


@scenario("versions", "list")
def _versions_list(ws: Workspace) -> None:
    db, key = _store_with_versions(ws)
    for args in (("versions", "--store", str(db)), ("versions", "--store", str(db), "list")):
        listed = ok(ws.retakes(*args)).stdout
        assert key in listed and "v001" in listed and "v002" in listed, listed


@scenario("versions", "show")
def _versions_show(ws: Workspace) -> None:
    db, key = _store_with_versions(ws)
    shown = ok(ws.retakes("versions", "--store", str(db), "show", key[:6])).stdout  # a key's first characters
    assert "v001" in shown and "v002" in shown, shown
    refused(ws.retakes("versions", "--store", str(db), "show", "zzzzzz"), "zzzzzz")


@scenario("resolve", "status")
def _resolve_status(ws: Workspace) -> None:
    # No Resolve here: the command says what is missing and how to start it, in words.
    line = refused(ws.retakes("resolve", "status"), "Resolve is not reachable")
    assert "Workspace > Scripts > retakes" in line


@scenario("installers/premiere/build_ccx.py", "-o")
def _build_ccx(ws: Workspace) -> None:
    out = ws.root / "dist" / "retakes-premiere.ccx"
    ok(ws.python("installers/premiere/build_ccx.py", "-o", str(out)))
    with zipfile.ZipFile(out) as package:
        manifest = json.loads(package.read("manifest.json"))
    assert manifest["manifestVersion"] == 5 and manifest["host"]["app"] == "premierepro", manifest


# README lines not run exactly as they stand, and what is run instead.
ADJUSTED = {
    # the default clip takes ~40 s on CI; the demo scenario runs the same command smaller
    "retakes demo": None,
    # batch variants write OUT_NAME beside OUT: the edit scenario runs them and checks those
    "retakes edit retakes-demo/source.mov -o car.mkv --op recolor --mask retakes-demo/masks --color #C81E1E "
    "--color #1E3CC8 --color #D4A017": None,
    "retakes edit retakes-demo/source.mov -o paint.mkv --op recolor --mask retakes-demo/masks --variants colours.csv":
        None,
    # machine-wide: staged under --root, never written for real by a test
    "python installers/resolve_agent.py install --all-users": ["--root", "{root}/stage_readme"],
    # servers: run until stopped; their scenarios start them on a free port, call them, stop them
    "retakes engine serve --gateway-port 8790": None,
    "retakes gateway serve": None,
    # online, or a folder this machine does not have: the models scenarios run them with a tiny model
    "retakes models pull sam2.1-hiera-tiny": None,
    "retakes models add my-inpaint /mnt/weights/sdxl-inpainting": None,
    # 2 denoising steps: the keyframe scenario runs this line so
    'retakes keyframe shot.mov --frame 120 --prompt change the car to red --mask car.png --variants 4 -o key.png': None,
    # the generative ops need a video model in the store, which no README workspace has (no weights are
    # downloaded): tests/learned/test_generative.py runs each through `retakes edit` with a tiny Wan VACE
    "retakes edit shot.mov -o brick.mov --op replace --prompt a 1970s brick building --mask building.png": None,
    "retakes edit shot.mov -o clean.mov --op remove --backend generative --mask person/": None,
    "retakes edit shot.mov -o film.mov --op restyle --prompt 16 mm film, grain --strength 0.8": None,
    "retakes edit shot.mov -o hat.mov --op propagate --backend generative --keyframe 120 --edited key.png "
    "--mask hat.png": None,
}

# -------------------------------------------------------------------- the tests


def test_the_readme_shows_commands_at_all():
    # A reader that finds nothing would make every test below pass vacuously.
    paths = {p for c in README_COMMANDS for p in c.paths}
    assert {("edit",), ("demo",), ("engine", "serve"), ("jobs", "watch"), ("review", "serve"),
            ("timeline", "send"), ("-m", "retakes.panel"), ("-m", "retakes.bridge.demo")} <= paths, paths


def test_every_command_the_readme_or_a_help_names_exists(tree):
    named = [(p, c.where) for c in README_COMMANDS if c.kind == "retakes" for p in c.paths]
    named += help_references(tree)
    # `retakes ops recolor`: a command's positional argument, not a subcommand. A path is cut
    # after its first word that is a command (not a group); a group's missing subcommand still fails.
    named = [(next((p[:i] for i in range(1, len(p)) if p[:i] in tree.helps and p[:i] not in tree.groups), p), where)
             for p, where in named]
    missing = sorted({f"`retakes {' '.join(p)}` (from {where})" for p, where in named if not tree.has(p)})
    assert not missing, "documented but not a command of the installed `retakes`:\n" + "\n".join(missing)


def test_every_command_has_a_scenario_or_answers_plainly(ws, tree):
    """A command without a scenario (one a merge just added) at least shows its help and refuses
    a bare call without a traceback; the scenarios cover every command known when this was written."""
    for path in tree.commands:
        if path in SCENARIOS:
            continue
        ok(ws.retakes(*path, "--help"))
        bare = ws.retakes(*path, timeout=60)
        assert "Traceback" not in bare.stderr and bare.returncode != 70, (path, bare.stderr)
    python_paths = {p for c in README_COMMANDS if c.kind == "python" for p in c.paths}
    unknown = python_paths - set(SCENARIOS)
    assert not unknown, f"README's python commands without a scenario: {unknown}"


@pytest.mark.parametrize("path", list(SCENARIOS), ids=lambda p: " ".join(p))
def test_scenario(ws, path):
    SCENARIOS[path](ws)


@pytest.mark.parametrize("command", [c for c in README_COMMANDS if c.fenced and not c.synopsis],
                         ids=lambda c: c.text)
def test_readme_line_as_it_stands(ws, command):
    """README examples that name real files, run in a folder that has those files."""
    if command.text in ADJUSTED and ADJUSTED[command.text] is None:
        assert tuple(command.words[1:2]) in {p[:1] for p in SCENARIOS}, "adjusted away but not run by a scenario"
        return
    words = [*command.words[1:], *(a.format(root=ws.root) for a in ADJUSTED.get(command.text, []))]
    ok(ws.retakes(*words) if command.kind == "retakes" else ws.python(*words))
    for out in re.findall(r"(?:^|\s)(?:-o|--out|--timeline-out)\s+(\S+)", " ".join(words)):
        target = Path(out) if Path(out).is_absolute() else ws.root / out
        assert target.exists(), f"{command.line}: nothing at {target}"
