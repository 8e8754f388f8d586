"""Every keyboard shortcut in one table: the window binds them, the tooltips quote them, the
tests press each one. Keys follow the NLE habits editors already have (J/K/L, arrows, [ ])."""

from __future__ import annotations

KEYS: dict[str, str] = {
    "play_reverse": "J",
    "stop": "K",
    "play_forward": "L",
    "play_toggle": "Space",
    "step_back": "Left",
    "step_forward": "Right",
    "step_back_10": "Shift+Left",
    "step_forward_10": "Shift+Right",
    "first_frame": "Home",
    "last_frame": "End",
    "mark_in": "I",  # In and Out: the range Generate renders, as in every NLE
    "mark_out": "O",
    "clear_marks": "Alt+X",
    "goto_timecode": "Ctrl+G",  # type a timecode (or +N / -N frames) to jump there
    "zoom_fit": "Shift+Z",  # the viewer: fit, 100% and 200%; the wheel zooms about the cursor
    "zoom_100": "Ctrl+1",
    "zoom_200": "Ctrl+2",
    "prev_keyframe": "Up",
    "next_keyframe": "Down",
    "mark_keyframe": "M",
    "toggle_edited": "Shift+E",  # Original / Edited on a frame with an edited image
    "brush": "B",
    "eraser": "E",
    "lasso": "G",
    "brush_smaller": "[",
    "brush_bigger": "]",
    "feather_less": "Alt+[",
    "feather_more": "Alt+]",
    "invert": "Ctrl+I",
    "clear": "Ctrl+Backspace",
    "undo": "Ctrl+Z",  # every change: strokes, mask commands, keyframes, settings, In/Out
    "redo": "Ctrl+Shift+Z",
    "track": "T",
    "preview": "P",
    "generate": "Ctrl+Return",
    "compare_side": "1",
    "compare_wipe": "2",
    "compare_difference": "3",
    "compare_toggle": "4",
    "compare_flip": "\\",
    "compare_exit": "Escape",
}
