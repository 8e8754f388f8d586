"""The live Resolve suite (tests/live), run against the double through the in-app agent.

This proves the live tests are runnable code that cleans up after itself, not that Resolve
behaves as the double does: only a run on a real Resolve says that.
"""

from __future__ import annotations

import os
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest

from retakes.bridge.agent.retakes_agent import Agent, write_agent_file
from retakes.bridge.resolve.double import MediaInfo
from retakes.engine.timecode import FrameRate
from tests.support.resolve_scenes import make_scene

LIVE = Path(__file__).resolve().parents[1] / "live"


@pytest.mark.parametrize("media_rate", [None, FrameRate(Fraction(25))], ids=["same-rate", "25-on-24"])
def test_the_live_suite_runs_and_leaves_resolve_as_it_was(tmp_path: Path, media_rate) -> None:
    scene = make_scene(tmp_path, FrameRate(Fraction(24)), "01:00:00:00", False, "10:00:00:00",
                       media_rate=media_rate)
    version = tmp_path / "v999.mov"
    version.write_bytes(b"v999")
    scene.resolve.register_media(str(version), MediaInfo(scene.media_rate, 200, "10:00:00:00"))
    agent = Agent(scene.resolve)
    write_agent_file(tmp_path / "agent.json", {"port": agent.serve(), "token": agent.token})
    before = scene.resolve.snapshot()
    env = dict(os.environ, RETAKES_AGENT_FILE=str(tmp_path / "agent.json"), RETAKES_LIVE_RESOLVE="1",
               RETAKES_LIVE_WRITE="1", RETAKES_LIVE_VERSION=str(version))
    try:
        done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs", str(LIVE)],
                              env=env, capture_output=True, text=True, timeout=300, cwd=LIVE.parent.parent)
    finally:
        agent.stop()
    assert done.returncode == 0, done.stdout[-3000:]
    assert " passed" in done.stdout and "skipped" not in done.stdout, done.stdout[-3000:]
    assert scene.resolve.snapshot() == before
