"""Done-when 4: the engine stops mid-job; the panel says so, offers Reconnect, and loses nothing."""

from __future__ import annotations

import json

from PySide6.QtCore import Qt

from tests.support.panel import connect, wait_loaded


def test_engine_stopped_mid_job_then_reconnect(qtbot, studio, engine, demo_media, settings) -> None:
    connect(qtbot, studio, engine)
    studio.open_path(demo_media)
    wait_loaded(qtbot, studio)
    w = studio.window
    mask = studio.session.mask_here(create=True)
    mask.dab([(60, 120), (120, 130)])
    studio.masks.changed()
    painted = mask.data.copy()
    w.edit.ops.select("relight")
    w.edit.ops.set_value("look", "golden-hour")
    for _ in range(3):  # one runs, the others wait behind it (one job at a time)
        qtbot.mouseClick(w.edit.generate, Qt.LeftButton)
    qtbot.waitUntil(lambda: len(studio.jobs.queue.entries) == 3, timeout=10000)

    engine.stop()
    qtbot.waitUntil(lambda: w.banner.offers_reconnect, timeout=10000)
    assert "engine stopped" in w.banner.text.text().lower()
    assert "masks and queue are kept" in w.banner.text.text()
    assert not w.edit.generate.isEnabled()
    # nothing lost: the mask is as painted, the queue lists every job, in memory and on disk
    assert (studio.session.masks[studio.session.frame].data == painted).all()
    assert w.queue.tree.topLevelItemCount() == 3
    unfinished = [e.job_id for e in studio.jobs.queue.unfinished()]
    assert unfinished, "every job finished before the engine stopped; the test proves nothing"
    qtbot.waitUntil(lambda: studio.jobs.queue.path.exists(), timeout=5000)
    on_disk = {e["job_id"] for e in json.loads(studio.jobs.queue.path.read_text())}
    assert set(unfinished) <= on_disk

    # the engine comes back (same job database); Reconnect re-attaches and the jobs finish
    engine.start()
    qtbot.mouseClick(w.banner.reconnect_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: studio.link.online, timeout=10000)
    qtbot.waitUntil(lambda: all(e.state == "done" for e in studio.jobs.queue.entries), timeout=40000)
    qtbot.waitUntil(lambda: len(studio.versions.list) == 3, timeout=10000)
    assert not w.banner.isVisible(), w.banner.text.text()
    assert [v.label for v in studio.versions.list] == ["v001", "v002", "v003"]


def test_no_engine_at_start_is_said_in_words(qtbot, studio, short_tmp) -> None:
    studio.connect_engine(str(short_tmp / "nothing.sock"))
    qtbot.waitUntil(lambda: studio.window.banner.isVisible(), timeout=10000)
    text = studio.window.banner.text.text()
    assert "No engine at" in text and "Traceback" not in text
    assert studio.window.banner.offers_reconnect
    assert studio.settings.engine_address == str(short_tmp / "nothing.sock")
