"""How the gateway listens, whom it lets in, and where it finds the engine and the versions."""

from __future__ import annotations

import ipaddress
import secrets
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_PORT = 8790
#: Host names that mean this machine; the only ones the gateway binds to or answers for.
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")


def new_token() -> str:
    return secrets.token_urlsafe(32)


def default_versions_root() -> Path:
    """The folder the PySide panel uses too, so versions made in either host are one store."""
    from ..agent.retakes_agent import state_dir

    return state_dir() / "versions"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass
class GatewayConfig:
    #: The engine's gRPC target: "unix:///path/engine.sock" or "127.0.0.1:PORT".
    engine_target: str
    #: The engine's bearer token, needed when `engine_target` is TCP.
    engine_token: str | None = None
    host: str = "127.0.0.1"
    #: 0 picks a free port (tests); the plugin's manifest names the default one.
    port: int = DEFAULT_PORT
    #: What every request must present (`Authorization: Bearer`, or the WebSocket's first message).
    token: str = field(default_factory=new_token)
    tls_cert: Path | None = None
    tls_key: Path | None = None
    #: Origins besides the gateway's own that may call it from a browser (CORS); none by default.
    allowed_origins: tuple[str, ...] = ()
    versions_root: Path = field(default_factory=default_versions_root)
    #: Request bodies are small JSON (the media travels by path); anything bigger is refused.
    max_body_bytes: int = 1 << 20
    max_ws_message_bytes: int = 64 << 10
    #: How long a WebSocket may stay open without sending its token.
    ws_auth_seconds: float = 10.0

    @property
    def scheme(self) -> str:
        return "https" if self.tls_cert else "http"
