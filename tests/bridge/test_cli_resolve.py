"""What a user reads when `retakes timeline ...` or `retakes resolve status` cannot do the job:
one line naming what is wrong, no traceback. Run through the installed `retakes` executable."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import opentimelineio as otio
import pytest
from opentimelineio.opentime import RationalTime, TimeRange

from retakes.bridge.agent import retakes_agent as agent_mod
from retakes.bridge.agent.retakes_agent import Agent, write_agent_file
from retakes.bridge.resolve.double import ResolveDouble

RETAKES = str(Path(sys.executable).with_name("retakes"))


def _run(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "RETAKES_AGENT_FILE")}
    environ.update(HOME=str(tmp_path / "home"), RETAKES_STATE_DIR=str(tmp_path / "state"), **env)
    return subprocess.run([RETAKES, *args], capture_output=True, text=True, env=environ, timeout=60,
                          cwd=tmp_path)


def _one_line(done: subprocess.CompletedProcess) -> str:
    assert "Traceback" not in done.stderr, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]


def _two_clips_named_alike(tmp_path: Path) -> Path:
    tl = otio.schema.Timeline(name="cut", global_start_time=RationalTime(86400, 24))
    track = otio.schema.Track(name="V1")
    for start in (0, 200):
        ref = otio.schema.ExternalReference(target_url=str(tmp_path / "A001.mov"),
                                            available_range=TimeRange(RationalTime(0, 24), RationalTime(500, 24)))
        track.append(otio.schema.Clip(name="A001.mov", media_reference=ref,
                                      source_range=TimeRange(RationalTime(start, 24), RationalTime(48, 24))))
    tl.tracks.append(track)
    path = tmp_path / "cut.otio"
    otio.adapters.write_to_file(tl, str(path))
    return path


def test_an_ambiguous_clip_name_is_one_line(tmp_path: Path) -> None:
    cut = _two_clips_named_alike(tmp_path)
    send = _run(["timeline", "send", str(cut), "--clip", "A001.mov", "--op", "relight", "-o", "o.mov"], tmp_path)
    assert send.returncode == 2
    assert _one_line(send) == ("retakes: timeline send: --clip: 2 clips are named 'A001.mov' (V1 at record frame "
                               "86400, V1 at record frame 86448); pass --track and --at")
    place = _run(["timeline", "place", str(cut), "--clip", "A001.mov", "--version", "v1.mov", "-o", "n.otio"],
                 tmp_path)
    assert place.returncode == 2 and "2 clips are named 'A001.mov'" in _one_line(place)
    assert not (tmp_path / "o.mov").exists() and not (tmp_path / "n.otio").exists()


def test_a_missing_or_unreadable_timeline_file_is_one_line(tmp_path: Path) -> None:
    missing = _run(["timeline", "place", "nope.otio", "--clip", "A", "--version", "v.mov", "-o", "n.otio"],
                   tmp_path)
    assert missing.returncode == 2
    assert _one_line(missing) == "retakes: timeline place: TIMELINE_FILE: nope.otio does not exist or is not a file"
    (tmp_path / "junk.otio").write_text("{not json")
    junk = _run(["timeline", "place", "junk.otio", "--clip", "A", "--version", "v.mov", "-o", "n.otio"], tmp_path)
    assert junk.returncode == 2
    assert _one_line(junk).startswith("retakes: timeline place: TIMELINE_FILE: cannot read junk.otio as a timeline")
    cut = _two_clips_named_alike(tmp_path)
    nowhere = _run(["timeline", "place", str(cut), "--clip", "A001.mov", "--track", "1", "--at", "01:00:00:05",
                    "--version", "v.mov", "-o", "no/such/dir/n.otio"], tmp_path)
    assert nowhere.returncode == 2
    assert _one_line(nowhere) == "retakes: timeline place: -o/--output: the folder of no/such/dir/n.otio does not exist"


def test_status_without_agent_or_scripting_module(tmp_path: Path) -> None:
    done = _run(["resolve", "status"], tmp_path)
    assert done.returncode == 1
    line = _one_line(done)
    assert line.startswith("retakes: Resolve is not reachable: the retakes agent is not running (no ")
    assert "start retakes from Resolve: Workspace > Scripts > retakes" in line


def test_a_stale_agent_file_is_said_in_words(tmp_path: Path) -> None:
    with socket.socket() as s:  # a port nothing listens on any more
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    write_agent_file(tmp_path / "state" / "agent.json", {"port": port, "token": "t", "pid": 1})
    done = _run(["resolve", "status"], tmp_path)
    assert done.returncode == 1
    line = _one_line(done)
    assert "Errno" not in line and "Connection refused" not in line
    assert f"agent.json is left from an earlier session (nothing answers on 127.0.0.1:{port}" in line


def test_the_agents_refusal_reaches_the_user(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("RETAKES_STATE_DIR", str(tmp_path / "state"))
    assert agent_mod.main({"resolve": ResolveDouble("DaVinci Resolve", (21, 1, 0, 14, ""))}) == 1
    capsys.readouterr()  # what Resolve's console showed
    done = _run(["resolve", "status"], tmp_path)
    assert done.returncode == 1
    line = _one_line(done)
    assert line.startswith("retakes: Resolve is not reachable: the retakes agent in Resolve refused to start (")
    assert "Resolve 21.1 moved Python scripting to Studio" in line


@pytest.fixture
def scripting_module(tmp_path: Path) -> Path:
    """Blackmagic's DaVinciResolveScript as it behaves when no Resolve answers: scriptapp gives None."""
    folder = tmp_path / "modules"
    folder.mkdir()
    (folder / "DaVinciResolveScript.py").write_text("def scriptapp(name):\n    return None\n")
    return folder


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the process check reads /proc here")
def test_resolve_not_running_is_not_called_a_studio_refusal(tmp_path: Path, scripting_module: Path) -> None:
    done = _run(["resolve", "status"], tmp_path, PYTHONPATH=str(scripting_module))
    assert done.returncode == 1
    line = _one_line(done)
    assert line.startswith("retakes: Resolve is not reachable: DaVinci Resolve is not running: start it")
    assert "Studio" not in line

    fake_resolve = tmp_path / "resolve"  # a process named as Resolve's Linux binary is
    shutil.copy(shutil.which("sleep"), fake_resolve)
    running = subprocess.Popen([str(fake_resolve), "30"])
    try:
        done = _run(["resolve", "status"], tmp_path, PYTHONPATH=str(scripting_module))
    finally:
        running.kill()
        running.wait()
    assert done.returncode == 1
    assert _one_line(done).startswith("retakes: Resolve is not reachable: Resolve refused external scripting "
                                      "(that needs DaVinci Resolve Studio")


def test_status_through_the_agent_names_the_clip_it_would_send(tmp_path: Path) -> None:
    from tests.support.resolve_scenes import RATES, make_scene

    _, rate, tc, drop, media_tc = RATES[1]
    scene = make_scene(tmp_path, rate, tc, drop, media_tc)
    agent = Agent(scene.resolve)
    write_agent_file(tmp_path / "state" / "agent.json", {"port": agent.serve(), "token": agent.token})
    try:
        done = _run(["resolve", "status"], tmp_path)
    finally:
        agent.stop()
    assert done.returncode == 0, done.stderr
    out = done.stdout.splitlines()
    assert out[0] == "DaVinci Resolve Studio 21.0.4.7, through the retakes agent"
    assert "  DaVinci Resolve Studio 21.0.4: retakes works here." in out
    assert "project 'retakes-test', timeline 'edit'" in out
    assert out[-1] == (f"would send 'A001_C002.mov' on V1 at 01:00:04:01: {scene.media_path} frames 37:85 "
                       "(48 at 25 fps)")
