"""Without weights for the video model: every generative op says "needs weights" with the command,
in the capabilities and when a job is submitted; the classical ops run as before.

Its own module: the engine's model store is one per process, and this engine's has nothing in it.
"""

from __future__ import annotations

from fractions import Fraction

from retakes.engine.client import EngineClient
from retakes.engine.config import EngineConfig
from retakes.engine.media.synthetic import write_index_clip
from retakes.engine.service.server import engine_in_thread
from retakes.engine.timecode import FrameRate
from tests.support.learned import retakes

from .test_generative import _frames, _masks


def test_without_weights_each_says_needs_weights_and_classical_still_runs(tmp_path):
    home = tmp_path / "home"
    clip = tmp_path / "shot.mkv"
    write_index_clip(clip, frames=6, rate=FrameRate(Fraction(24)), size=(48, 32), codec="ffv1", audio=False)
    masks = _masks(tmp_path / "m", 48, 32, 6)
    config = EngineConfig(state_dir=home, socket_path=home / "e.sock")
    with engine_in_thread(config) as running:
        target = f"unix://{running.socket_path}"
        with EngineClient(target) as client:
            states = {(b.op, b.backend): b for b in client.capabilities().learned}
        for op in ("remove", "replace", "restyle", "propagate"):
            assert not states[(op, "generative")].ready
            assert "retakes models pull wan2.1-vace-1.3b" in states[(op, "generative")].state
        for op, extra in (("replace", ("--prompt", "a boat")), ("remove", ("--backend", "generative")),
                          ("restyle", ("--prompt", "film")), ("propagate", ("--backend", "generative", "--keyframe",
                                                                            "1", "--edited", str(clip)))):
            run = retakes("edit", str(clip), "-o", str(tmp_path / f"{op}.mkv"), "--op", op, "--mask",
                          str(tmp_path / "m"), *extra, "--engine", target, home=home)
            assert run.returncode != 0
            assert "needs weights: retakes models pull wan2.1-vace-1.3b" in run.stderr, run.stderr
            assert "retakes models add NAME PATH" in run.stderr
        run = retakes("edit", str(clip), "-o", str(tmp_path / "classical"), "--op", "remove", "--mask",
                      str(tmp_path / "m"), "--engine", target, home=home)
        assert run.returncode == 0, run.stderr
        assert len(masks) == 6 and len(_frames(tmp_path / "classical")) == 6
    run = retakes("models", "pull", home=home)
    assert "wan2.1-vace-1.3b" in run.stdout and "wan2.1-vace-14b" in run.stdout and "video-edit" in run.stdout
