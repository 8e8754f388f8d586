"""Where the engine keeps its state and how it listens."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


def default_state_dir() -> Path:
    """`$RETAKES_HOME`, else the platform's per-user data folder."""
    if env := os.environ.get("RETAKES_HOME"):
        return Path(env)
    if os.name == "nt":
        return Path(os.environ.get("LOCALAPPDATA", Path.home())) / "retakes"
    xdg = os.environ.get("XDG_STATE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".local" / "state") / "retakes"


@dataclass
class EngineConfig:
    state_dir: Path = field(default_factory=default_state_dir)
    #: Unix socket to listen on; None with a tcp_port means TCP only.
    socket_path: Path | None = None
    #: Loopback TCP port (0: pick one). TCP always requires the bearer token.
    tcp_port: int | None = None
    token: str | None = None
    max_concurrent_jobs: int = 1
    #: Frames per checkpointed chunk: a restarted engine redoes at most this many.
    chunk_frames: int = 48
    lease_seconds: float = 10.0
    #: Chunks of one job rendered at once; 0 picks by core count (one per 4 cores, at most 4).
    render_workers: int = 0

    def workers(self) -> int:
        if self.render_workers > 0:
            return self.render_workers
        return max(1, min(4, (os.cpu_count() or 1) // 4))

    @property
    def jobs_db(self) -> Path:
        return self.state_dir / "jobs.sqlite3"

    @property
    def work_dir(self) -> Path:
        return self.state_dir / "work"

    @property
    def uploads_dir(self) -> Path:
        return self.state_dir / "uploads"

    @property
    def outputs_dir(self) -> Path:
        """Where a remote client's bare output names land."""
        return self.state_dir / "outputs"

    def default_socket(self) -> Path:
        return self.state_dir / "engine.sock"
