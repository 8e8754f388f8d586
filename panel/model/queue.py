"""The render queue: every job this panel sent, across clips, kept on disk.

The queue is the panel's memory of its jobs. The engine keeps the jobs themselves (SQLite), so
when it stops and comes back the panel re-attaches to them by id; this file is what lets the
panel know which ids to ask about, even after the panel itself restarts.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path

from retakes.v1 import engine_pb2 as pb

STATE_NAMES = {pb.JOB_STATE_QUEUED: "queued", pb.JOB_STATE_RUNNING: "running",
               pb.JOB_STATE_SUCCEEDED: "done", pb.JOB_STATE_FAILED: "failed",
               pb.JOB_STATE_CANCELLED: "cancelled"}
FINISHED = ("done", "failed", "cancelled")


_SAVE_LOCK = threading.Lock()
_LAST_SAVED: dict[Path, int] = {}

@dataclass
class QueueEntry:
    job_id: str
    clip_name: str
    op: str
    kind: str = "edit"  # "edit" (makes a version) or "track" (makes the mask overlay)
    state: str = "queued"
    stage: str = ""
    frames_done: int = 0
    frames_total: int = 0
    eta_seconds: float = -1.0
    message: str = ""
    output_path: str = ""
    clip_json: str = ""
    params: dict = field(default_factory=dict)
    seed: int = 0
    recorded: bool = False  # the version is in the store
    #: a batch: one {"name", "output_path", "params"} per variant, each recorded as its own version
    variants: list = field(default_factory=list)
    #: a frame fix: the id of the version fixed (the new version's parent); its frames "A:B" in params
    fix_of: int = 0

    @property
    def finished(self) -> bool:
        return self.state in FINISHED

    @property
    def fraction(self) -> float:
        return self.frames_done / self.frames_total if self.frames_total else 0.0

    def eta_text(self) -> str:
        if self.finished or self.eta_seconds < 0:
            return ""
        s = int(round(self.eta_seconds))
        return f"{s // 60}:{s % 60:02d} left"

    def apply(self, job: pb.Job) -> None:
        self.state = STATE_NAMES.get(job.state, self.state)
        self.stage = job.progress.stage
        self.frames_done, self.frames_total = job.progress.frames_done, job.progress.frames_total
        self.eta_seconds = job.progress.eta_seconds
        if job.state == pb.JOB_STATE_FAILED:
            field_name = f" ({job.error.field})" if job.error.field else ""
            self.message = (job.error.message or "the engine failed this job") + field_name
        elif job.state == pb.JOB_STATE_SUCCEEDED:
            self.frames_done = self.frames_total = job.result.frames_written or self.frames_total
            # what the engine says of how it read the source (a phone's clip numbered in order, an
            # alpha the codec dropped): the queue shows it on the finished entry
            self.message = " ".join(f"{note}." for note in job.result.notes)


class RenderQueue:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self.entries: list[QueueEntry] = []

    def add(self, entry: QueueEntry) -> QueueEntry:
        self.entries.append(entry)
        return entry

    def get(self, job_id: str) -> QueueEntry | None:
        return next((e for e in self.entries if e.job_id == job_id), None)

    def unfinished(self) -> list[QueueEntry]:
        return [e for e in self.entries if not e.finished]

    def to_json(self) -> str:
        return json.dumps([asdict(e) for e in self.entries], indent=1)

    def save(self, generation: int = 0) -> None:
        """Atomic write (call from a worker thread): a crash never leaves half a queue file.

        Saves of one file run one at a time, and one older than the last written
        (`generation`, counted by the caller) is dropped: worker threads may finish in any
        order, and the file must end up holding the newest snapshot.
        """
        if self.path is None:
            return
        with _SAVE_LOCK:
            if generation < _LAST_SAVED.get(self.path, -1):
                return
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(self.path.name + ".tmp")
            tmp.write_text(self.to_json())
            os.replace(tmp, self.path)
            _LAST_SAVED[self.path] = generation

    @classmethod
    def load(cls, path: Path) -> RenderQueue:
        queue = cls(path)
        if path.exists():
            try:
                queue.entries = [QueueEntry(**e) for e in json.loads(path.read_text())]
            except (ValueError, TypeError):
                queue.entries = []  # an unreadable queue file is a fresh start, not a crash
        return queue
