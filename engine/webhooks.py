"""Webhooks: a job that names a URL has a signed JSON message POSTed there when it ends.

The body is `{"event": "job.succeeded" | "job.failed" | "job.cancelled", "delivery_id": ...,
"job": <retakes.v1.Job in protobuf's JSON mapping>}`; the header `X-Retakes-Signature-256`
is `sha256=` + the hex HMAC-SHA256 of the body's exact bytes under the job's secret (GitHub's
scheme, so receivers can reuse their verification code). `delivery_id` stays the same across
retries, so a receiver can drop a repeat.

Delivery never holds a job: each message goes out from its own daemon thread, every attempt
with a timeout, retried with exponential backoff on a connection error, a timeout or a non-2xx
answer. An engine that stops waits a bounded time for messages still in flight (a private
engine stops right after its command's job: without the wait its message would be lost).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit

from google.protobuf import json_format

from ..v1 import engine_pb2
from .errors import InvalidArgument, shown

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Retakes-Signature-256"
EVENTS = {
    engine_pb2.JOB_STATE_SUCCEEDED: "job.succeeded",
    engine_pb2.JOB_STATE_FAILED: "job.failed",
    engine_pb2.JOB_STATE_CANCELLED: "job.cancelled",
}


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5
    #: seconds before the second attempt; doubled before each later one
    first_delay: float = 0.5
    #: seconds one attempt may take (connect and answer)
    timeout: float = 10.0


def check_webhook(webhook: engine_pb2.Webhook) -> None:
    """Refuses a webhook the engine could not deliver or sign, naming the field."""
    parts = urlsplit(webhook.url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidArgument(f"expected an http:// or https:// URL, got {shown(webhook.url)}", field="webhook.url")
    if not webhook.secret:
        raise InvalidArgument("expected the secret the message is signed with (HMAC-SHA256)", field="webhook.secret")


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def without_secret(request: engine_pb2.EditRequest) -> engine_pb2.EditRequest:
    """The request as it may be shown to anyone who can list jobs: the webhook's secret left out."""
    if not request.webhook.secret:
        return request
    shown_request = engine_pb2.EditRequest()
    shown_request.CopyFrom(request)
    shown_request.webhook.secret = ""
    return shown_request


def message_body(job: engine_pb2.Job, delivery_id: str) -> bytes:
    job_json = json_format.MessageToDict(job, preserving_proto_field_name=False)
    return json.dumps({"event": EVENTS.get(job.state, "job.ended"), "delivery_id": delivery_id, "job": job_json},
                      sort_keys=True).encode()


class WebhookSender:
    """Sends each message from its own thread; `drain` waits for those still in flight."""

    def __init__(self, policy: RetryPolicy | None = None) -> None:
        self.policy = policy or RetryPolicy()
        self._lock = threading.Lock()
        self._threads: set[threading.Thread] = set()
        self._stopping = threading.Event()

    def send(self, webhook: engine_pb2.Webhook, job: engine_pb2.Job) -> None:
        body = message_body(job, str(uuid.uuid4()))
        thread = threading.Thread(target=self._deliver, args=(webhook.url, webhook.secret, body, job.id),
                                  name="retakes-webhook", daemon=True)
        with self._lock:
            self._threads.add(thread)
        thread.start()

    def _deliver(self, url: str, secret: str, body: bytes, job_id: str) -> None:
        try:
            delay = self.policy.first_delay
            for attempt in range(1, self.policy.attempts + 1):
                if self._attempt(url, secret, body, job_id, attempt):
                    return
                if attempt < self.policy.attempts and self._stopping.wait(delay):
                    break
                delay *= 2
            log.warning("job %s: webhook %s not delivered after %d attempts", job_id, url, attempt)
        finally:
            with self._lock:
                self._threads.discard(threading.current_thread())

    def _attempt(self, url: str, secret: str, body: bytes, job_id: str, attempt: int) -> bool:
        request = urllib.request.Request(url, data=body, method="POST", headers={
            "Content-Type": "application/json", SIGNATURE_HEADER: sign(secret, body),
            "User-Agent": "retakes-webhook", "X-Retakes-Attempt": str(attempt)})
        try:
            with urllib.request.urlopen(request, timeout=self.policy.timeout) as answer:
                ok = 200 <= answer.status < 300
        except urllib.error.HTTPError as error:
            ok = False
            log.info("job %s: webhook attempt %d answered %d", job_id, attempt, error.code)
        except (OSError, ValueError) as error:  # refused, unreachable, timed out
            ok = False
            log.info("job %s: webhook attempt %d failed: %s", job_id, attempt, error)
        return ok

    def pending(self) -> int:
        with self._lock:
            return len(self._threads)

    def drain(self, timeout: float) -> bool:
        """Waits up to `timeout` s for messages in flight (their current attempt, no more
        retries after the time is up); True when none is left."""
        deadline = time.monotonic() + timeout
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        self._stopping.set()
        return self.pending() == 0
