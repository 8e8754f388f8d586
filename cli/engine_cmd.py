"""`retakes engine serve`."""

from __future__ import annotations

import argparse
import asyncio
import os
from pathlib import Path

from ..engine.config import EngineConfig
from ..engine.logs import configure as configure_logging


def add_engine_parser(subparsers) -> None:
    p = subparsers.add_parser("engine", help="run the engine service")
    sub = p.add_subparsers(dest="engine_command", required=True, metavar="{serve}")
    serve = sub.add_parser("serve", help="serve the engine over gRPC until interrupted")
    where = serve.add_mutually_exclusive_group()
    where.add_argument("--socket", type=Path, metavar="PATH", help="Unix socket (default: <state>/engine.sock)")
    where.add_argument("--port", type=int, metavar="N", help="loopback TCP port (0 picks one); needs a token")
    serve.add_argument("--token-file", type=Path,
                       help="file holding the bearer token for TCP (default: a new token, written to "
                            "<state>/engine.token, readable by you only)")
    serve.add_argument("--state-dir", type=Path, help="jobs database, uploads and work files (default: $RETAKES_HOME)")
    serve.add_argument("--max-jobs", type=int, default=1, help="jobs running at once (default 1)")
    serve.add_argument("--chunk-frames", type=int, default=48, help="frames per checkpointed chunk")
    serve.add_argument("--lease-seconds", type=float, default=10.0,
                       help="how long a job stays claimed by an engine that stopped answering")
    serve.add_argument("--log-file", type=Path, metavar="PATH",
                       help="append the log to PATH instead of stderr; internal errors then name it")
    serve.add_argument("--render-workers", type=int, default=0,
                       help="chunks of a job rendered at once (default: one per 4 cores, at most 4)")
    serve.add_argument("--gateway-port", type=int, metavar="N",
                       help="also serve the HTTP + WebSocket gateway for the Premiere panel on 127.0.0.1:N "
                            "(as `retakes gateway serve`; its token goes to <state>/gateway.token)")
    serve.set_defaults(run=run_serve)


def run_serve(args: argparse.Namespace) -> int:
    from ..engine.service.server import serve

    configure_logging(args.log_file)
    config = EngineConfig(socket_path=args.socket, tcp_port=args.port, max_concurrent_jobs=args.max_jobs,
                          chunk_frames=args.chunk_frames, lease_seconds=args.lease_seconds,
                          render_workers=args.render_workers)
    if args.state_dir:
        config.state_dir = args.state_dir
    if args.token_file:
        config.token = args.token_file.read_text().strip()

    def ready(running) -> None:
        if running.token and not args.token_file:
            token_path = config.state_dir / "engine.token"
            fd = os.open(token_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(running.token)
            print(f"token written to {token_path}", flush=True)
        print(f"retakes engine listening on {', '.join(running.targets)}", flush=True)

    if args.gateway_port is not None:
        from ..bridge.gateway.cli import run_with_engine

        return run_with_engine(config, args.gateway_port, ready)
    asyncio.run(serve(config, ready=ready))
    return 0
