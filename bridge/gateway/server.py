"""Starts and stops the gateway: bind (loopback only), TLS when asked, run until a signal."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import ssl
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from aiohttp import web

from .app import make_app
from .config import GatewayConfig, is_loopback
from .security import PORT_KEY


class GatewaySetupError(ValueError):
    """The gateway cannot start as configured; the message names the option."""


@dataclass
class RunningGateway:
    config: GatewayConfig
    runner: web.AppRunner
    port: int

    @property
    def url(self) -> str:
        return f"{self.config.scheme}://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"{'wss' if self.config.tls_cert else 'ws'}://127.0.0.1:{self.port}"

    async def stop(self) -> None:
        await self.runner.cleanup()


def tls_context(config: GatewayConfig) -> ssl.SSLContext | None:
    if config.tls_cert is None and config.tls_key is None:
        return None
    if config.tls_cert is None or config.tls_key is None:
        raise GatewaySetupError("--tls-cert and --tls-key go together")
    for option, path in (("--tls-cert", config.tls_cert), ("--tls-key", config.tls_key)):
        if not path.is_file():
            raise GatewaySetupError(f"{option}: {path} does not exist")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        context.load_cert_chain(config.tls_cert, config.tls_key)
    except ssl.SSLError as error:
        raise GatewaySetupError(f"--tls-cert/--tls-key: not a certificate and its key ({error.reason})") from None
    return context


def check_setup(config: GatewayConfig) -> ssl.SSLContext | None:
    """Refuses a configuration that cannot work, naming the option; returns the TLS context."""
    if not is_loopback(config.host):
        raise GatewaySetupError(f"--host: the gateway listens on this machine only (127.0.0.1, ::1 or "
                                f"localhost), not {config.host!r}")
    if not 0 <= config.port < 65536:
        raise GatewaySetupError(f"--port: expected 0-65535, got {config.port}")
    return tls_context(config)


async def start_gateway(config: GatewayConfig) -> RunningGateway:
    context = check_setup(config)
    app = make_app(config)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, config.host, config.port, ssl_context=context)
    try:
        await site.start()
    except OSError as error:
        await runner.cleanup()
        raise GatewaySetupError(f"--port: cannot listen on {config.host}:{config.port} ({error.strerror})") from None
    port = runner.addresses[0][1]
    app[PORT_KEY][0] = port
    return RunningGateway(config, runner, port)


async def serve(config: GatewayConfig, *, ready: Callable[[RunningGateway], None] | None = None) -> None:
    """Runs until SIGINT/SIGTERM."""
    running = await start_gateway(config)
    stopped = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stopped.set)
    if ready is not None:
        ready(running)
    try:
        await stopped.wait()
    finally:
        await running.stop()


async def serve_with_engine(engine_config, config: GatewayConfig, *, ready_engine=None,
                            ready: Callable[[RunningGateway], None] | None = None) -> None:
    """`retakes engine serve --gateway-port N`: the engine and its gateway in one process, until
    SIGINT/SIGTERM. The gateway is still only a client of the engine's own listener."""
    from ...engine.service.server import start_engine

    check_setup(config)
    engine = await start_engine(engine_config)
    try:
        if engine.socket_path is not None:
            config.engine_target, config.engine_token = f"unix://{engine.socket_path}", None
        else:
            config.engine_target, config.engine_token = f"127.0.0.1:{engine.tcp_port}", engine.token
        running = await start_gateway(config)
    except BaseException:
        await engine.stop()
        raise
    stopped = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stopped.set)
    if ready_engine is not None:
        ready_engine(engine)
    if ready is not None:
        ready(running)
    try:
        await stopped.wait()
    finally:
        await running.stop()
        await engine.stop()


@contextlib.contextmanager
def gateway_in_thread(config: GatewayConfig) -> Iterator[RunningGateway]:
    """The gateway on its own event loop in a background thread (tests, an embedding app)."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="retakes-gateway", daemon=True)
    thread.start()
    try:
        running = asyncio.run_coroutine_threadsafe(start_gateway(config), loop).result(30)
        try:
            yield running
        finally:
            asyncio.run_coroutine_threadsafe(running.stop(), loop).result(30)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
