"""`retakes engine serve`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import logging
import os
import signal
import sys
import threading
from pathlib import Path

from ..engine.config import EngineConfig, RaySettings
from ..engine.logs import configure as configure_logging
from . import values

log = logging.getLogger("retakes.engine")


def add_engine_parser(subparsers) -> None:
    p = subparsers.add_parser("engine", help="run the engine service")
    sub = p.add_subparsers(dest="engine_command", required=True, metavar="{serve}")
    serve = sub.add_parser("serve", help="serve the engine over gRPC until interrupted")
    where = serve.add_mutually_exclusive_group()
    where.add_argument("--socket", type=Path, metavar="PATH", help="Unix socket (default: <state>/engine.sock)")
    where.add_argument("--port", type=values.whole(0, 65535, "a port"), metavar="N",
                       help="loopback TCP port (0 picks one); needs a token")
    serve.add_argument("--token-file", type=Path,
                       help="file holding the bearer token for TCP (default: a new token, written to "
                            "<state>/engine.token, readable by you only)")
    serve.add_argument("--state-dir", type=Path, help="jobs database, uploads and work files (default: $RETAKES_HOME)")
    serve.add_argument("--max-jobs", type=values.count, default=1, help="jobs running at once (default 1)")
    serve.add_argument("--chunk-frames", type=values.count, default=48,
                       help="most frames per checkpointed chunk (fewer when that keeps every render worker busy)")
    serve.add_argument("--lease-seconds", type=values.seconds, default=10.0,
                       help="how long a job stays claimed by an engine that stopped answering")
    serve.add_argument("--log-file", type=Path, metavar="PATH",
                       help="append the log to PATH instead of stderr; internal errors then name it")
    serve.add_argument("--render-workers", type=values.whole(0, 256, "a number of workers"), default=0,
                       help="chunks of a job rendered at once (default: one per 4 cores, at most 4)")
    serve.add_argument("--executor", choices=("local", "ray"), default="local",
                       help="where a job's chunks render: threads of this engine (local) or Ray tasks (ray)")
    serve.add_argument("--ray-address", metavar="HOST:PORT", default="",
                       help="the head of a running Ray cluster (`ray start --head`); default: a local Ray "
                            "started for this engine")
    serve.add_argument("--ray-media", choices=("auto", "shared", "object-store"), default="auto",
                       help="how media reaches the cluster: by path where every node mounts it (shared), "
                            "through Ray's object store, or probed per job (auto, the default)")
    serve.add_argument("--ray-cpus", type=values.whole(0, 4096, "a number of CPUs"), default=0,
                       help="CPUs of the local Ray (default: every core)")
    # A private engine (engine.client.private_engine) is started with the pid of the process it
    # serves, and a pipe from it as stdin: it stops when that process ends.
    serve.add_argument("--private-for", type=int, metavar="PID", help=argparse.SUPPRESS)
    serve.add_argument("--gateway-port", type=int, metavar="N",
                       help="also serve the HTTP + WebSocket gateway for the Premiere panel on 127.0.0.1:N "
                            "(as `retakes gateway serve`; its token goes to <state>/gateway.token)")
    serve.set_defaults(run=run_serve)


def run_serve(args: argparse.Namespace) -> int:
    from ..engine.service.server import serve

    configure_logging(args.log_file)
    config = EngineConfig(socket_path=args.socket, tcp_port=args.port, max_concurrent_jobs=args.max_jobs,
                          chunk_frames=args.chunk_frames, lease_seconds=args.lease_seconds,
                          render_workers=args.render_workers, executor=args.executor,
                          ray=RaySettings(address=args.ray_address, media=args.ray_media, local_cpus=args.ray_cpus))
    if args.state_dir:
        config.state_dir = args.state_dir
    if args.token_file:
        config.token = args.token_file.read_text().strip()

    def ready(running) -> None:
        if args.private_for is not None:
            _stop_with_parent(args.private_for, running, asyncio.get_running_loop())
        if running.token and not args.token_file:
            token_path = config.state_dir / "engine.token"
            fd = os.open(token_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(running.token)
            print(f"token written to {token_path}", flush=True)
        print(f"retakes engine listening on {', '.join(running.targets)}", flush=True)
        log.info("ready: listening on %s", ", ".join(running.targets))  # timestamped, unlike the line above

    if args.gateway_port is not None:
        from ..bridge.gateway.cli import run_with_engine

        return run_with_engine(config, args.gateway_port, ready)
    try:
        asyncio.run(serve(config, ready=ready))
    finally:
        if args.private_for is not None and args.socket is not None:
            _remove_private_folder(args.socket)
    log.info("stopped")
    if args.private_for is not None:
        _exit_without_teardown()
    return 0


def _exit_without_teardown() -> None:
    """Ends a private engine that has stopped cleanly, skipping the interpreter's teardown.

    Its listeners, jobs, job store and folder are closed by now, and the command that started
    it waits for it to exit: unloading what its jobs loaded (torch and a CUDA context) took
    0.35-0.5 s of every such command's time with the CPU build of torch alone (0.57-0.72 s
    against 0.22 s without torch), and more with a GPU's.
    """
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def _stop_with_parent(parent: int, running, loop: asyncio.AbstractEventLoop) -> None:
    """Stops the engine (gracefully: jobs are checkpointed, so the next engine resumes them)
    when the process it was started for ends, however it ends.

    stdin is a pipe whose writing end only the parent holds: the kernel closes it when the
    parent dies, `kill -9` included, and the read below returns. That works on every OS; on
    Linux the parent-death signal says the same at once, even if the pipe was inherited.
    """
    stopping: list[asyncio.Future] = []

    def stop_once() -> None:  # the signal and the pipe both say it: stop once
        if not stopping:
            stopping.append(asyncio.ensure_future(running.stop()))

    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop_once)
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGTERM, 0, 0, 0)  # PR_SET_PDEATHSIG: SIGTERM once the parent is gone
    if os.getppid() != parent:  # it died before the signal was armed
        stop_once()
        return

    def wait_for_eof() -> None:
        with contextlib.suppress(OSError, ValueError):
            while sys.stdin.buffer.read(4096):
                pass
        loop.call_soon_threadsafe(stop_once)

    threading.Thread(target=wait_for_eof, name="retakes-parent-watch", daemon=True).start()


def _remove_private_folder(socket: Path) -> None:
    """The temporary folder a private engine's socket was made in, once the socket is gone:
    only an empty folder is removed, so nothing else can ever be deleted by mistake."""
    with contextlib.suppress(FileNotFoundError):
        socket.unlink()
    with contextlib.suppress(OSError):
        socket.parent.rmdir()
