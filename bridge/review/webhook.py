"""Frame.io webhook receiver: verify, then hand comment and status events to a callback.

Signature (Frame.io's V4 Webhooks guide, "Verifying Webhook Signatures", research/service.md
2.7): `X-Frameio-Signature: v0=<hex HMAC-SHA256>` over `v0:{X-Frameio-Request-Timestamp}:{raw
body}` with the secret returned once at webhook creation. We verify over the raw bytes (before
any JSON parsing, which would change them), compare in constant time, and reject timestamps
more than 5 minutes from now in either direction so a captured request cannot be replayed
later. Inside those 5 minutes a captured request could still be sent again, so every accepted
signature is remembered until its timestamp leaves the window (`ReplayCache`): a second
delivery of the same signed request is answered 409 and not acted on.

The payload carries only ids (`resource.id`, `type`), so the receiver does not act on it
directly: it tells the caller which file changed, and the caller pulls that file's notes
through the same path as `retakes review pull` (one code path, idempotent).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MAX_SKEW_S = 300
MAX_BODY = 1_000_000  # Frame.io's payloads are a few hundred bytes of ids
REQUEST_TIMEOUT_S = 10.0  # a sender that stops mid-request loses its connection, not our thread
REPLAY_CAPACITY = 10_000
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


class ReplayCache:
    """Signatures already accepted, each kept while its timestamp is inside the ±5 minute window.

    Bounded: when `capacity` signatures are all still fresh, a new one is refused (the caller
    answers 503 and Frame.io retries with back-off) rather than forgetting a fresh one, which
    would let that one be replayed.
    """

    def __init__(self, capacity: int = REPLAY_CAPACITY) -> None:
        self.capacity = capacity
        self._seen: OrderedDict[str, int] = OrderedDict()  # signature -> timestamp, oldest first
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._seen)

    def admit(self, signature: str, timestamp: int, *, now: float | None = None) -> str:
        """"new" (remembered now), "replay" (seen inside the window) or "full"."""
        now = time.time() if now is None else now
        with self._lock:
            for sig, stamp in list(self._seen.items()):
                if stamp >= now - MAX_SKEW_S:
                    break  # later entries were admitted later; most are fresher still
                del self._seen[sig]
            if signature in self._seen:
                return "replay"
            if len(self._seen) >= self.capacity:
                expired = [s for s, t in self._seen.items() if t < now - MAX_SKEW_S]
                for s in expired:
                    del self._seen[s]
                if len(self._seen) >= self.capacity:
                    return "full"
            self._seen[signature] = timestamp
            return "new"


@dataclass(frozen=True)
class WebhookEvent:
    type: str
    resource_id: str
    resource_type: str
    project_id: str


EventFn = Callable[[WebhookEvent], None]


def parse_event(body: bytes) -> WebhookEvent:
    data = json.loads(body)
    if not isinstance(data, dict):
        raise ValueError("a webhook payload is a JSON object")
    resource = data.get("resource") or {}
    project = data.get("project") or {}
    if not isinstance(resource, dict) or not isinstance(project, dict):
        raise ValueError("resource and project are JSON objects")
    return WebhookEvent(
        type=str(data.get("type", "")),
        resource_id=str(resource.get("id", "")),
        resource_type=str(resource.get("type", "")),
        project_id=str(project.get("id", "")),
    )


def make_server(
    host: str, port: int, secret: str, on_event: EventFn, *, replay_capacity: int = REPLAY_CAPACITY
) -> ThreadingHTTPServer:
    """A stdlib HTTP server answering POSTs: 401 on a bad or stale signature, 409 on a replay,
    204 when handled."""
    replays = ReplayCache(replay_capacity)

    class Handler(BaseHTTPRequestHandler):
        timeout = REQUEST_TIMEOUT_S  # StreamRequestHandler sets it on the socket

        def _answer(self, status: int) -> None:
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_POST(self) -> None:  # noqa: N802 (stdlib name)
            raw = self.headers.get("Content-Length", "")
            if self.headers.get("Transfer-Encoding") or not raw.isdigit():
                self.close_connection = True  # we cannot tell where this body ends
                return self._answer(411)
            if int(raw) > MAX_BODY:
                self.close_connection = True
                return self._answer(413)
            body = self.rfile.read(int(raw))
            try:
                verify(secret, dict(self.headers.items()), body)
                event = parse_event(body)
            except (SignatureError, ValueError):
                return self._answer(401)
            stamp = int(self.headers["X-Frameio-Request-Timestamp"])
            seen = replays.admit(self.headers["X-Frameio-Signature"], stamp)
            if seen != "new":
                return self._answer(409 if seen == "replay" else 503)
            if event.type.startswith(HANDLED_EVENTS):
                on_event(event)
            self._answer(204)

        def log_message(self, *args: object) -> None:  # keep test output quiet
            pass

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    server.replays = replays  # type: ignore[attr-defined]  (for inspection)
    return server
