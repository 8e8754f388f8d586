"""A terminal progress bar fed by the engine's job snapshots."""

from __future__ import annotations

import sys

from tqdm import tqdm

from ..v1 import engine_pb2


class JobProgressBar:
    """Renders WatchJob snapshots: stage, frames done/total, fps and ETA."""

    def __init__(self, label: str, *, enabled: bool | None = None) -> None:
        self._bar = tqdm(total=0, unit="frame", desc=label, dynamic_ncols=True, leave=True,
                         disable=(not sys.stderr.isatty()) if enabled is None else not enabled)
        self._stage = ""

    def __call__(self, job: engine_pb2.Job) -> None:
        p = job.progress
        if p.frames_total and self._bar.total != p.frames_total:
            self._bar.reset(total=p.frames_total)
        if p.stage and p.stage != self._stage:
            self._stage = p.stage
            self._bar.set_postfix_str(p.stage)
        self._bar.n = p.frames_done
        self._bar.refresh()

    def close(self) -> None:
        self._bar.close()

    def __enter__(self) -> JobProgressBar:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
