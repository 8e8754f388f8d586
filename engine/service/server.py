"""Builds and runs the engine's gRPC servers (grpc.aio).

One servicer, up to two listeners: a Unix socket (default; mode 0600 in a private
folder; no token) and a loopback TCP port that requires the bearer token. Standard
health (`grpc.health.v1`) and reflection are served on both; health says NOT_SERVING
while the servicer's worker threads are all stuck (`health.PoolWatch`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1._async import HealthServicer
from grpc_reflection.v1alpha import reflection

from ...v1 import engine_pb2, engine_pb2_grpc
from ..config import EngineConfig
from ..core import Engine
from .auth import BearerTokenInterceptor, new_token
from .health import PoolWatch
from .servicer import EngineServicer

log = logging.getLogger(__name__)

SERVICE_NAME = engine_pb2.DESCRIPTOR.services_by_name["EngineService"].full_name
# Media files never travel in one message; chunks are 1 MiB. 8 MiB leaves room.
_OPTIONS = [
    ("grpc.so_reuseport", 0),  # two engines must not silently share a port (grpc#19773)
    ("grpc.max_receive_message_length", 8 << 20),
    ("grpc.max_send_message_length", 64 << 20),
]


@dataclass
class RunningEngine:
    engine: Engine
    servers: list[grpc.aio.Server]
    health: HealthServicer
    socket_path: Path | None = None
    tcp_port: int | None = None
    token: str | None = None
    #: the worker threads the RPCs' blocking work runs on, and what watches them for health
    pool: ThreadPoolExecutor | None = None
    pool_watch: PoolWatch | None = None
    _stopped: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def targets(self) -> list[str]:
        out = []
        if self.socket_path:
            out.append(f"unix://{self.socket_path}")
        if self.tcp_port:
            out.append(f"127.0.0.1:{self.tcp_port}")
        return out

    async def stop(self, grace: float = 2.0) -> None:
        await self.health.enter_graceful_shutdown()
        if self.pool_watch is not None:
            await self.pool_watch.stop()
        for server in self.servers:
            await server.stop(grace)
        await asyncio.to_thread(self.engine.stop)
        if self.pool is not None:
            # a thread stuck in a read is not waited for: it cannot be interrupted
            self.pool.shutdown(wait=False, cancel_futures=True)
        if self.socket_path:
            with contextlib.suppress(FileNotFoundError):
                self.socket_path.unlink()
        self._stopped.set()

    async def wait(self) -> None:
        await self._stopped.wait()


def _new_server(servicer: EngineServicer, health: HealthServicer, interceptors=()) -> grpc.aio.Server:
    server = grpc.aio.server(options=_OPTIONS, interceptors=list(interceptors))
    engine_pb2_grpc.add_EngineServiceServicer_to_server(servicer, server)
    health_pb2_grpc.add_HealthServicer_to_server(health, server)
    reflection.enable_server_reflection((SERVICE_NAME, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name,
                                         reflection.SERVICE_NAME), server)
    return server


async def start_engine(config: EngineConfig) -> RunningEngine:
    """Starts the engine and its listeners; returns once they accept calls."""
    engine = Engine(config)
    pool = ThreadPoolExecutor(config.rpc_workers or None, thread_name_prefix="retakes-rpc")
    servicer = EngineServicer(engine, pool)
    health = HealthServicer()
    servers: list[grpc.aio.Server] = []
    running = RunningEngine(engine, servers, health, pool=pool)

    socket_path = config.socket_path
    if socket_path is None and config.tcp_port is None:
        socket_path = config.default_socket()
    if socket_path is not None:
        socket_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        _remove_stale_socket(socket_path)
        server = _new_server(servicer, health)
        old_umask = os.umask(0o177)  # the socket file is born 0600: no window where others can connect
        try:
            server.add_insecure_port(f"unix://{socket_path}")
        finally:
            os.umask(old_umask)
        servers.append(server)
        running.socket_path = socket_path
    if config.tcp_port is not None:
        running.token = config.token or new_token()
        server = _new_server(servicer, health, [BearerTokenInterceptor(running.token)])
        port = server.add_insecure_port(f"127.0.0.1:{config.tcp_port}")
        if port == 0:  # grpc signals a failed bind by returning 0 (grpc#16920)
            raise OSError(f"cannot listen on 127.0.0.1:{config.tcp_port}")
        running.tcp_port = port
        servers.append(server)

    engine.start()
    for server in servers:
        await server.start()
    await health.set("", health_pb2.HealthCheckResponse.SERVING)
    await health.set(SERVICE_NAME, health_pb2.HealthCheckResponse.SERVING)
    running.pool_watch = PoolWatch(pool, health, ("", SERVICE_NAME), stall_after=config.stall_seconds)
    running.pool_watch.start()
    return running


def _remove_stale_socket(path: Path) -> None:
    """A socket left by a killed engine is removed; a live engine's socket is an error."""
    if not path.exists():
        return
    import socket

    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.connect(str(path))
    except OSError:
        path.unlink()
        return
    finally:
        probe.close()
    raise OSError(f"an engine is already listening on {path}")


async def serve(config: EngineConfig, *, ready=None) -> None:
    """Runs until SIGINT/SIGTERM. `ready(running)` is called once the engine accepts calls."""
    running = await start_engine(config)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, lambda: asyncio.ensure_future(running.stop()))
    if ready is not None:
        ready(running)
    await running.wait()


@contextlib.contextmanager
def engine_in_thread(config: EngineConfig):
    """Runs an engine on its own event loop in a background thread (tests, benchmarks,
    an embedding app); yields the RunningEngine and stops it on exit."""
    import threading

    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="retakes-engine", daemon=True)
    thread.start()
    try:
        running = asyncio.run_coroutine_threadsafe(start_engine(config), loop).result(60)
        try:
            yield running
        finally:
            asyncio.run_coroutine_threadsafe(running.stop(0.5), loop).result(60)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
