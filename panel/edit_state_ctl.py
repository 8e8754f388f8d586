"""The editor's settings for a clip: the op and its controls, the prompt, the tracked mask, In and Out.

They are kept in the session folder (`edit.json`, written off the GUI thread a moment after a change)
and put back when the clip is opened again, once the engine's ops are known. Each change of a control
or of the prompt is a step of the shared history; steps on one control in a row merge into one.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from PySide6.QtCore import QTimer

from .errors import plain
from .host import Host

EDIT_FILE = "edit.json"
EDIT_SCHEMA = "retakes.panel.edit.1"


class EditStateController:
    def __init__(self, host: Host) -> None:
        self.host = host
        self.window = w = host.window
        self._applying = False
        self._grouping = False  # inside `one_step`: the changes are recorded together when it ends
        self._pending: dict[str, Any] | None = None  # read from disk before the engine's ops were known
        self._last = self.snapshot()
        self.save_timer = QTimer(w)
        self.save_timer.setSingleShot(True)
        self.save_timer.setInterval(300)
        self.save_timer.timeout.connect(self.save)
        w.edit.ops.changed.connect(self._changed)
        w.edit.ops.ops_set.connect(self._ops_arrived)
        w.edit.prompt.textChanged.connect(self._changed)

    # ---- the settings shown
    def snapshot(self) -> dict[str, Any]:
        e = self.window.edit
        return {"ops": e.ops.state(), "prompt": e.prompt.text()}

    def apply(self, state: dict[str, Any]) -> None:
        """Puts settings back without recording them (undo, redo, reopen)."""
        e = self.window.edit
        self._applying = True
        try:
            if "prompt" in state:
                e.prompt.blockSignals(True)  # the prompt's own op pick must not overrule the saved op
                e.prompt.setText(str(state["prompt"]))
                e.prompt.blockSignals(False)
            if state.get("ops"):
                e.ops.apply(state["ops"])
        finally:
            self._applying = False
        self._last = self.snapshot()
        self.host.update_ready()
        self.save_timer.start()

    @contextmanager
    def one_step(self, what: str, key: str = "prompt") -> Iterator[None]:
        """Changes made inside are one step of the history (a prompt that picks an op and fills its
        controls is undone at once, with the words that did it)."""
        before = self._last
        self._grouping = True
        try:
            yield
        finally:
            self._grouping = False
        now = self.snapshot()
        if now == before:
            return
        self._last = now
        self.save_timer.start()
        if self.host.session is not None:
            self.host.history.record(what, lambda: self.apply(before), lambda: self.apply(now), merge_key=key)

    def _changed(self, *_: object) -> None:
        e = self.window.edit
        if self._applying or self._grouping or e.ops.setting_ops:
            return
        before, now = self._last, self.snapshot()
        if now == before:
            return
        self._last = now
        self.save_timer.start()
        if self.host.session is None:
            return
        what, key = self._what(before, now)
        self.host.history.record(what, lambda: self.apply(before), lambda: self.apply(now), merge_key=key)

    @staticmethod
    def _what(before: dict[str, Any], now: dict[str, Any]) -> tuple[str, str]:
        if before["ops"].get("op") != now["ops"].get("op"):
            return f"Op {now['ops'].get('op')}", "op"
        if before["prompt"] != now["prompt"]:
            return "Prompt", "prompt"
        a, b = before["ops"].get("controls", {}), now["ops"].get("controls", {})
        names = sorted(n for n in set(a) | set(b) if a.get(n) != b.get(n))
        label = ", ".join(n.replace("_", " ") for n in names) or "settings"
        return f"Set {label}", "control:" + ",".join(names)

    def _ops_arrived(self) -> None:
        if self._pending is not None:
            pending, self._pending = self._pending, None
            self.apply(pending)
        self._last = self.snapshot()

    # ---- kept with the clip
    def path(self) -> Path:
        return self.host.session.session_dir(self.host.settings.session_dir) / EDIT_FILE

    def save(self) -> None:
        s = self.host.session
        if s is None:
            return
        data = {"schema": EDIT_SCHEMA, **self._last, "marks": [s.mark_in, s.mark_out]}
        if s.tracked_dir and s.tracked_key is not None:
            data["tracked"] = {"dir": s.tracked_dir, "frame": s.tracked_key[0], "digest": s.tracked_key[1].hex()}
        path, text = self.path(), json.dumps(data, indent=1)

        def write() -> None:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(path.name + ".tmp")
            tmp.write_text(text)
            os.replace(tmp, path)
        self.host.tasks.run(write, None, lambda exc: self.host.error(plain(exc, doing="save the clip's settings")),
                            serial=True)

    def restore(self) -> None:
        """Reads the clip's settings back (after its masks: both go through the serial pool, in order)."""
        h, s = self.host, self.host.session
        path = self.path()

        def read() -> dict[str, Any]:
            if not path.exists():
                return {}
            data = json.loads(path.read_text())
            if not isinstance(data, dict) or data.get("schema") != EDIT_SCHEMA:
                return {}
            tracked = data.get("tracked")
            if isinstance(tracked, dict) and not Path(str(tracked.get("dir", ""))).is_dir():
                data.pop("tracked")  # the tracked masks were deleted since: track again
            return data

        def restored(data: dict[str, Any]) -> None:
            if h.session is not s or not data:
                return
            tracked = data.get("tracked")
            if isinstance(tracked, dict) and int(tracked.get("frame", -1)) in s.masks:
                s.tracked_dir = str(tracked["dir"])
                s.tracked_key = (int(tracked["frame"]), bytes.fromhex(str(tracked["digest"])))
                rendered = s.clip.range_with_handles
                self.window.scrubber.tracked = (rendered.start, rendered.end)
            marks = data.get("marks")
            if isinstance(marks, list) and len(marks) == 2:
                h.set_marks(*(int(m) if isinstance(m, int) else None for m in marks), record=False)
            state = {k: data[k] for k in ("ops", "prompt") if k in data}
            if self.window.edit.ops.ops:
                self.apply(state)
            else:
                self._pending = state  # applied when the engine's ops arrive
                if "prompt" in state:
                    self.apply({"prompt": state["prompt"]})
            h.show_frame()
            h.status("Restored this clip's op, settings and marks from the last session")

        def failed(exc: BaseException) -> None:
            h.status(f"This clip's settings from the last session could not be read ({exc}); starting afresh")
        h.tasks.run(read, restored, failed, serial=True)
