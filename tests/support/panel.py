"""What the panel tests share: the demo media's size, a real engine in a thread, waits on the studio."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from retakes.engine.config import EngineConfig
from retakes.engine.service.server import engine_in_thread

if TYPE_CHECKING:
    from retakes.panel.studio import Studio

W, H, FRAMES = 320, 180, 24


class Engine:
    """A real engine in a thread; `stop()` / `start()` model it going away and coming back."""

    def __init__(self, root: Path) -> None:
        self.config = EngineConfig(state_dir=root / "state", socket_path=root / "e.sock", chunk_frames=4)
        self._cm = None

    @property
    def address(self) -> str:
        return str(self.config.socket_path)

    def start(self) -> None:
        self._cm = engine_in_thread(self.config)
        self._cm.__enter__()

    def stop(self) -> None:
        if self._cm is not None:
            cm, self._cm = self._cm, None
            cm.__exit__(None, None, None)


def wait_loaded(qtbot, studio: Studio) -> None:
    qtbot.waitUntil(lambda: studio.session is not None and studio.window.viewer.has_frame, timeout=10000)


def connect(qtbot, studio: Studio, engine: Engine) -> None:
    studio.connect_engine(engine.address)
    qtbot.waitUntil(lambda: studio.link.online and studio.window.edit.ops.picker.count() > 0, timeout=10000)


def open_from_resolve(qtbot, studio: Studio, engine: Engine, resolve_scene) -> None:
    """The panel online, with the Resolve double's current clip loaded, as an editor starts."""
    studio.resolve = resolve_scene.resolve
    connect(qtbot, studio, engine)
    studio.load_from_resolve()
    wait_loaded(qtbot, studio)


def run_to_the_end(qtbot, studio: Studio, button):
    """Clicks `button` (Generate, Track) and waits for the job it queues to end; returns its entry,
    which must have finished."""
    from PySide6.QtCore import Qt

    before = len(studio.jobs.queue.entries)
    qtbot.mouseClick(button, Qt.LeftButton)
    qtbot.waitUntil(lambda: len(studio.jobs.queue.entries) == before + 1, timeout=10000)
    entry = studio.jobs.queue.entries[-1]
    qtbot.waitUntil(lambda: entry.state in ("done", "failed", "cancelled"), timeout=120000)
    assert entry.state == "done", getattr(entry, "error", "")
    return entry
