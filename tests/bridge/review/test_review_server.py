"""The local review server: token required everywhere, nothing outside the versions served."""

from __future__ import annotations

import http.client
import json
from urllib.parse import urlparse

import httpx
import pytest

from tests.support.review_media import frame_index_of


def _raw_get(base: str, path: str, headers: dict | None = None) -> tuple[int, bytes]:
    """Sends the path byte for byte (no client-side normalisation of '..')."""
    u = urlparse(base)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=5)
    conn.putrequest("GET", path, skip_host="Host" in (headers or {}), skip_accept_encoding=True)
    for k, v in (headers or {}).items():
        conn.putheader(k, v)
    conn.endheaders()
    r = conn.getresponse()
    return r.status, r.read()


@pytest.mark.parametrize("path", ["/", "/app.js", "/style.css", "/api/clip", "/api/frames/v/ver-1/0.jpg"])
def test_without_token_everything_is_401(review_site, path):
    assert _raw_get(review_site.base, path)[0] == 401
    assert _raw_get(review_site.base, path + "?t=wrong")[0] == 401
    assert _raw_get(review_site.base, path, {"X-Review-Token": review_site.token[:-1]})[0] == 401
    r = httpx.post(review_site.base + "/api/decision", json={"version": "ver-1", "decision": "approve"})
    assert r.status_code == 401 and review_site.store.version("ver-1").status == "in review"


@pytest.mark.parametrize(
    "path",
    [
        "/api/frames/v/../../../../etc/passwd",
        "/api/frames/v/..%2F..%2F..%2Fetc%2Fpasswd/0.jpg",
        "/api/frames/v/ver-1/../../../orig.mp4",
        "/..%2f..%2fetc%2fpasswd",
        "/static/../server.py",
        "/api/frames/v/%2e%2e/0.jpg",
        "/api/frames/v/ver-9/0.jpg",
        "/api/frames/v/ver-1/30.jpg",
        "/api/frames/o/ver-1/-1.jpg",
        "//etc/passwd",
        "/index.html",
        "/app.js/../../server.py",
    ],
)
def test_paths_outside_the_versions_are_never_served(review_site, path):
    sep = "&" if "?" in path else "?"
    status, body = _raw_get(review_site.base, f"{path}{sep}t={review_site.token}")
    assert status == 404
    assert b"root:" not in body and b"import" not in body and not body.startswith(b"\xff\xd8")


def test_frames_are_exact(review_site):
    for n in (0, 1, 17, 29):
        r = httpx.get(f"{review_site.base}/api/frames/v/ver-2/{n}.jpg", params={"t": review_site.token})
        assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
        assert frame_index_of(r.content) == n
    r = httpx.get(f"{review_site.base}/api/frames/o/original/12.jpg", params={"t": review_site.token})
    assert frame_index_of(r.content) == 12


def test_clip_api_gives_server_side_timecodes(review_site):
    clip = httpx.get(review_site.base + "/api/clip", headers={"X-Review-Token": review_site.token}).json()
    v = clip["versions"][0]
    assert [x["label"] for x in clip["versions"]] == ["v001", "v002"]
    assert v["timecodes"][0] == "01:00:00:00" and v["timecodes"][25] == "01:00:01:01" and v["rate"] == [24, 1]


def test_range_note_and_decision_through_the_api(review_site):
    h = {"X-Review-Token": review_site.token}
    r = httpx.post(
        review_site.base + "/api/notes",
        headers=h,
        json={"version": "ver-1", "frame": 10, "duration": 6, "text": "hold longer", "author": "Ana"},
    )
    assert r.status_code == 201 and r.json()["markers"]["added"]
    marker = review_site.items["ver-1"].GetMarkers()[10.0]
    assert marker["duration"] == 6 and marker["note"] == "hold longer"
    bad = httpx.post(
        review_site.base + "/api/notes",
        headers=h,
        json={"version": "ver-1", "frame": 28, "duration": 6, "text": "past the end"},
    )
    assert bad.status_code == 400
    r = httpx.post(
        review_site.base + "/api/decision",
        headers=h,
        json={"version": "ver-1", "decision": "request_changes"},
    )
    assert r.json()["status"] == "rejected" and review_site.store.version("ver-1").status == "rejected"


def _post(site, path: str, body: bytes, headers: dict) -> tuple[int, bytes]:
    u = urlparse(site.base)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=5)
    conn.request("POST", path, body=body, headers={"X-Review-Token": site.token, **headers})
    r = conn.getresponse()
    return r.status, r.read()


JSON = {"Content-Type": "application/json"}
APPROVE = b'{"version": "ver-1", "decision": "approve"}'


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"Content-Type": "text/plain"}, 415),  # what a cross-site <form> or no-preflight fetch can send
        ({"Content-Type": "application/x-www-form-urlencoded"}, 415),
        ({**JSON, "Origin": "http://evil.example"}, 403),
        ({**JSON, "Origin": "null"}, 403),
        ({**JSON, "Sec-Fetch-Site": "cross-site"}, 403),
    ],
)
def test_posts_from_other_sites_are_refused_even_with_the_token(review_site, headers, status):
    assert _post(review_site, "/api/decision", APPROVE, headers)[0] == status
    assert review_site.store.version("ver-1").status == "in review"


def test_a_same_origin_json_post_is_accepted(review_site):
    origin = {"Origin": f"http://127.0.0.1:{review_site.port}", "Sec-Fetch-Site": "same-origin"}
    assert _post(review_site, "/api/decision", APPROVE, {**JSON, **origin})[0] == 200
    assert review_site.store.version("ver-1").status == "approved"
    assert review_site.statuses == [("ver-1", "approved")]  # a panel following the version hears it


@pytest.mark.parametrize("host", ["evil.example:{port}", "127.0.0.1:1", "localhost", "attacker.test"])
def test_requests_naming_another_host_are_refused(review_site, host):
    # A DNS-rebinding page reaches this port under its own name; the Host header gives it away.
    status, body = _raw_get(review_site.base, f"/api/clip?t={review_site.token}",
                            {"Host": host.format(port=review_site.port)})
    assert status == 421 and b"shot010" not in body


@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "localhost:{port}"])
def test_loopback_names_are_this_server(review_site, host):
    status, _ = _raw_get(review_site.base, f"/api/clip?t={review_site.token}",
                         {"Host": host.format(port=review_site.port)})
    assert status == 200


@pytest.mark.parametrize("path", ["/", "/app.js", "/api/clip", "/api/frames/v/ver-1/3.jpg",
                                  "/api/frames/o/original/3.jpg", "/api/nothing"])
def test_nothing_is_cached(review_site, path):
    r = httpx.get(review_site.base + path, params={"t": review_site.token})
    assert r.status_code == (404 if path == "/api/nothing" else 200)
    cache = r.headers["cache-control"]
    assert "no-store" in cache and "max-age" not in cache and "public" not in cache
    assert "no-store" in httpx.get(review_site.base + path).headers["cache-control"]  # the 401 too


def _raw(site, request: bytes, wait: float = 5) -> bytes:
    import socket

    u = urlparse(site.base)
    with socket.create_connection((u.hostname, u.port), timeout=wait) as s:
        s.sendall(request)
        chunks = []
        try:
            while chunk := s.recv(65536):
                chunks.append(chunk)
        except TimeoutError:
            pass
    return b"".join(chunks)


@pytest.mark.parametrize(
    ("extra", "status"),
    [(b"Content-Length: -1\r\n", b"411"), (b"Transfer-Encoding: chunked\r\n", b"411"),
     (b"", b"411"), (b"Content-Length: 70000\r\n", b"413")],
)
def test_body_lengths_are_checked_before_reading(review_site, extra, status):
    import time

    head = (f"POST /api/decision HTTP/1.1\r\nHost: 127.0.0.1:{review_site.port}\r\n"
            f"X-Review-Token: {review_site.token}\r\nContent-Type: application/json\r\n").encode()
    t0 = time.monotonic()
    reply = _raw(review_site, head + extra + b"\r\n")
    assert reply.split(b" ")[1] == status and time.monotonic() - t0 < 3
    assert b"no-store" in reply


@pytest.mark.parametrize(
    "body",
    [b"[1, 2]", b'"approve"', b"null", b"{not json", b"\xff\xfe",
     b'{"version": ["ver-1"], "decision": "approve"}', b'{"version": "ver-1", "decision": 1}'],
)
def test_bodies_of_the_wrong_shape_are_400_and_the_server_keeps_serving(review_site, body):
    assert _post(review_site, "/api/decision", body, JSON)[0] == 400
    assert httpx.get(review_site.base + "/api/clip", params={"t": review_site.token}).status_code == 200
    assert review_site.store.version("ver-1").status == "in review"


@pytest.mark.parametrize(
    "note",
    [{"frame": "12"}, {"frame": True}, {"frame": 1.5}, {"frame": None}, {"frame": 2, "duration": "3"},
     {"frame": 2, "text": 12}, {"frame": 2, "text": "x" * 4001}, {"frame": 2, "author": ["Ana"]},
     {"frame": 2, "text": "   "}, {"frame": -1}, {"frame": 30}],
)
def test_note_fields_are_checked(review_site, note):
    body = {"version": "ver-1", "text": "ok", **note}
    status, reply = _post(review_site, "/api/notes", json.dumps(body).encode(), JSON)
    assert status == 400 and review_site.ledger.notes("ver-1") == []
    field = list(note)[-1]
    assert field in json.loads(reply)["error"]


def test_a_client_that_stops_sending_is_dropped(review_site, monkeypatch, tmp_path):
    import threading
    import time

    import retakes.bridge.review.server as server_mod

    monkeypatch.setattr(server_mod, "REQUEST_TIMEOUT_S", 0.5)
    app = server_mod.ReviewApp("shot010", None, None, server_mod.token_digest(review_site.token))
    server = server_mod.make_server(app, "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        site = type("S", (), {"base": f"http://127.0.0.1:{server.server_address[1]}"})
        head = (f"POST /api/notes HTTP/1.1\r\nHost: 127.0.0.1:{server.server_address[1]}\r\n"
                f"X-Review-Token: {review_site.token}\r\nContent-Type: application/json\r\n"
                "Content-Length: 500\r\n\r\n{").encode()
        t0 = time.monotonic()
        assert _raw(site, head, wait=5) == b"" and time.monotonic() - t0 < 3
    finally:
        server.shutdown()
        server.server_close()


def test_a_png_sequence_version_is_served_frame_exact(tmp_path):
    # `retakes edit -o DIR` writes a PNG sequence; its version's frames are those files, in order.
    import cv2

    from retakes.bridge.review.frames import FrameCache, FrameSource
    from tests.support.review_media import frame_image

    folder = tmp_path / "shot_v001"
    folder.mkdir()
    for n in range(12):  # 00000.png ... 00011.png: 10 and 11 sort after 9 by number, not by text
        cv2.imwrite(str(folder / f"{n}.png"), frame_image(n, version=True))
    cache = FrameCache(tmp_path / "cache")
    src = FrameSource(folder, 2, 10)
    assert [frame_index_of(cache.frame(src, k)) for k in (0, 7, 9)] == [2, 9, 11]
