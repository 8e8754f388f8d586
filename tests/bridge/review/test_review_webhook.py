"""Webhook receiver: only correctly signed, fresh requests get through."""

from __future__ import annotations

import json
import threading
import time

import httpx
import pytest

from retakes.bridge.review.webhook import SignatureError, make_server, sign, verify

SECRET = "whsec-test"
BODY = json.dumps(
    {
        "type": "comment.created",
        "resource": {"id": "file-1", "type": "file"},
        "project": {"id": "p"},
        "account": {"id": "a"},
        "workspace": {"id": "w"},
        "user": {"id": "u"},
    }
).encode()


@pytest.fixture
def receiver():
    events = []
    server = make_server("127.0.0.1", 0, SECRET, events.append)
    t = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    t.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/", events
    server.shutdown()
    server.server_close()


def _headers(ts: int, sig: str) -> dict:
    return {
        "X-Frameio-Request-Timestamp": str(ts),
        "X-Frameio-Signature": sig,
        "Content-Type": "application/json",
    }


def test_good_signature_is_accepted(receiver):
    url, events = receiver
    ts = int(time.time())
    r = httpx.post(url, content=BODY, headers=_headers(ts, sign(SECRET, ts, BODY)))
    assert r.status_code == 204
    assert [(e.type, e.resource_id) for e in events] == [("comment.created", "file-1")]


@pytest.mark.parametrize("case", ["wrong-secret", "tampered-body", "stale", "future", "missing"])
def test_bad_or_stale_signature_is_rejected(receiver, case):
    url, events = receiver
    ts = int(time.time())
    body, headers = BODY, _headers(ts, sign(SECRET, ts, BODY))
    if case == "wrong-secret":
        headers = _headers(ts, sign("other", ts, BODY))
    elif case == "tampered-body":
        body = BODY.replace(b"file-1", b"file-2")
    elif case == "stale":
        headers = _headers(ts - 400, sign(SECRET, ts - 400, BODY))
    elif case == "future":
        headers = _headers(ts + 400, sign(SECRET, ts + 400, BODY))
    else:
        headers = {"Content-Type": "application/json"}
    r = httpx.post(url, content=body, headers=headers)
    assert r.status_code == 401 and events == []


def test_verify_is_header_case_insensitive():
    ts = 1_700_000_000
    verify(
        SECRET,
        {"x-frameio-request-timestamp": str(ts), "x-frameio-signature": sign(SECRET, ts, b"{}")},
        b"{}",
        now=ts + 10,
    )
    with pytest.raises(SignatureError, match="stale"):
        verify(
            SECRET,
            {"x-frameio-request-timestamp": str(ts), "x-frameio-signature": sign(SECRET, ts, b"{}")},
            b"{}",
            now=ts + 1000,
        )
