"""Done-when 1: the real widgets against a real engine and the Resolve double, start to finish."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt

from retakes.bridge.resolve.double import MediaInfo as DoubleMedia
from tests.support.panel import FRAMES, open_from_resolve


def paint(qtbot, viewer, x0: float, y0: float, x1: float, y1: float) -> None:
    """Drags the brush across the frame, in image fractions (what the editor does with a mouse)."""
    r = viewer.image_rect()
    a = QPoint(int(r.x() + x0 * r.width()), int(r.y() + y0 * r.height()))
    b = QPoint(int(r.x() + x1 * r.width()), int(r.y() + y1 * r.height()))
    qtbot.mousePress(viewer, Qt.LeftButton, pos=a)
    for i in range(1, 9):
        qtbot.mouseMove(viewer, a + (b - a) * i / 8)
    qtbot.mouseRelease(viewer, Qt.LeftButton, pos=b)


def test_mask_track_preview_generate_cancel_compare_place(qtbot, studio, engine, resolve_scene) -> None:
    open_from_resolve(qtbot, studio, engine, resolve_scene)
    w = studio.window
    clip = studio.session.clip
    assert w.header.name.text() == clip.name
    assert w.header.fields["tc_in"].text() == "01:00:00:00"
    assert w.header.fields["size"].text() == "320×180"

    # paint a mask on the keyframe
    paint(qtbot, w.viewer, 0.05, 0.7, 0.3, 0.8)
    mask = studio.session.masks[studio.session.frame]
    assert not mask.empty and mask.data.shape == (180, 320)

    # track it: the overlay then covers every frame
    qtbot.mouseClick(w.edit.track, Qt.LeftButton)
    qtbot.waitUntil(lambda: bool(studio.session.tracked_dir), timeout=20000)
    studio.seek(clip.source_range.start + 12)
    qtbot.waitUntil(lambda: w.viewer._overlay is not None, timeout=5000)

    # preview one frame with recolor
    w.edit.prompt.setText("change the ball to blue")
    assert w.edit.ops.picker.currentText() == "recolor"
    w.edit.ops.set_value("color", "#2060ff")
    qtbot.mouseClick(w.edit.preview, Qt.LeftButton)
    qtbot.waitUntil(lambda: studio.jobs.preview_for(studio.session.frame) is not None, timeout=15000)
    assert "ms in the engine" in w.edit.latency.text()
    # the viewer shows it once the frame under it is decoded, which may come after the reply
    qtbot.waitUntil(lambda: bool(w.viewer.badges) and w.viewer.badges[0].startswith("PREVIEW"), timeout=5000)

    # generate twice; the engine runs one job at a time, so the second waits and is cancelled
    qtbot.mouseClick(w.edit.generate, Qt.LeftButton)
    qtbot.waitUntil(lambda: len(studio.jobs.queue.entries) == 2, timeout=10000)
    qtbot.waitUntil(lambda: w.edit.progress.isVisible(), timeout=5000)
    qtbot.mouseClick(w.edit.generate, Qt.LeftButton)
    qtbot.waitUntil(lambda: len(studio.jobs.queue.entries) == 3, timeout=10000)
    first, second = studio.jobs.queue.entries[1:]
    w.queue.select(second.job_id)
    qtbot.mouseClick(w.queue.cancel, Qt.LeftButton)
    qtbot.waitUntil(lambda: second.state == "cancelled", timeout=10000)
    seen_progress = []
    studio.link.job.connect(lambda job: seen_progress.append(job.progress.frames_done))
    qtbot.waitUntil(lambda: first.state == "done", timeout=30000)

    # the new version appears, with its status and lineage
    qtbot.waitUntil(lambda: w.versions.tree.topLevelItemCount() == 1, timeout=10000)
    item = w.versions.tree.topLevelItem(0)
    assert item.text(0) == "v001" and item.text(1) == "draft" and "recolor" in item.text(2)
    assert w.header.fields["versions"].text() == "1"

    # compare it with the original (wipe), scrubbing stays in sync
    qtbot.mouseClick(w.versions.compare, Qt.LeftButton)
    qtbot.waitUntil(lambda: studio.session.compare is not None and w.viewer.wipe is not None, timeout=10000)
    studio.seek(clip.source_range.start + 5)
    left, right = studio.versions._source(0, studio.session.frame), studio.versions._source(
        studio.versions.list[0].id, studio.session.frame)
    assert left[1] == right[1] + clip.source_range.start - clip.range_with_handles.start
    qtbot.keyClick(w, Qt.Key_Escape)
    assert studio.session.compare is None

    # place it on the timeline as a new track (Resolve needs to know the file it imports)
    version = studio.versions.list[0]
    resolve_scene.resolve.register_media(version.output_path, DoubleMedia(clip.source_rate, FRAMES, "01:00:00:00"))
    tracks_before = resolve_scene.resolve.project.timeline.GetTrackCount("video")
    qtbot.mouseClick(w.versions.place_track, Qt.LeftButton)
    qtbot.waitUntil(lambda: resolve_scene.resolve.project.timeline.GetTrackCount("video") == tracks_before + 1,
                    timeout=10000)
    placed = resolve_scene.resolve.project.timeline.GetItemListInTrack("video", tracks_before + 1)
    assert len(placed) == 1 and placed[0].GetStart() == resolve_scene.item.GetStart()
    assert not w.banner.isVisible()
