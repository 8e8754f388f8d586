"""Where the engine keeps its state and how it listens."""

from __future__ import annotations

import logging
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)


def private_dir(path: Path) -> Path:
    """Creates `path` (and missing parents) readable by this user only (0700), and makes an
    existing one so: the state folder holds the job database (every source and output path
    an editor used), uploaded media and the engine's socket."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    if os.name == "posix":
        info = path.stat()
        if info.st_mode & 0o077:
            if info.st_uid == os.getuid():
                os.chmod(path, 0o700)
                log.warning("%s was open to other users (mode %o); it is now 0700", path, stat.S_IMODE(info.st_mode))
            else:
                log.warning("%s belongs to another user and is open to others (mode %o); the engine's state in it "
                            "is not private", path, stat.S_IMODE(info.st_mode))
    return path


def private_file(path: Path) -> Path:
    """Creates `path` empty if it is missing, readable by this user only (0600), and makes an
    existing one so."""
    path = Path(path)
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    try:
        if os.name == "posix" and os.fstat(fd).st_mode & 0o077:
            os.fchmod(fd, 0o600)
    finally:
        os.close(fd)
    return path


def default_state_dir() -> Path:
    """`$RETAKES_HOME`, else the platform's per-user data folder."""
    if env := os.environ.get("RETAKES_HOME"):
        return Path(env)
    if os.name == "nt":
        return Path(os.environ.get("LOCALAPPDATA", Path.home())) / "retakes"
    xdg = os.environ.get("XDG_STATE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".local" / "state") / "retakes"


#: how media reaches the tasks: probed per job, by path, or through Ray's object store
MEDIA_MODES = ("auto", "shared", "object-store")


@dataclass(frozen=True)
class RaySettings:
    #: the head's HOST:PORT; empty: a local Ray started for (and stopped with) the engine
    address: str = ""
    #: "auto", "shared" (every node mounts media and state at the same paths) or "object-store"
    media: str = "auto"
    #: CPUs of a local Ray (0: every core)
    local_cpus: int = 0
    #: Ray's retries of a task whose worker or node died
    max_retries: int = 3


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
    #: Threads for the RPCs' blocking work (probing, previews, SQLite); 0: Python's default.
    rpc_workers: int = 0
    #: Health says NOT_SERVING once every RPC worker thread has been busy this many seconds.
    stall_seconds: float = 15.0
    #: "local" (threads of this process) or "ray" (each job's chunks as Ray tasks)
    executor: str = "local"
    #: the Ray cluster and how media reaches it (engine.jobs.ray_executor), for executor "ray"
    ray: RaySettings = field(default_factory=lambda: RaySettings())

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
