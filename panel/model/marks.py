"""Keyframes marked by hand (◆), kept in the session folder so reopening the clip brings them back.

A painted mask or an attached edited image brings its keyframe back on its own (the session
derives those diamonds); a hand mark has nothing else on disk, so it gets this small file: a JSON
list of source frames (media indices, like every frame number in the session, so a clip reopened
with other handles still marks the same pictures).

Saves run on worker threads and may finish in any order, so each save is a numbered snapshot and
an older one never overwrites a newer one; each is written to a temp name and renamed into place,
so a crash never leaves half a file. A file that can't be read is no marks, never a failed restore.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

log = logging.getLogger(__name__)

MARKED_FILE = "marked.json"


class MarkedFile:
    """One session folder's record of hand marks."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / MARKED_FILE
        self.read_done = False  # saves wait for the restore, so they never replace marks not yet read
        self._lock = threading.Lock()
        self._taken = 0  # snapshots handed out (GUI thread)
        self._written = 0  # the newest snapshot on disk (worker threads, under the lock)

    def snapshot(self, frames: Iterable[int]) -> Callable[[], None]:
        """Takes the marks now (GUI thread); the returned callable writes them (worker thread)."""
        self._taken += 1
        generation, text = self._taken, json.dumps(sorted(frames))

        def write() -> None:
            with self._lock:
                if generation <= self._written:
                    return  # a newer snapshot is already on disk
                self.path.parent.mkdir(parents=True, exist_ok=True)
                tmp = self.path.with_name(self.path.name + ".tmp")
                tmp.write_text(text)
                os.replace(tmp, self.path)
                self._written = generation
        return write

    def read(self, first: int, end: int) -> frozenset[int]:
        """The saved marks within source frames [first, end) (worker thread). A missing file is no
        marks yet; an unreadable one is logged and read as no marks, so the rest of the restore goes on."""
        try:
            if not self.path.exists():
                log.info("No hand-marked keyframes saved in %s yet: none to restore", self.path.parent)
                return frozenset()
            frames = json.loads(self.path.read_text())
            if not isinstance(frames, list) or not all(type(f) is int for f in frames):  # bool is no frame
                raise ValueError("expected a JSON list of frame numbers")
        except (OSError, ValueError) as exc:  # ValueError covers bad JSON and bad UTF-8
            log.warning("Hand-marked keyframes not restored: %s can't be read (%s); "
                        "treating it as no marks, the next ◆ rewrites it", self.path, exc)
            return frozenset()
        return frozenset(f for f in frames if first <= f < end)
