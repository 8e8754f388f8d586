"""The local review server: token required everywhere, nothing outside the versions served."""

from __future__ import annotations

import http.client
from urllib.parse import urlparse

import httpx
import pytest

from tests.support.review_media import frame_index_of


def _raw_get(base: str, path: str, headers: dict | None = None) -> tuple[int, bytes]:
    """Sends the path byte for byte (no client-side normalisation of '..')."""
    u = urlparse(base)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=5)
    conn.putrequest("GET", path, skip_accept_encoding=True)
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
