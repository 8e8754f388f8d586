"""A real engine on a real socket, running in a background thread's event loop."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from retakes.engine.client import EngineClient
from retakes.engine.config import EngineConfig
from retakes.engine.service.server import RunningEngine, engine_in_thread


@dataclass
class EngineHandle:
    running: RunningEngine
    config: EngineConfig

    @property
    def unix_target(self) -> str:
        return f"unix://{self.running.socket_path}"

    @property
    def tcp_target(self) -> str:
        return f"127.0.0.1:{self.running.tcp_port}"

    def client(self) -> EngineClient:
        return EngineClient(self.unix_target)


@contextmanager
def running_engine(state_dir: Path, *, tcp: bool = False, **config) -> Iterator[EngineHandle]:
    cfg = EngineConfig(state_dir=state_dir, socket_path=state_dir / "e.sock", tcp_port=0 if tcp else None, **config)
    with engine_in_thread(cfg) as running:
        yield EngineHandle(running, cfg)
