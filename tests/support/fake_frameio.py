"""A local Frame.io v4 (+ Adobe IMS token endpoint) that speaks the documented shapes.

Only the endpoints retakes uses, with the response envelopes of the v4 API (`{"data": ...}`,
paginated lists with `links.next`), presigned-style part URLs that demand `x-amz-acl:
private` and the file's Content-Type, version stacks that need 2..10 files from the same
folder (left = oldest), and knobs to inject failures: revoke the current token (401), answer
429 with Retry-After, fail a part upload a number of times.

Comment timestamps: with `timestamp_as_timecode=true` a timecode string; without it the v4
integer, the framestamp counted from 1 (Migration guide, research/service.md 2.5). A comment
is given whichever forms the test knows; the fake never makes one up (no clock here), so a
listing that needs a form the comment lacks is answered with the form it has, or refused
with a 500 that names the comment, never with a wrong number. `raw_timestamp` is sent as is,
for timestamps that are neither (the SDK types the field `str | int` and checks nothing).

Lists are paged with an opaque cursor, as the v4 API documents them (the `frameio` 4.0.0 SDK,
`frameio/types/links.py`): `links.next` is "the request path with the addition of the `after`
query parameter ... It only carries the `after` cursor. Other query params from the original
request (e.g. `include`, `sort`, `page_size`, ...) are not preserved and must be re-added by the
client on every subsequent request". Pages here are small (`page_size`, 2 by default) so tests
cross pages. A comment's `owner` is sent only when the request asks `include=owner` (the SDK's
`CommentsIndexRequestInclude`: "owner" | "replies"); without it the comment has no owner.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

NOW = "2026-01-01T00:00:00Z"


def _id() -> str:
    return str(uuid.uuid4())


@dataclass
class FakeState:
    account_id: str = field(default_factory=_id)
    project_id: str = field(default_factory=_id)
    root_folder_id: str = field(default_factory=_id)
    part_size: int = 64 * 1024
    page_size: int = 2  # items per list page when the request names none
    tokens_issued: int = 0
    valid_tokens: set[str] = field(default_factory=set)
    files: dict[str, dict] = field(default_factory=dict)
    parts: dict[str, dict[int, bytes]] = field(default_factory=dict)
    stacks: dict[str, list[str]] = field(default_factory=dict)  # stack id -> file ids, oldest first
    comments: dict[str, list[dict]] = field(default_factory=dict)  # file id -> comments
    metadata: dict[str, dict[str, object]] = field(default_factory=dict)  # file id -> field id -> value
    shares: list[dict] = field(default_factory=list)
    fail_part: dict[int, int] = field(default_factory=dict)  # part index -> failures left
    throttle: list[tuple[str, int]] = field(default_factory=list)  # (path regex, Retry-After s)
    log: list[tuple[str, str, int]] = field(default_factory=list)  # (method, path, status)
    part_puts: list[tuple[str, int, int]] = field(default_factory=list)  # (file, part, status)
    description_field: str = field(default_factory=_id)
    status_field: str = field(default_factory=_id)

    def revoke_tokens(self) -> None:
        self.valid_tokens.clear()

    def add_comment(
        self,
        file_id: str,
        text: str,
        timecode: str | None,
        duration: int | None = None,
        author: str = "Director",
        *,
        framestamp: int | None = None,
        raw_timestamp: object = None,
    ) -> str:
        """`timecode` and/or `framestamp` (1 = the file's first frame); both None: a general note."""
        cid = _id()
        self.comments.setdefault(file_id, []).append(
            {"id": cid, "text": text, "timecode": timecode, "framestamp": framestamp, "raw": raw_timestamp,
             "duration": duration, "author": author}
        )
        return cid

    def set_status(self, file_id: str, name: str) -> None:
        self.metadata.setdefault(file_id, {})[self.status_field] = [{"id": _id(), "display_name": name}]

    def file_json(self, fid: str, with_urls: bool = False, base: str = "") -> dict:
        f = self.files[fid]
        done = len(self.parts.get(fid, {})) == f["n_parts"]
        out = {
            "id": fid,
            "name": f["name"],
            "type": "file",
            "file_size": f["file_size"],
            "media_type": f["media_type"],
            "status": "uploaded" if done else "created",
            "parent_id": f["parent_id"],
            "project_id": self.project_id,
            "created_at": NOW,
            "updated_at": NOW,
            "view_url": f"https://next.frame.io/project/{self.project_id}/view/{fid}",
        }
        if with_urls:
            sizes = [min(self.part_size, f["file_size"] - i * self.part_size) for i in range(f["n_parts"])]
            out["upload_urls"] = [{"size": s, "url": f"{base}/upload/{fid}/{i}"} for i, s in enumerate(sizes)]
        return out


class FakeFrameio:
    def __init__(self) -> None:
        self.state = FakeState()
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self) -> FakeFrameio:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _send(self, status: int, body: object | None = None, headers: dict | None = None) -> None:
                raw = b"" if body is None else json.dumps(body).encode()
                # Logged before answering: the client may act on the answer before we return.
                fake.state.log.append((self.command, urlparse(self.path).path, status))
                self.send_response(status)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def _body(self) -> bytes:
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))

            def do_POST(self) -> None:  # noqa: N802
                self._route()

            def do_GET(self) -> None:  # noqa: N802
                self._route()

            def do_PATCH(self) -> None:  # noqa: N802
                self._route()

            def do_PUT(self) -> None:  # noqa: N802
                self._route()

            def _route(self) -> None:
                with fake._lock:
                    try:
                        fake._dispatch(self)
                    except _Refused as refused:
                        self._send(refused.status, {"errors": [{"detail": refused.detail}]})
                    except Exception as exc:  # a bug in the fake should fail loudly, not hang
                        self._send(500, {"errors": [{"detail": repr(exc)}]})

        return Handler

    def _dispatch(self, h) -> None:  # noqa: C901 (a router)
        s = self.state
        url = urlparse(h.path)
        path, query = url.path, parse_qs(url.query)
        body = h._body()

        if path == "/ims/token/v3" and h.command == "POST":
            form = parse_qs(body.decode())
            s.tokens_issued += 1
            tok = f"tok-{s.tokens_issued}"
            s.valid_tokens.add(tok)
            out = {"access_token": tok, "token_type": "bearer", "expires_in": 86400}
            if form.get("grant_type") != ["client_credentials"]:
                out["refresh_token"] = f"refresh-{s.tokens_issued}"
            return h._send(200, out)

        m = re.fullmatch(r"/upload/([^/]+)/(\d+)", path)
        if m and h.command == "PUT":  # the presigned S3 part URL
            fid, idx = m.group(1), int(m.group(2))
            f = s.files.get(fid)
            if (
                f is None
                or h.headers.get("x-amz-acl") != "private"
                or h.headers.get("Content-Type") != f["media_type"]
            ):
                s.part_puts.append((fid, idx, 403))
                return h._send(403, {"error": "SignatureDoesNotMatch"})
            if s.fail_part.get(idx, 0) > 0:
                s.fail_part[idx] -= 1
                s.part_puts.append((fid, idx, 500))
                return h._send(500, {"error": "InternalError"})
            s.parts.setdefault(fid, {})[idx] = body
            s.part_puts.append((fid, idx, 200))
            return h._send(200)

        for pattern, retry_after in list(s.throttle):
            if re.search(pattern, path):
                s.throttle.remove((pattern, retry_after))
                return h._send(
                    429, {"errors": [{"detail": "Too Many Requests"}]}, {"Retry-After": str(retry_after)}
                )

        auth = h.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in s.valid_tokens:
            return h._send(401, {"errors": [{"detail": "Unauthorized", "status": 401}]})

        prefix = f"/v4/accounts/{s.account_id}"
        if not path.startswith(prefix):
            return h._send(404, {"errors": [{"detail": "Not Found"}]})
        rest = path[len(prefix) :]
        data = (json.loads(body) if body else {}).get("data", {})

        if rest == f"/projects/{s.project_id}" and h.command == "GET":
            return h._send(
                200,
                {
                    "data": {
                        "id": s.project_id,
                        "name": "retakes",
                        "root_folder_id": s.root_folder_id,
                        "workspace_id": _id(),
                        "view_url": "https://next.frame.io/project",
                        "created_at": NOW,
                        "updated_at": NOW,
                        "status": "active",
                        "storage": 0,
                    }
                },
            )
        m = re.fullmatch(r"/folders/([^/]+)/files/local_upload", rest)
        if m and h.command == "POST":
            if not data.get("name") or not isinstance(data.get("file_size"), int):
                return h._send(422, {"errors": [{"detail": "name and file_size are required"}]})
            fid = _id()
            n_parts = max(1, -(-data["file_size"] // s.part_size))
            media_type = "video/quicktime" if data["name"].endswith(".mov") else "video/mp4"
            s.files[fid] = {
                "name": data["name"],
                "file_size": data["file_size"],
                "parent_id": m.group(1),
                "media_type": media_type,
                "n_parts": n_parts,
            }
            return h._send(201, {"data": s.file_json(fid, with_urls=True, base=self.base_url)})
        m = re.fullmatch(r"/files/([^/]+)/status", rest)
        if m and h.command == "GET":
            fid = m.group(1)
            done = len(s.parts.get(fid, {})) == s.files[fid]["n_parts"]
            return h._send(
                200,
                {
                    "data": {
                        "id": fid,
                        "filetype": s.files[fid]["media_type"],
                        "upload_complete": done,
                        "upload_failed": False,
                        "uploaded_at": NOW if done else None,
                    }
                },
            )
        m = re.fullmatch(r"/folders/([^/]+)/version_stacks", rest)
        if m and h.command == "POST":
            ids = data.get("file_ids") or []
            if not 2 <= len(ids) <= 10 or any(s.files.get(i, {}).get("parent_id") != m.group(1) for i in ids):
                return h._send(422, {"errors": [{"detail": "2-10 file_ids from the parent folder required"}]})
            sid = _id()
            s.stacks[sid] = list(ids)
            for i in ids:
                s.files[i]["parent_id"] = sid
            return h._send(201, {"data": self._stack_json(sid, m.group(1))})
        m = re.fullmatch(r"/files/([^/]+)/move", rest)
        if m and h.command == "PATCH":
            fid, parent = m.group(1), data.get("parent_id")
            for ids in s.stacks.values():
                if fid in ids:
                    ids.remove(fid)
            if parent in s.stacks:
                s.stacks[parent].append(fid)  # moved in = the new head
            s.files[fid]["parent_id"] = parent
            return h._send(200, {"data": s.file_json(fid)})
        m = re.fullmatch(r"/version_stacks/([^/]+)/children", rest)
        if m and h.command == "GET":
            return h._send(200, self._page(path, query, [s.file_json(i) for i in s.stacks[m.group(1)]]))
        if rest == "/metadata/field_definitions" and h.command == "GET":
            defs = [(s.description_field, "Description", "long_text"), (s.status_field, "Status", "select")]
            fields = [
                {
                    "id": i,
                    "name": n,
                    "field_type": t,
                    "mutable": True,
                    "created_at": NOW,
                    "updated_at": NOW,
                    "creator_id": _id(),
                    "field_configuration": {},
                }
                for i, n, t in defs
            ]
            return h._send(200, self._page(path, query, fields))
        if rest == f"/projects/{s.project_id}/metadata/values" and h.command == "PATCH":
            for fid in data["file_ids"]:
                for v in data["values"]:
                    s.metadata.setdefault(fid, {})[v["field_definition_id"]] = v["value"]
            return h._send(204)
        m = re.fullmatch(r"/files/([^/]+)/metadata", rest)
        if m and h.command == "GET":
            values = s.metadata.get(m.group(1), {})
            fields = [
                {
                    "field_type": "long_text",
                    "field_definition_id": s.description_field,
                    "field_definition_name": "Description",
                    "mutable": True,
                    "value": values.get(s.description_field),
                },
                {
                    "field_type": "select",
                    "field_definition_id": s.status_field,
                    "field_definition_name": "Status",
                    "mutable": True,
                    "value": values.get(s.status_field, []),
                },
            ]
            return h._send(200, {"data": {"file_id": m.group(1), "metadata": fields}})
        if rest == f"/projects/{s.project_id}/shares" and h.command == "POST":
            sid = _id()
            share = {
                "id": sid,
                "name": data.get("name"),
                "access": data.get("access", "public"),
                "enabled": True,
                "commenting_enabled": True,
                "downloading_enabled": False,
                "collection_id": _id(),
                "short_url": f"https://f.io/{sid[:8]}",
                "created_at": NOW,
                "updated_at": NOW,
                "asset_ids": data.get("asset_ids"),
            }
            s.shares.append(share)
            return h._send(201, {"data": share})
        m = re.fullmatch(r"/files/([^/]+)/comments", rest)
        if m and h.command == "GET":
            as_tc = query.get("timestamp_as_timecode") == ["true"]
            owners = "owner" in ",".join(query.get("include", [])).split(",")
            page = self._page(path, query, s.comments.get(m.group(1), []))
            unknown = [c["id"] for c in page["data"] if not as_tc and _framestamp_unknown(c)]
            if unknown:
                return h._send(500, {"errors": [{"detail": f"fake: no framestamp given for comments {unknown}"}]})
            page["data"] = [self._comment_json(m.group(1), c, as_tc, owners) for c in page["data"]]
            return h._send(200, page)
        return h._send(404, {"errors": [{"detail": f"no route {h.command} {rest}"}]})

    def _page(self, path: str, query: dict, items: list) -> dict:
        """One page of `items` and the documented `links.next` (path + `after` only), or an error."""
        size = self.state.page_size
        if "page_size" in query:
            size = int(query["page_size"][0])
            if not 1 <= size <= 100:
                raise _Refused(422, "page_size must be 1..100")
        start = 0
        if "after" in query:
            try:
                cursor = json.loads(base64.urlsafe_b64decode(query["after"][0]))
            except ValueError:
                raise _Refused(422, "after: not a cursor this API issued") from None
            if cursor.get("list") != path:
                raise _Refused(422, "after: a cursor from another list")
            start = int(cursor["offset"])
        end = start + size
        following = None
        if end < len(items):
            token = base64.urlsafe_b64encode(json.dumps({"list": path, "offset": end}).encode()).decode()
            following = f"{path}?after={token}"
        return {"data": items[start:end], "links": {"next": following}}

    def _stack_json(self, sid: str, folder: str) -> dict:
        head = self.state.stacks[sid][-1]
        return {
            "id": sid,
            "name": self.state.files[head]["name"],
            "type": "version_stack",
            "parent_id": folder,
            "project_id": self.state.project_id,
            "created_at": NOW,
            "updated_at": NOW,
            "view_url": f"https://next.frame.io/project/{self.state.project_id}/view/{sid}",
            "head_version": self.state.file_json(head),
        }

    def _comment_json(self, fid: str, c: dict, as_tc: bool, owner: bool) -> dict:
        out = {
            "id": c["id"],
            "text": c["text"],
            "file_id": fid,
            "created_at": NOW,
            "updated_at": NOW,
            "links": [],
            "mentions": [],
            "duration": c["duration"],
            "timestamp": _timestamp(c, as_tc),
        }
        if owner:
            out["owner"] = {"id": _id(), "name": c["author"]}
        return out


class _Refused(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status, self.detail = status, detail


def _framestamp_unknown(c: dict) -> bool:
    return c["raw"] is None and c["framestamp"] is None and c["timecode"] is not None


def _timestamp(c: dict, as_tc: bool) -> object:
    """The comment's timestamp as v4 lists it: timecode if asked for and known, else the framestamp."""
    if c["raw"] is not None:
        return c["raw"]
    if as_tc and c["timecode"] is not None:
        return c["timecode"]
    return c["framestamp"]


def utcnow() -> str:
    return datetime.now(UTC).isoformat()
