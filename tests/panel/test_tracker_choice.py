"""The panel's tracker menu: Learned only where the engine has the weights (otherwise greyed out with
the command that installs them), and the editor's pick sent with Track and with an op that is given
the keyframe mask alone."""

from __future__ import annotations

from retakes.engine.client import EngineClient
from tests.support.learned import retakes
from tests.support.panel import open_from_resolve, run_to_the_end

from .test_end_to_end import paint


def test_the_tracker_menu_follows_the_engines_weights_and_goes_into_each_request(
        qtbot, studio, engine, resolve_scene, tmp_path):
    open_from_resolve(qtbot, studio, engine, resolve_scene)
    w = studio.window
    paint(qtbot, w.viewer, 0.1, 0.3, 0.3, 0.5)
    menu = w.edit.tracker
    learned = menu.model().item(menu.findData("learned"))

    # no tracker weights in the engine's store: Learned cannot be picked and says what it needs
    assert menu.currentData() == ""
    assert not learned.isEnabled()
    assert "needs weights: retakes models pull sam2.1-hiera-tiny" in learned.toolTip()

    # the weights added: after reconnecting, Learned can be picked, and an op given the keyframe mask
    # alone has the engine carry it with the learned tracker
    from tests.learned.tiny import build_sam2

    run = retakes("models", "add", "tiny-sam", str(build_sam2(tmp_path / "sam2")), home=engine.config.state_dir)
    assert run.returncode == 0, run.stderr
    studio.connect_engine(engine.address)
    qtbot.waitUntil(learned.isEnabled, timeout=10000)
    assert learned.toolTip() == "ready (tiny-sam)"
    menu.setCurrentIndex(menu.findData("learned"))
    assert w.edit.ops.select("recolor")
    w.edit.ops.set_value("hue", 90)
    qtbot.waitUntil(w.edit.generate.isEnabled, timeout=5000)
    entry = run_to_the_end(qtbot, studio, w.edit.generate)
    with EngineClient(f"unix://{engine.address}") as client:
        job = client.get(entry.job_id)
    assert job.request.tracker == "learned"
    assert any("by the learned tracker (tiny-sam)" in note for note in job.result.notes)

    # Classical for Track: the track job asks for the classical backend, and is given no tracker field
    menu.setCurrentIndex(menu.findData("classical"))
    entry = run_to_the_end(qtbot, studio, w.edit.track)
    with EngineClient(f"unix://{engine.address}") as client:
        job = client.get(entry.job_id)
    assert job.request.op == "track"
    assert job.request.params["backend"].text_value == "classical"
    assert job.request.tracker == ""
    qtbot.waitUntil(studio.session.tracked_is_current, timeout=10000)

    # with the mask tracked for the whole clip the op gets it per frame: nothing left to track, so no
    # tracker is sent even with one picked (the engine refuses a tracker where nothing is tracked)
    entry = run_to_the_end(qtbot, studio, w.edit.generate)
    with EngineClient(f"unix://{engine.address}") as client:
        job = client.get(entry.job_id)
    assert job.request.tracker == ""
    assert not any("tracker" in note for note in job.result.notes)
