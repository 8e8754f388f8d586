"""A frame with a painted mask is a keyframe for as long as it has paint on it.

`mask_keyframe()` picks the mask sent with a request from the painted masks, so a diamond that ◆
could take off a painted frame would leave the timeline showing no keyframe where a mask still
goes to the engine. The session derives the diamonds from the masks (as it does from edited
images): ◆ there says "kept" and why, clearing the mask takes the diamond with it.
"""

from __future__ import annotations

from PySide6.QtCore import Qt

from retakes.panel.model.session import ClipSession
from tests.support.panel import H, W

from .test_edited_frames import export_here, handled, load_here, loaded  # noqa: F401  (fixture)
from .test_end_to_end import paint
from .test_shortcuts import press


def test_a_painted_mask_keeps_its_keyframe(demo_media) -> None:
    s = ClipSession(*handled(demo_media))
    s.transport.seek(9)
    empty = s.mask_here(create=True)  # a mask with nothing on it yet is no keyframe, and never sent
    assert s.keyframes == frozenset() and s.mask_keyframe() is None and s.held(9) == ()
    empty.dab([(W / 2, H / 2)])
    assert s.keyframes == {9} and s.painted == {9} and s.mask_keyframe() == 9 and s.held(9) == ("painted",)

    assert s.toggle_keyframe() == "kept"  # ◆ can't take the diamond off a mask that is still sent
    assert s.keyframes == {9} and s.mask_keyframe() == 9
    s.masks[9].clear()  # emptying the mask takes its diamond, wherever the change comes from
    assert s.keyframes == frozenset() and s.mask_keyframe() is None
    assert s.toggle_keyframe() == "marked" and s.toggle_keyframe() == "removed"

    s.toggle_keyframe()  # marked by hand first: the mark outlives the paint
    s.masks[9].undo()
    assert s.painted == {9} and s.toggle_keyframe() == "kept"
    s.masks[9].clear()
    assert s.keyframes == {9} and s.toggle_keyframe() == "removed" and s.keyframes == frozenset()

    s.attach_edited(9, "/e/a.png")  # both at once: both are named, and either one keeps it
    s.masks[9].undo()
    assert s.held(9) == ("edited", "painted") and s.toggle_keyframe() == "kept"
    s.remove_edited(9)
    assert s.keyframes == {9}
    s.masks[9].clear()
    assert s.keyframes == frozenset()


def test_diamond_toggle_on_a_painted_frame_says_why_it_stays(qtbot, loaded) -> None:  # noqa: F811
    s, w = loaded, loaded.window
    s.seek(9)
    paint(qtbot, w.viewer, 0.4, 0.4, 0.6, 0.6)
    assert s.session.mask_keyframe() == 9 and w.scrubber.keyframes == {9}  # painting shows the diamond

    qtbot.mouseClick(w.transport_buttons["mark_keyframe"], Qt.LeftButton)  # ◆ on the painted frame
    message = w.statusBar().currentMessage()
    assert "Keyframe kept at 01:00:00:09" in message and "painted mask" in message and "Clear" in message
    assert w.scrubber.keyframes == {9} and s.session.keyframes == {9}  # the timeline still shows the mask's frame
    assert s.session.mask_keyframe() == 9

    press(qtbot, s, "clear")  # emptying the mask takes its diamond: nothing of it goes to the engine now
    assert s.session.mask_keyframe() is None and w.scrubber.keyframes == set() and s.session.keyframes == set()
    press(qtbot, s, "undo")  # and the paint coming back brings it back
    assert s.session.mask_keyframe() == 9 and w.scrubber.keyframes == {9}


def test_diamond_toggle_names_both_an_edited_image_and_a_mask(qtbot, loaded, monkeypatch) -> None:  # noqa: F811
    s, w = loaded, loaded.window
    s.seek(9)
    load_here(qtbot, s, monkeypatch, export_here(qtbot, s))
    qtbot.waitUntil(lambda: 9 in s.session.edited, timeout=5000)
    paint(qtbot, w.viewer, 0.4, 0.4, 0.6, 0.6)
    qtbot.mouseClick(w.transport_buttons["mark_keyframe"], Qt.LeftButton)
    message = w.statusBar().currentMessage()
    assert "Keyframe kept" in message and "edited image" in message and "painted mask" in message
    w.edit.edited.setCurrentRow(0)
    qtbot.mouseClick(w.edit.remove_edited, Qt.LeftButton)
    assert "its keyframe stays" in w.statusBar().currentMessage() and w.scrubber.keyframes == {9}
