"""Frame.io webhook receiver: verify, then hand comment and status events to a callback.

Signature (research/service.md 2.7): `X-Frameio-Signature: v0=<hex HMAC-SHA256>` over
`v0:{X-Frameio-Request-Timestamp}:{raw body}` with the secret returned once at webhook
creation. We verify over the raw bytes (before any JSON parsing, which would change them),
compare in constant time, and reject timestamps more than 5 minutes from now in either
direction so a captured request cannot be replayed later.

The payload carries only ids (`resource.id`, `type`), so the receiver does not act on it
directly: it tells the caller which file changed, and the caller pulls that file's notes
through the same path as `retakes review pull` (one code path, idempotent).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MAX_SKEW_S = 300
HANDLED_EVENTS = ("comment.", "file.versioned", "file.ready", "metadata.value.updated")


class SignatureError(ValueError):
    pass


def sign(secret: str, timestamp: int | str, body: bytes) -> str:
    msg = b"v0:" + str(timestamp).encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), msg, hashlib.sha256).hexdigest()


def verify(secret: str, headers: dict[str, str], body: bytes, *, now: float | None = None) -> None:
    """Raises SignatureError unless the request is signed with `secret` and fresh."""
    lower = {k.lower(): v for k, v in headers.items()}
    stamp = lower.get("x-frameio-request-timestamp", "")
    given = lower.get("x-frameio-signature", "")
    if not stamp.isdigit() or not given:
        raise SignatureError("missing or malformed signature headers")
    if abs((time.time() if now is None else now) - int(stamp)) > MAX_SKEW_S:
        raise SignatureError("stale timestamp")
    if not hmac.compare_digest(sign(secret, stamp, body), given):
        raise SignatureError("bad signature")


@dataclass(frozen=True)
class WebhookEvent:
    type: str
    resource_id: str
    resource_type: str
    project_id: str


EventFn = Callable[[WebhookEvent], None]


def parse_event(body: bytes) -> WebhookEvent:
    data = json.loads(body)
    resource = data.get("resource") or {}
    return WebhookEvent(
        type=str(data.get("type", "")),
        resource_id=str(resource.get("id", "")),
        resource_type=str(resource.get("type", "")),
        project_id=str((data.get("project") or {}).get("id", "")),
    )


def make_server(host: str, port: int, secret: str, on_event: EventFn) -> ThreadingHTTPServer:
    """A stdlib HTTP server answering POSTs: 401 on a bad or stale signature, 204 when handled."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (stdlib name)
            length = int(self.headers.get("Content-Length") or 0)
            if length > 1_000_000:
                self.send_error(413)
                return
            body = self.rfile.read(length)
            try:
                verify(secret, dict(self.headers.items()), body)
                event = parse_event(body)
            except (SignatureError, ValueError):
                self.send_response(401)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if event.type.startswith(HANDLED_EVENTS):
                on_event(event)
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:  # keep test output quiet
            pass

    return ThreadingHTTPServer((host, port), Handler)
