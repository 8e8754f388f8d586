"""`retakes review serve`: a clip's versions on a token-protected local review page.

Built on the stdlib `http.server` (ThreadingHTTPServer): a LAN tool with a dozen routes
needs no framework, and retakes ships no web stack otherwise. Every request, page and API
alike, must carry the token (`?t=` for the page and images, which a browser loads by URL;
`X-Review-Token` for API calls); without it the answer is 401 and nothing else.

Paths: nothing here ever joins a request string onto the filesystem. A frame URL names a
version *id* and a frame *number*; the id is looked up among this clip's versions (or
"original") and the number is checked against its frame count, so `..`, encoded slashes or
absolute paths simply match no route (404). The page's own files are a fixed dict.

Notes and decisions from the page go through `NotesPath`, the same path Frame.io pulls take:
notes into the ledger and onto the version's clip as markers, status into the version store.
"""

from __future__ import annotations

import hmac
import json
import re
import secrets
import threading
import uuid
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


@dataclass
class ReviewApp:
    clip_id: str
    path: NotesPath
    frames: FrameCache
    token: str

    def __post_init__(self) -> None:
        self._lock = threading.Lock()  # Resolve calls and the version store, one at a time

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
        return {
            "clip": self.clip_id,
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
        v = self.versions().get(str(body.get("version", "")))
        if v is None:
            raise LookupError("no such version of this clip")
        frame, duration = int(body["frame"]), int(body.get("duration") or 1)
        text = str(body.get("text", "")).strip()
        if not text or not 0 <= frame < v.frame_count or not 1 <= duration <= v.frame_count - frame:
            raise ValueError("a note needs text and a frame range inside the version")
        note = Note(
            f"local:{uuid.uuid4()}",
            v.id,
            frame,
            duration,
            text[:4000],
            str(body.get("author", ""))[:80],
            "local",
        )
        with self._lock:
            report = self.path.deliver(v, [note])
        return {"note": asdict(note), "markers": asdict(report)}

    def decide(self, body: dict) -> dict:
        v = self.versions().get(str(body.get("version", "")))
        status = DECISIONS.get(str(body.get("decision", "")))
        if v is None or status is None:
            raise ValueError("decision must name a version and one of " + ", ".join(DECISIONS))
        with self._lock:
            self.path.set_status(v, status)
            new = self.path.store.version(v.id)
        return {"version": v.id, "status": new.status if new else status}


def make_handler(app: ReviewApp) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "retakes-review"

        def log_message(self, *args: object) -> None:
            pass

        def _authorized(self, query: dict) -> bool:
            given = self.headers.get("X-Review-Token") or (query.get("t") or [""])[0]
            return hmac.compare_digest(given.encode(), app.token.encode())

        def _send(self, status: int, body: bytes, ctype: str, cache: str = "no-store") -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", cache)
            self.send_header("X-Content-Type-Options", "nosniff")
            self.send_header("Referrer-Policy", "no-referrer")  # the token is in the URL
            self.end_headers()
            self.wfile.write(body)

        def _json(self, status: int, obj: object) -> None:
            self._send(status, json.dumps(obj).encode(), "application/json")

        def _route(self, method: str) -> None:
            url = urlparse(self.path)
            query = parse_qs(url.query)
            if not self._authorized(query):
                return self._json(401, {"error": "this review link needs its token"})
            try:
                if method == "GET":
                    return self._get(url.path)
                body = json.loads(
                    self.rfile.read(min(int(self.headers.get("Content-Length") or 0), 65536)) or b"{}"
                )
                if url.path == "/api/notes":
                    return self._json(201, app.add_note(body))
                if url.path == "/api/decision":
                    return self._json(200, app.decide(body))
                return self._json(404, {"error": "not found"})
            except LookupError as exc:
                return self._json(404, {"error": str(exc)})
            except (ValueError, KeyError, TypeError) as exc:
                return self._json(400, {"error": str(exc)})

        def _get(self, path: str) -> None:
            if path in PAGE_FILES:
                name, ctype = PAGE_FILES[path]
                # The page's own CSS/JS URLs need the token too; it is URL-safe base64, nothing to escape.
                body = (STATIC / name).read_bytes().replace(b"{{T}}", app.token.encode())
                return self._send(200, body, ctype)
            if path == "/api/clip":
                return self._json(200, app.clip_json())
            m = FRAME_ROUTE.fullmatch(path)
            if m:
                src = app.frame_source(m.group(1), m.group(2))
                index = int(m.group(3))
                if src is None or index >= src.frame_count:
                    return self._json(404, {"error": "no such frame"})
                return self._send(200, app.frames.frame(src, index), "image/jpeg", "private, max-age=3600")
            return self._json(404, {"error": "not found"})

        def do_GET(self) -> None:  # noqa: N802
            self._route("GET")

        def do_POST(self) -> None:  # noqa: N802
            self._route("POST")

    return Handler


def new_token() -> str:
    return secrets.token_urlsafe(24)


def make_server(app: ReviewApp, host: str = "0.0.0.0", port: int = 0) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer((host, port), make_handler(app))
    server.daemon_threads = True
    return server


def review_url(host: str, port: int, token: str) -> str:
    return f"http://{host}:{port}/?t={token}"
