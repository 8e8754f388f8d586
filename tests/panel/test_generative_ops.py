"""The generative ops in the panel: their state from the capabilities (needs weights, with the command;
then ready once a model is in the store), and `replace` run end to end with the tiny Wan VACE model."""

from __future__ import annotations

from tests.support.learned import retakes
from tests.support.panel import open_from_resolve, run_to_the_end

from .test_end_to_end import paint


def test_generative_ops_show_needs_weights_then_run_when_ready(qtbot, studio, engine, resolve_scene, tmp_path):
    open_from_resolve(qtbot, studio, engine, resolve_scene)
    w = studio.window
    paint(qtbot, w.viewer, 0.1, 0.3, 0.3, 0.5)
    ops = w.edit.ops

    # no model in the engine's store: each generative op says what it needs, and cannot run
    assert ops.select("replace")
    ops.set_value("prompt", "a red vintage car")
    assert "needs weights: retakes models pull wan2.1-vace-1.3b" in ops.backend_state.text()
    assert "needs weights" in w.edit.ready.text() and not w.edit.generate.isEnabled()
    assert ops.select("remove")
    assert "needs weights" in ops.backend_state.text()
    assert "needs weights" not in w.edit.ready.text()  # classical by default: runs as before
    ops.set_value("backend", "generative")
    assert "needs weights" in w.edit.ready.text()
    assert ops.select("restyle") and "needs weights" in ops.backend_state.text()
    assert ops.select("propagate") and "needs weights" in ops.backend_state.text()

    # a model added to the store: after reconnecting, ready, and replace runs end to end
    from tests.learned.tiny import build_vace

    run = retakes("models", "add", "tiny-vace", str(build_vace(tmp_path / "vace")), home=engine.config.state_dir)
    assert run.returncode == 0, run.stderr
    studio.connect_engine(engine.address)
    qtbot.waitUntil(lambda: "ready (tiny-vace)" in ops.backend_state.text(), timeout=10000)
    assert ops.select("replace")
    for name, value in (("prompt", "a red vintage car"), ("steps", 1), ("window", 5), ("overlap", 1)):
        ops.set_value(name, value)
    assert ops.backend_state.text() == "generative: ready (tiny-vace)"
    qtbot.waitUntil(lambda: w.edit.generate.isEnabled(), timeout=5000)
    run_to_the_end(qtbot, studio, w.edit.generate)  # and it finished
