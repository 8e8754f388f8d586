"""Frames for the viewer, decoded off the GUI thread into a small LRU cache.

One FrameReader per media path, guarded by a lock (a reader is not thread-safe and reading
forward reuses its decoder). The cache holds display-ready 8-bit RGB arrays; 16-bit sources
are shifted down only for display, never for what goes to the engine.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path

import cv2
import numpy as np
from PySide6.QtCore import QObject, Signal

from retakes.engine.media import FrameReader, MediaInfo, probe

from .model.keyframes import read_edited
from .tasks import Tasks

CACHE_FRAMES = 96


def edited_source(path: str) -> str:
    """The FrameStore source of an edited image file: one image, cached under the frame it is attached to."""
    return f"image:{path}"


def to_rgb8(rgb: np.ndarray) -> np.ndarray:
    return (rgb >> 8).astype(np.uint8) if rgb.dtype == np.uint16 else np.ascontiguousarray(rgb)


class _Readers:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._readers: dict[str, tuple[threading.Lock, FrameReader]] = {}

    def read(self, info: MediaInfo, index: int) -> np.ndarray:
        key = str(info.path)
        with self._lock:
            if key not in self._readers:
                self._readers[key] = (threading.Lock(), FrameReader(info))
            lock, reader = self._readers[key]
        with lock:
            return to_rgb8(reader.frame(index))

    def close(self) -> None:
        with self._lock:
            for lock, reader in self._readers.values():
                with lock:
                    reader.close()
            self._readers.clear()


class FrameStore(QObject):
    """`request(source, index)` -> `ready(source, index, rgb)` later, or `failed(source, index, msg)`.

    `source` is a media path, "mask:<dir>" for a folder of per-frame mask PNGs (the tracked
    overlay), or "image:<file>" for an edited image (`edited_source`), read the same way so the
    GUI thread never touches the disk for any of them.
    """

    ready = Signal(str, int, object)
    failed = Signal(str, int, str)

    def __init__(self, tasks: Tasks, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.tasks = tasks
        self._infos: dict[str, MediaInfo] = {}
        self._cache: OrderedDict[tuple[str, int], np.ndarray] = OrderedDict()
        self._pending: set[tuple[str, int]] = set()
        self._readers = _Readers()

    def register(self, info: MediaInfo) -> None:
        self._infos[str(info.path)] = info

    def cached(self, source: str, index: int) -> np.ndarray | None:
        key = (source, index)
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        return None

    def request(self, source: str, index: int) -> np.ndarray | None:
        """The frame if cached; otherwise starts decoding it and returns None."""
        hit = self.cached(source, index)
        if hit is not None or (source, index) in self._pending:
            return hit
        self._pending.add((source, index))
        self.tasks.run(lambda: self._load(source, index),
                       lambda rgb: self._store(source, index, rgb),
                       lambda exc: self._fail(source, index, exc))
        return None

    def _load(self, source: str, index: int) -> np.ndarray:
        if source.startswith("mask:"):
            folder = Path(source[5:])
            files = sorted(folder.glob("*.png"))
            if not 0 <= index < len(files):
                raise IndexError(f"no tracked mask for frame {index}")
            return cv2.imread(str(files[index]), cv2.IMREAD_GRAYSCALE)
        if source.startswith("image:"):
            return to_rgb8(read_edited(source[6:]))
        info = self._infos.get(source) or probe(source)
        self._infos.setdefault(source, info)
        return self._readers.read(info, index)

    def _store(self, source: str, index: int, rgb: np.ndarray) -> None:
        self._pending.discard((source, index))
        self._cache[(source, index)] = rgb
        while len(self._cache) > CACHE_FRAMES:
            self._cache.popitem(last=False)
        self.ready.emit(source, index, rgb)

    def _fail(self, source: str, index: int, exc: BaseException) -> None:
        self._pending.discard((source, index))
        self.failed.emit(source, index, str(exc))

    def forget(self, source: str) -> None:
        for key in [k for k in self._cache if k[0] == source]:
            del self._cache[key]

    def close(self) -> None:
        self._readers.close()
