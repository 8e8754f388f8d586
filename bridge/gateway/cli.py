"""`retakes gateway serve`: the HTTP + WebSocket gateway for the Premiere panel.

    retakes gateway serve [--port N] [--engine TARGET] [--token-file F] [--tls-cert F --tls-key F]

Without `--engine` it uses the engine running at the default socket, or starts a private one
for as long as it runs (as `retakes edit` does).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
from pathlib import Path

from .config import DEFAULT_PORT, GatewayConfig, default_versions_root, new_token


def register(subparsers: argparse._SubParsersAction) -> None:
    gateway = subparsers.add_parser("gateway", help="serve the engine over HTTP + WebSocket for the Premiere panel")
    sub = gateway.add_subparsers(dest="gateway_command", required=True, metavar="{serve}")
    serve = sub.add_parser("serve", help="run the gateway until interrupted")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT,
                       help=f"port on 127.0.0.1 (default {DEFAULT_PORT}, the one the plugin's manifest names; "
                            "0 picks a free one)")
    serve.add_argument("--host", default="127.0.0.1", help="loopback address to bind (127.0.0.1, ::1, localhost)")
    serve.add_argument("--engine", metavar="TARGET",
                       help="the engine's gRPC target, e.g. unix:///path/engine.sock or 127.0.0.1:PORT "
                            "(default: the running engine, else a private one)")
    serve.add_argument("--engine-token-file", type=Path, metavar="FILE",
                       help="the engine's token, for a TCP --engine (default: $RETAKES_TOKEN)")
    serve.add_argument("--token-file", type=Path, metavar="FILE",
                       help="the token panels must present (default: a new one, written to "
                            "<state>/gateway.token, readable by you only)")
    serve.add_argument("--tls-cert", type=Path, metavar="PEM", help="serve https/wss with this certificate "
                       "(macOS's UXP refuses plain http)")
    serve.add_argument("--tls-key", type=Path, metavar="PEM", help="the certificate's private key")
    serve.add_argument("--allow-origin", action="append", default=[], metavar="ORIGIN",
                       help="a web origin that may call the gateway from a browser (repeatable; none by default)")
    serve.add_argument("--versions-root", type=Path, metavar="DIR",
                       help=f"where versions and their store live (default {default_versions_root()})")
    serve.add_argument("--max-body-bytes", type=int, default=1 << 20, metavar="N",
                       help="largest request body accepted (default 1 MiB)")
    serve.set_defaults(run=run_serve)


def _token(args: argparse.Namespace, state_dir: Path | None = None) -> tuple[str, Path | None]:
    from ...cli.edit import CliError
    from ...engine.config import default_state_dir

    if getattr(args, "token_file", None):
        try:
            token = args.token_file.read_text().strip()
        except OSError as error:
            raise CliError(f"--token-file: cannot read {args.token_file} ({error.strerror})") from None
        if len(token) < 16:
            raise CliError(f"--token-file: {args.token_file} holds {len(token)} characters; use at least 16")
        return token, None
    path = (state_dir or default_state_dir()) / "gateway.token"
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    token = new_token()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(token)
    return token, path


def _announce(token_path: Path | None, engine: str):
    def ready(running) -> None:
        if token_path:
            print(f"token written to {token_path}", flush=True)
        print(f"retakes gateway listening on {running.url} (engine {engine}); "
              f"panel page: {running.url}/panel/", flush=True)
    return ready


def run_with_engine(engine_config, port: int, ready_engine) -> int:
    """`retakes engine serve --gateway-port N`: the engine starts its gateway too."""
    from ...cli.edit import CliError
    from .server import GatewaySetupError, check_setup, serve_with_engine

    config = GatewayConfig(engine_target="", port=port)
    try:
        check_setup(config)
    except GatewaySetupError as error:
        raise CliError(str(error).replace("--port", "--gateway-port", 1)) from None
    engine_config.state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    config.token, token_path = _token(argparse.Namespace(), engine_config.state_dir)
    try:
        asyncio.run(serve_with_engine(engine_config, config, ready_engine=ready_engine,
                                      ready=_announce(token_path, "in this process")))
    except GatewaySetupError as error:
        raise CliError(str(error).replace("--port", "--gateway-port", 1)) from None
    return 0


def run_serve(args: argparse.Namespace) -> int:
    from ...cli.edit import CliError
    from ...engine.client import find_engine, private_engine
    from .server import GatewaySetupError, check_setup, serve

    if args.max_body_bytes < 1024:
        raise CliError(f"--max-body-bytes: at least 1024, got {args.max_body_bytes}")
    engine_token = os.environ.get("RETAKES_TOKEN")
    if args.engine_token_file:
        try:
            engine_token = args.engine_token_file.read_text().strip()
        except OSError as error:
            raise CliError(f"--engine-token-file: cannot read {args.engine_token_file} ({error.strerror})") from None
    config = GatewayConfig(engine_target="", engine_token=engine_token, host=args.host, port=args.port,
                           tls_cert=args.tls_cert, tls_key=args.tls_key, allowed_origins=tuple(args.allow_origin),
                           max_body_bytes=args.max_body_bytes)
    if args.versions_root:
        config.versions_root = args.versions_root
    try:
        check_setup(config)  # before anything is written or started
    except GatewaySetupError as error:
        raise CliError(str(error)) from None
    config.token, token_path = _token(args)

    with contextlib.ExitStack() as stack:
        target = args.engine or find_engine()
        if target is None:
            target = stack.enter_context(private_engine())
            print(f"started a private engine on {target}", flush=True)
        config.engine_target = target

        try:
            asyncio.run(serve(config, ready=_announce(token_path, target)))
        except GatewaySetupError as error:
            raise CliError(str(error)) from None
    return 0
