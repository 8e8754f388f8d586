"""Webhooks through the real gRPC service, told to a real HTTP receiver on loopback.

The receiver checks the signature with its own few lines of `hmac` (not the engine's `sign`),
as a user's receiver would from the README's description.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from fractions import Fraction
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import grpc
import pytest

from retakes.engine.client import EngineError
from retakes.engine.media.synthetic import write_index_clip
from retakes.engine.timecode import FrameRate
from retakes.engine.webhooks import RetryPolicy
from retakes.v1 import engine_pb2

SECRET = "s3cret-for-tests"


@dataclass
class Receiver:
    """An HTTP server on 127.0.0.1 that answers each POST as `answers` says (200, 500, or
    "hang": never, until the test ends) and keeps what it got."""

    answers: list = field(default_factory=lambda: [200])
    got: list[tuple[dict, bytes]] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    arrived: threading.Event = field(default_factory=threading.Event)

    def __enter__(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.got.append((dict(self.headers), body))
                receiver.arrived.set()
                answer = receiver.answers[min(len(receiver.got), len(receiver.answers)) - 1]
                if answer == "hang":
                    receiver.release.wait(60)
                    return
                self.send_response(answer)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def __exit__(self, *exc) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    def wait_for(self, count: int, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while len(self.got) < count:
            assert time.monotonic() < deadline, f"{len(self.got)} of {count} messages arrived"
            time.sleep(0.02)


def verified(headers: dict, body: bytes, secret: str = SECRET) -> dict:
    """What a receiver does: recompute the HMAC-SHA256 of the raw body and compare."""
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers["X-Retakes-Signature-256"], expected)
    return json.loads(body)


@pytest.fixture
def clip(tmp_path) -> Path:
    path = tmp_path / "src.mov"
    write_index_clip(path, frames=12, rate=FrameRate(Fraction(24)), size=(64, 48), codec="prores_422hq")
    return path


def request(source: Path, output: Path, url: str, secret: str = SECRET, **params) -> engine_pb2.EditRequest:
    req = engine_pb2.EditRequest(source=engine_pb2.MediaRef(path=str(source)), output_path=str(output), op="relight",
                                 webhook=engine_pb2.Webhook(url=url, secret=secret))
    req.params["exposure"].number_value = params.get("exposure", 0.5)
    return req


def quick(engine) -> None:
    engine.running.engine.webhooks.policy = RetryPolicy(attempts=3, first_delay=0.05, timeout=2.0)


def wait_ended(client, job_id: str) -> engine_pb2.Job:
    return client.wait(job_id)


def test_a_finished_job_posts_a_signed_message(engine, clip, tmp_path):
    quick(engine)
    with Receiver() as receiver, engine.client() as client:
        job = wait_ended(client, client.submit(request(clip, tmp_path / "out.mov", receiver.url)).id)
        assert job.state == engine_pb2.JOB_STATE_SUCCEEDED
        receiver.wait_for(1)
        headers, body = receiver.got[0]
        message = verified(headers, body)
        assert message["event"] == "job.succeeded" and message["job"]["id"] == job.id
        assert message["job"]["result"]["outputs"][0]["path"] == str(tmp_path / "out.mov")
        # the secret is in neither the message nor what GetJob shows
        assert SECRET.encode() not in body
        assert client.get(job.id).request.webhook.secret == ""
        assert client.get(job.id).request.webhook.url == receiver.url
        # a signature made with another secret does not verify
        with pytest.raises(AssertionError):
            verified(headers, body, secret="another")


def test_failed_deliveries_are_retried_with_the_same_delivery_id(engine, clip, tmp_path):
    quick(engine)
    with Receiver(answers=[500, 503, 200]) as receiver, engine.client() as client:
        started = time.monotonic()
        job = wait_ended(client, client.submit(request(clip, tmp_path / "out.mov", receiver.url)).id)
        receiver.wait_for(3)
        time.sleep(0.3)
        assert len(receiver.got) == 3  # it stops once answered 2xx
        messages = [verified(h, b) for h, b in receiver.got]
        assert {m["delivery_id"] for m in messages} == {messages[0]["delivery_id"]}
        assert [h["X-Retakes-Attempt"] for h, _ in receiver.got] == ["1", "2", "3"]
        assert job.state == engine_pb2.JOB_STATE_SUCCEEDED
        # backoff: 0.05 s, then 0.1 s between attempts
        assert time.monotonic() - started >= 0.15


def test_a_receiver_that_never_answers_does_not_hold_the_job(engine, clip, tmp_path):
    engine.running.engine.webhooks.policy = RetryPolicy(attempts=2, first_delay=0.05, timeout=30.0)
    with Receiver(answers=["hang"]) as receiver, engine.client() as client:
        first = client.submit(request(clip, tmp_path / "a.mov", receiver.url))
        second = client.submit(request(clip, tmp_path / "b.mov", receiver.url, exposure=1.0))
        assert wait_ended(client, first.id).state == engine_pb2.JOB_STATE_SUCCEEDED
        # the next job runs and ends while the first message still hangs
        assert wait_ended(client, second.id).state == engine_pb2.JOB_STATE_SUCCEEDED
        assert receiver.arrived.wait(10)
        assert engine.running.engine.webhooks.pending() >= 1
        receiver.release.set()


def test_a_cancelled_queued_job_is_told_too(engine, clip, tmp_path):
    quick(engine)
    with Receiver() as receiver, engine.client() as client:
        busy = client.submit(request(clip, tmp_path / "busy.mov", receiver.url))
        queued = client.submit(request(clip, tmp_path / "queued.mov", receiver.url, exposure=1.0))
        client.cancel(queued.id)
        wait_ended(client, busy.id)
        receiver.wait_for(2)
        events = {verified(h, b)["job"]["id"]: verified(h, b)["event"] for h, b in receiver.got}
        assert events[busy.id] == "job.succeeded"
        # told as it ended (cancelled while queued, or, had it already started, at its next check)
        told = {engine_pb2.JOB_STATE_CANCELLED: "job.cancelled", engine_pb2.JOB_STATE_SUCCEEDED: "job.succeeded"}
        assert events[queued.id] == told[wait_ended(client, queued.id).state]
        assert len(receiver.got) == 2  # once each


@pytest.mark.parametrize(("url", "secret", "field"), [
    ("ftp://127.0.0.1/x", SECRET, "edit.webhook.url"),
    ("not a url", SECRET, "edit.webhook.url"),
    ("http://127.0.0.1:9/x", "", "edit.webhook.secret"),
])
def test_a_bad_webhook_is_refused_naming_the_field(engine, clip, tmp_path, url, secret, field):
    with engine.client() as client, pytest.raises(EngineError) as error:
        client.submit(request(clip, tmp_path / "out.mov", url, secret))
    assert error.value.code == grpc.StatusCode.INVALID_ARGUMENT and error.value.field == field
    assert not (tmp_path / "out.mov").exists()
