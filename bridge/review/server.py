"""`retakes review serve`: a clip's versions on a token-protected local review page.

Built on the stdlib `http.server` (ThreadingHTTPServer): a LAN tool with a dozen routes
needs no framework, and retakes ships no web stack otherwise. Every request, page and API
alike, must carry the token (`?t=` for the page and images, which a browser loads by URL;
`X-Review-Token` for API calls); without it the answer is 401 and nothing else. The app keeps
only the token's sha256 (as the version store does): the page's own asset URLs are filled in
with the token the request itself carried, once it is checked.

The token is not the only guard, because a browser holding the link will send it for any site
that asks: every request must name this server in its Host header (a DNS-rebinding page names
its own host), a POST must be `application/json` (a cross-site page can send text/plain
without asking, but JSON needs a CORS preflight this server never answers) and must not come
from another Origin (or `Sec-Fetch-Site: cross-site`). Bodies are at most 64 KiB, with a
Content-Length that is a plain number, a JSON object with fields of the expected types; a
client that stops sending loses its connection after `REQUEST_TIMEOUT_S`. Nothing is cached
(`Cache-Control: no-store, private`): frames of unreleased work stay off shared disks and
proxies. Paths of files on this machine never leave it: the page gets names and lineage text.

Paths: nothing here ever joins a request string onto the filesystem. A frame URL names a
version *id* and a frame *number*; the id is looked up among this clip's versions (or
"original") and the number is checked against its frame count, so `..`, encoded slashes or
absolute paths simply match no route (404). The page's own files are a fixed dict.

Notes and decisions from the page go through `NotesPath`, the same path Frame.io pulls take:
notes into the ledger, the marker sidecars and onto the version's clip as markers, status
into the version store (and to `on_status`, so a panel showing the version can follow).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import re
import secrets
import socket
import threading
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from .frames import FrameCache, FrameSource
from .handoff import NotesPath
from .notes import Note
from .versions import ReviewVersion

STATIC = Path(__file__).with_name("static")
PAGE_FILES = {
    "/": ("index.html", "text/html; charset=utf-8"),
    "/app.js": ("app.js", "text/javascript; charset=utf-8"),
    "/style.css": ("style.css", "text/css; charset=utf-8"),
}
DECISIONS = {"approve": "approved", "request_changes": "rejected", "in_review": "in review"}
FRAME_ROUTE = re.compile(r"/api/frames/(v|o)/([A-Za-z0-9_-]{1,64})/(\d{1,7})\.jpg")
MAX_BODY = 64 * 1024
REQUEST_TIMEOUT_S = 10.0
MAX_NOTE_TEXT = 4000
MAX_AUTHOR = 80
NO_STORE = "no-store, private"
LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "::1"})

StatusFn = Callable[[str, str], None]  # (version id, new status), called on a server thread


class BadRequest(ValueError):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def new_token() -> str:
    return secrets.token_urlsafe(24)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass
class ReviewApp:
    clip_id: str
    path: NotesPath
    frames: FrameCache
    token_sha256: str  # `token_digest(token)`: the link's token itself is kept nowhere
    on_status: StatusFn | None = None

    def __post_init__(self) -> None:
        self._lock = threading.Lock()  # Resolve calls and the version store, one at a time

    def authorized(self, given: str) -> bool:
        return bool(given) and hmac.compare_digest(token_digest(given), self.token_sha256)

    def versions(self) -> dict[str, ReviewVersion]:
        with self._lock:
            return {v.id: v for v in self.path.store.versions(self.clip_id)}

    def clip_json(self) -> dict:
        with self._lock:
            versions = self.path.store.versions(self.clip_id)
            original = self.path.store.original(self.clip_id)
            out = []
            for v in versions:
                tb = v.timebase
                out.append(
                    {
                        "id": v.id,
                        "label": v.label,
                        "status": v.status,
                        "frames": v.frame_count,
                        "rate": [v.rate.value.numerator, v.rate.value.denominator],
                        "lineage": v.lineage,
                        "review_link": v.review_link,
                        # Timecodes come from engine.timecode, so the page does no timecode math of its own.
                        "timecodes": [tb.timecode_of(i) for i in range(v.frame_count)],
                        "notes": [asdict(n) for n in self.path.ledger.notes(v.id)],
                    }
                )
        name = next((v.clip_name for v in versions if v.clip_name), "") or self.clip_id
        return {
            "clip": self.clip_id,
            "name": name,
            "versions": out,
            "original": {"frames": original.frame_count} if original else None,
        }

    def frame_source(self, kind: str, version_id: str) -> FrameSource | None:
        if kind == "o":
            original = self.path.store.original(self.clip_id)
            if original is None:
                return None
            return FrameSource(original.media_path, original.first_frame, original.frame_count)
        v = self.versions().get(version_id)
        return FrameSource(v.media_path, 0, v.frame_count) if v else None

    def add_note(self, body: dict) -> dict:
        v = self.versions().get(_text(body, "version", 64))
        if v is None:
            raise LookupError("no such version of this clip")
        frame = _integer(body, "frame")
        duration = _integer(body, "duration") if body.get("duration") is not None else 1
        text = _text(body, "text", MAX_NOTE_TEXT).strip()
        author = _text(body, "author", MAX_AUTHOR, required=False).strip()
        if not text:
            raise ValueError("text: a note needs some text")
        if not 0 <= frame < v.frame_count or not 1 <= duration <= v.frame_count - frame:
            raise ValueError(f"frame, duration: a note's frames must lie inside {v.label}'s {v.frame_count}")
        note = Note(f"local:{uuid.uuid4()}", v.id, frame, duration, text, author, "local")
        with self._lock:
            report = self.path.deliver(v, [note])
        return {"note": asdict(note), "markers": asdict(report)}

    def decide(self, body: dict) -> dict:
        v = self.versions().get(_text(body, "version", 64))
        status = DECISIONS.get(_text(body, "decision", 32))
        if v is None or status is None:
            raise ValueError("decision must name a version and one of " + ", ".join(DECISIONS))
        with self._lock:
            self.path.set_status(v, status)
            new = self.path.store.version(v.id)
        now = new.status if new else status
        if self.on_status is not None and now != v.status:
            self.on_status(v.id, now)
        return {"version": v.id, "status": now}


def _text(body: dict, name: str, limit: int, *, required: bool = True) -> str:
    value = body.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise ValueError(f"{name}: expected a string")
    if len(value) > limit:
        raise ValueError(f"{name}: at most {limit} characters")
    return value


def _integer(body: dict, name: str) -> int:
    value = body.get(name)
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"{name}: expected a whole number")
    return value


def make_handler(app: ReviewApp) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "retakes-review"
        timeout = REQUEST_TIMEOUT_S  # StreamRequestHandler sets it on the socket

        def log_message(self, *args: object) -> None:
            pass

        def _send(self, status: int, body: bytes, ctype: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", NO_STORE)
            self.send_header("X-Content-Type-Options", "nosniff")
            self.send_header("Referrer-Policy", "no-referrer")  # the token is in the URL
            self.send_header("X-Frame-Options", "DENY")
            self.end_headers()
            self.wfile.write(body)

        def _json(self, status: int, obj: object) -> None:
            self._send(status, json.dumps(obj).encode(), "application/json")

        def _host_ok(self) -> bool:
            host = (self.headers.get("Host") or "").strip().lower()
            m = re.fullmatch(r"\[([0-9a-f:.]+)\](?::(\d+))?|([^:\[\]]+)(?::(\d+))?", host)
            if not m:
                return False
            name = m.group(1) or m.group(3)
            port = m.group(2) or m.group(4)
            return name in self.server.allowed_hosts and port == str(self.server.server_address[1])

        def _same_origin(self) -> bool:
            origin = self.headers.get("Origin")
            if origin is not None and origin != f"http://{self.headers.get('Host', '')}":
                return False
            return self.headers.get("Sec-Fetch-Site", "same-origin") in ("same-origin", "none")

        def _body(self) -> dict:
            ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
            if ctype != "application/json":
                raise BadRequest(415, "send the body as application/json")
            raw = self.headers.get("Content-Length", "")
            if self.headers.get("Transfer-Encoding") or not raw.isdigit():
                self.close_connection = True  # we cannot tell where this body ends
                raise BadRequest(411, "a body needs a Content-Length")
            if int(raw) > MAX_BODY:
                self.close_connection = True
                raise BadRequest(413, f"a body is at most {MAX_BODY} bytes")
            try:
                body = json.loads(self.rfile.read(int(raw)) or b"{}")
            except (ValueError, UnicodeDecodeError):
                raise BadRequest(400, "the body is not JSON") from None
            if not isinstance(body, dict):
                raise BadRequest(400, "the body must be a JSON object")
            return body

        def _route(self, method: str) -> None:
            if not self._host_ok():
                self.close_connection = True
                return self._json(421, {"error": "this review page answers only to its own address"})
            url = urlparse(self.path)
            query = parse_qs(url.query)
            given = self.headers.get("X-Review-Token") or (query.get("t") or [""])[0]
            if not app.authorized(given):
                return self._json(401, {"error": "this review link needs its token"})
            try:
                if method == "GET":
                    return self._get(url.path, given)
                if not self._same_origin():
                    return self._json(403, {"error": "requests from other sites are refused"})
                body = self._body()
                if url.path == "/api/notes":
                    return self._json(201, app.add_note(body))
                if url.path == "/api/decision":
                    return self._json(200, app.decide(body))
                return self._json(404, {"error": "not found"})
            except BadRequest as exc:
                return self._json(exc.status, {"error": str(exc)})
            except LookupError as exc:
                return self._json(404, {"error": str(exc)})
            except (ValueError, TypeError) as exc:
                return self._json(400, {"error": str(exc)})

        def _get(self, path: str, token: str) -> None:
            if path in PAGE_FILES:
                name, ctype = PAGE_FILES[path]
                # The page's own CSS/JS URLs need the token too; it matched the stored digest, and
                # new_token() makes URL-safe base64, so there is nothing to escape.
                body = (STATIC / name).read_bytes().replace(b"{{T}}", token.encode())
                return self._send(200, body, ctype)
            if path == "/api/clip":
                return self._json(200, app.clip_json())
            m = FRAME_ROUTE.fullmatch(path)
            if m:
                src = app.frame_source(m.group(1), m.group(2))
                index = int(m.group(3))
                if src is None or index >= src.frame_count:
                    return self._json(404, {"error": "no such frame"})
                return self._send(200, app.frames.frame(src, index), "image/jpeg")
            return self._json(404, {"error": "not found"})

        def do_GET(self) -> None:  # noqa: N802
            self._route("GET")

        def do_POST(self) -> None:  # noqa: N802
            self._route("POST")

    return Handler


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def lan_address() -> str:
    """The address this machine is reached at on its network (no packet is sent)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))  # only picks the outgoing interface
            return s.getsockname()[0]
        except OSError:
            return "127.0.0.1"


def host_names(bind: str) -> frozenset[str]:
    """The names a browser may use for a server bound to `bind` (its Host header must be one)."""
    names = set(LOOPBACK_NAMES) if is_loopback(bind) or bind in ("0.0.0.0", "::", "") else set()
    if not is_loopback(bind):
        names.add(bind.lower())
        if bind in ("0.0.0.0", "::", ""):
            hostname = socket.gethostname().lower()
            names |= {lan_address(), hostname, f"{hostname}.local"}
    return frozenset(n for n in names if n)


def make_server(app: ReviewApp, host: str = "127.0.0.1", port: int = 0) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer((host, port), make_handler(app))
    server.daemon_threads = True
    server.allowed_hosts = host_names(host)  # type: ignore[attr-defined]
    return server


def review_url(host: str, port: int, token: str) -> str:
    return f"http://{host}:{port}/?t={token}"


def link_without_token(host: str, port: int) -> str:
    """What the version store keeps of a local review link: where it was, not how to get in."""
    return f"http://{host}:{port}/"
