"""A deterministic stand-in video model for the window, join and colour-match logic (issue 15 allows
one beside the tiny real model): it returns known content, so a test can say exactly what each
output pixel must be. It follows `engine.learned.video.VideoModel`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from retakes.engine.learned.video import ModelWindow


@dataclass
class StandIn:
    """Fills what the mask asks for with a flat grey of `level` (plus `drift` per call, a colour shift
    between windows such as a real model makes); keeps what the mask keeps, shifted by `drift` too
    (so the colour match has something to undo). Records every call."""

    window: int = 9
    multiple: int = 16
    working_area: int | None = None
    aspect: float | None = None
    level: float = 0.5
    drift: float = 0.0
    steps: int = 2
    calls: list[ModelWindow] = field(default_factory=list)
    #: keep a copy of each call's inputs (off where memory is measured: the copies grow with the clip)
    record: bool = True
    count: int = 0

    def generate(self, w: ModelWindow, step: Callable[[int, int], None]) -> np.ndarray:
        assert w.video.shape[0] == self.window or (w.video.shape[0] - 1) % 4 == 0
        shift = self.drift * self.count
        self.count += 1
        if self.record:
            self.calls.append(ModelWindow(w.video.copy(), w.mask.copy(), w.seed))
        for s in range(self.steps):
            step(s + 1, self.steps)
        out = w.video.astype(np.float32) / 255 + shift
        out[w.mask > 127] = self.level + shift
        return np.clip(out, 0, 1)
