"""Issue 17 in the panel, offscreen against a real engine: the Variants table, and Fix In–Out on a version."""

from __future__ import annotations

import av
import numpy as np
from PySide6.QtCore import Qt

from tests.support.panel import connect, wait_loaded

from .test_end_to_end import paint
from .test_shortcuts import press


def decoded(path: str) -> list[np.ndarray]:
    with av.open(path) as f:
        return [frame.to_ndarray(format="rgb48le") for frame in f.decode(video=0)]


def packets(path: str) -> list[bytes]:
    with av.open(path) as f:
        return [bytes(p) for p in f.demux(video=0) if p.size]


def test_variants_table_then_fix_in_out_of_one_variant(qtbot, studio, engine, demo_media) -> None:
    connect(qtbot, studio, engine)
    studio.open_path(demo_media)
    wait_loaded(qtbot, studio)
    w = studio.window
    paint(qtbot, w.viewer, 0.05, 0.7, 0.3, 0.8)
    w.edit.ops.select("recolor")
    w.edit.ops.set_value("color", "#2060FF")

    # the Variants tab: its columns are the op's parameters; two rows, two colours
    w.tabs.setCurrentWidget(w.variants)
    assert w.variants.columns[:2] == ["name", "color"] and "hue" in w.variants.columns
    w.variants.add_row({"name": "red", "color": "#C81E1E"})
    w.variants.add_row({"name": "gold", "color": "#D4A017"})
    qtbot.mouseClick(w.variants.generate, Qt.LeftButton)
    qtbot.waitUntil(lambda: w.versions.tree.topLevelItemCount() == 2, timeout=60000)
    entry = studio.jobs.queue.entries[-1]
    assert [v["name"] for v in entry.variants] == ["red", "gold"]
    versions = {v.params["color"]: v for v in studio.versions.list}
    assert set(versions) == {"#C81E1E", "#D4A017"}  # each version's lineage has its own colour
    red, gold = versions["#C81E1E"], versions["#D4A017"]
    assert packets(red.output_path) != packets(gold.output_path)

    # mark In and Out, pick the red version, change the colour and fix those frames only
    start = studio.session.clip.source_range.start
    studio.seek(start + 6)
    w.viewer.setFocus()
    press(qtbot, studio, "mark_in")
    studio.seek(start + 10)
    press(qtbot, studio, "mark_out")
    r = studio.session.render_range()
    a, b = r.start - start, r.end - start
    assert 0 < a < b < red.output_frames
    w.versions.select(red.id)
    w.edit.ops.set_value("color", "#22AA22")
    errors: list[str] = []
    w.banner.show_message = lambda text, **kw: errors.append(text)
    qtbot.mouseClick(w.versions.fix, Qt.LeftButton)
    qtbot.waitUntil(lambda: len(studio.versions.list) == 3 or bool(errors), timeout=60000)
    assert not errors, errors
    fixed = next(v for v in studio.versions.list if v.id not in (red.id, gold.id))
    assert fixed.parent_id == red.id and fixed.params["fixed_frames"] == f"{r.start}:{r.end}"
    assert fixed.params["color"] == "#22AA22"
    old, new = packets(red.output_path), packets(fixed.output_path)
    assert len(old) == len(new) == red.output_frames
    changed = [i for i in range(len(old)) if old[i] != new[i]]
    assert changed and set(changed) <= set(range(a, b))  # every frame outside In–Out: the same bytes
    before, after = decoded(red.output_path), decoded(fixed.output_path)
    assert not np.array_equal(before[a], after[a])
