"""A fake chunked runner and multiprocessing helpers for the job tests.

The fake renders `chunks` chunks of `frames` frames each, sleeping `sleep` s per chunk,
writes each chunk's (deterministic) bytes to a file, checkpoints it, and appends
"<owner> <index>" to a log, so a test can tell which engine rendered which chunk. Its
result is the sha256 of the concatenated chunks, so a resumed run can be compared to an
uninterrupted one byte for byte.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import threading
import time
from pathlib import Path

from retakes.engine.errors import InvalidArgument
from retakes.engine.jobs import JobRecord, JobRunContext, JobStore


def spec(chunks: int = 4, frames: int = 5, sleep: float = 0.02, fail_at: int = -1, fail: str = "") -> bytes:
    return json.dumps(
        {"chunks": chunks, "frames": frames, "sleep": sleep, "fail_at": fail_at, "fail": fail}
    ).encode()


def chunk_bytes(index: int, frames: int) -> bytes:
    return b"".join(f"frame {index * frames + f}\n".encode() for f in range(frames))


class ChunkedJob:
    """Callable as `run_job`. Thread-safe bookkeeping of what ran, for assertions."""

    def __init__(self, workdir: Path, log: Path | None = None) -> None:
        self.workdir = Path(workdir)
        self.log = log
        self.rendered: list[tuple[str, int]] = []  # (job id, chunk index)
        self.cleaned: list[str] = []
        self.active = 0
        self.max_active = 0
        self.chunk_done = threading.Event()
        self._lock = threading.Lock()

    def __call__(self, record: JobRecord, ctx: JobRunContext) -> bytes:
        s = json.loads(record.request)
        with self._lock:
            self.active += 1
            self.max_active = max(self.max_active, self.active)
        try:
            return self._run(record, ctx, s)
        finally:
            with self._lock:
                self.active -= 1

    def _run(self, record: JobRecord, ctx: JobRunContext, s: dict) -> bytes:
        out = self.workdir / record.id
        out.mkdir(parents=True, exist_ok=True)
        done = {c.index: c for c in ctx.chunks()}
        total = s["chunks"] * s["frames"]
        for i in range(s["chunks"]):
            ctx.check_cancelled()
            if i in done:
                continue
            if i == s["fail_at"]:
                if s["fail"] == "invalid":
                    raise InvalidArgument("mask is 10x10, the source is 854x480", field="mask")
                raise ZeroDivisionError("secret internal detail")
            time.sleep(s["sleep"])
            data = chunk_bytes(i, s["frames"])
            path = out / f"chunk_{i:04d}.bin"
            path.write_bytes(data)
            with self._lock:
                self.rendered.append((record.id, i))
            if self.log is not None:
                with open(self.log, "a") as f:
                    f.write(f"{ctx.owner} {i}\n")
            ctx.record_chunk(i, str(path), hashlib.sha256(data).hexdigest(), s["frames"])
            ctx.report("render", (i + 1) * s["frames"], total)
            self.chunk_done.set()
        whole = hashlib.sha256()
        for c in ctx.chunks():
            data = Path(c.path).read_bytes()
            assert hashlib.sha256(data).hexdigest() == c.sha256
            whole.update(data)
        return whole.hexdigest().encode()

    def cleanup(self, record: JobRecord) -> None:
        self.cleaned.append(record.id)
        shutil.rmtree(self.workdir / record.id, ignore_errors=True)


def claim_until_empty(db_path: str, owner: str, barrier, results) -> None:
    """multiprocessing target: claim jobs until none is left; report their ids."""
    store = JobStore(db_path)
    barrier.wait()
    claimed = []
    while (rec := store.claim(owner, lease_seconds=60)) is not None:
        claimed.append(rec.id)
    results.put((owner, claimed))
    store.close()
