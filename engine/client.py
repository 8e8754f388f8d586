"""A synchronous Python client for the engine, used by the CLI, the panel and the bridge.

    with connect() as engine:
        job = engine.run_edit(request, on_progress=print)

`connect()` finds a running engine (an explicit target, `$RETAKES_ENGINE`, or the
default socket) and otherwise starts a private one on a temporary socket, sharing the
user's job database, and stops it afterwards. Failed calls raise `EngineError`, which
carries the gRPC code and the request field the engine named.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from ..v1 import engine_pb2, engine_pb2_grpc
from .config import default_state_dir
from .logs import new_private_log
from .service.status import field_of

TERMINAL_STATES = (engine_pb2.JOB_STATE_SUCCEEDED, engine_pb2.JOB_STATE_FAILED, engine_pb2.JOB_STATE_CANCELLED)
_CHUNK = 1 << 20
_OPTIONS = [("grpc.max_receive_message_length", 64 << 20), ("grpc.max_send_message_length", 8 << 20)]


class EngineError(Exception):
    """A call the engine refused or failed; `field` names the request field at fault."""

    def __init__(self, code: grpc.StatusCode, message: str, field: str = "") -> None:
        super().__init__(f"{field}: {message}" if field and not message.startswith(field) else message)
        self.code = code
        self.message = message
        self.field = field

    @classmethod
    def from_rpc(cls, error: grpc.RpcError) -> EngineError:
        return cls(error.code(), error.details() or "", field_of(error))


def _raising(fn):
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except grpc.RpcError as error:
            raise EngineError.from_rpc(error) from None
    wrapper.__name__, wrapper.__doc__ = fn.__name__, fn.__doc__
    return wrapper


class EngineClient:
    def __init__(self, target: str, *, token: str | None = None) -> None:
        self.target = target
        self._channel = grpc.insecure_channel(target, options=_OPTIONS)
        self._metadata = (("authorization", f"Bearer {token}"),) if token else ()
        self._stub = engine_pb2_grpc.EngineServiceStub(self._channel)

    def close(self) -> None:
        self._channel.close()

    def __enter__(self) -> EngineClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def healthy(self, timeout: float = 1.0) -> bool:
        try:
            reply = health_pb2_grpc.HealthStub(self._channel).Check(
                health_pb2.HealthCheckRequest(), timeout=timeout, metadata=self._metadata)
        except grpc.RpcError:
            return False
        return reply.status == health_pb2.HealthCheckResponse.SERVING

    @_raising
    def capabilities(self) -> engine_pb2.Capabilities:
        return self._stub.GetCapabilities(engine_pb2.GetCapabilitiesRequest(), metadata=self._metadata, timeout=30)

    @_raising
    def preview(self, edit: engine_pb2.EditRequest, frame: int,
                encoding: int = engine_pb2.IMAGE_ENCODING_PNG) -> engine_pb2.PreviewResponse:
        return self._stub.Preview(engine_pb2.PreviewRequest(edit=edit, frame=frame, encoding=encoding),
                                  metadata=self._metadata, timeout=120)

    @_raising
    def submit(self, edit: engine_pb2.EditRequest, idempotency_key: str = "") -> engine_pb2.Job:
        return self._stub.SubmitEdit(engine_pb2.SubmitEditRequest(edit=edit, idempotency_key=idempotency_key),
                                     metadata=self._metadata, timeout=60)

    @_raising
    def get(self, job_id: str) -> engine_pb2.Job:
        return self._stub.GetJob(engine_pb2.GetJobRequest(job_id=job_id), metadata=self._metadata, timeout=30)

    @_raising
    def list(self, states: list[int] | None = None, limit: int = 100) -> list[engine_pb2.Job]:
        reply = self._stub.ListJobs(engine_pb2.ListJobsRequest(states=states or [], limit=limit),
                                    metadata=self._metadata, timeout=30)
        return list(reply.jobs)

    @_raising
    def cancel(self, job_id: str) -> engine_pb2.Job:
        return self._stub.CancelJob(engine_pb2.CancelJobRequest(job_id=job_id), metadata=self._metadata, timeout=30)

    def watch(self, job_id: str) -> Iterator[engine_pb2.Job]:
        """Yields the job's snapshots until it reaches a terminal state."""
        try:
            for event in self._stub.WatchJob(engine_pb2.WatchJobRequest(job_id=job_id), metadata=self._metadata):
                yield event.job
        except grpc.RpcError as error:
            raise EngineError.from_rpc(error) from None

    def wait(self, job_id: str, on_progress: Callable[[engine_pb2.Job], None] | None = None) -> engine_pb2.Job:
        job = None
        for job in self.watch(job_id):
            if on_progress is not None:
                on_progress(job)
        assert job is not None
        return job

    def run_edit(self, edit: engine_pb2.EditRequest,
                 on_progress: Callable[[engine_pb2.Job], None] | None = None) -> engine_pb2.Job:
        """Submits and waits; returns the finished job (check `job.state`)."""
        return self.wait(self.submit(edit).id, on_progress)

    def edit_keyframe(self, request: engine_pb2.KeyframeRequest):
        """The EditKeyframe stream: iterating it yields KeyframeEvents (grpc.RpcError on failure);
        `.cancel()` on it stops the edit between two denoising steps."""
        return self._stub.EditKeyframe(request, metadata=self._metadata)

    @_raising
    def upload(self, path: Path, on_progress: Callable[[int, int], None] | None = None) -> str:
        """Uploads a file (resuming where the engine stopped) and returns its sha256 key."""
        path = Path(path)
        digest = hashlib.sha256()
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 22), b""):
                digest.update(block)
        key, total = digest.hexdigest(), path.stat().st_size
        status = self._stub.GetUploadStatus(engine_pb2.GetUploadStatusRequest(sha256=key),
                                            metadata=self._metadata, timeout=30)
        if status.complete:
            return key

        def chunks(start: int) -> Iterator[engine_pb2.UploadChunk]:
            with open(path, "rb") as f:
                f.seek(start)
                offset = start
                while block := f.read(_CHUNK):
                    yield engine_pb2.UploadChunk(sha256=key, file_name=path.name, total_size=total,
                                                 offset=offset, data=block)
                    offset += len(block)
                    if on_progress is not None:
                        on_progress(offset, total)

        self._stub.UploadMedia(chunks(status.committed_bytes), metadata=self._metadata)
        return key

    @_raising
    def download(self, job_id: str, dest: Path, path: str = "") -> Path:
        """Downloads one output of a finished job to `dest`, resuming a partial `dest`."""
        dest = Path(dest)
        partial = dest.with_name(dest.name + ".partial")
        offset = partial.stat().st_size if partial.exists() else 0
        stream = self._stub.DownloadResult(engine_pb2.DownloadResultRequest(job_id=job_id, path=path, offset=offset),
                                           metadata=self._metadata)
        with open(partial, "ab") as f:
            for chunk in stream:
                f.write(chunk.data)
        partial.replace(dest)
        return dest


def find_engine(state_dir: Path | None = None) -> str | None:
    """The target of an engine that is running now, or None."""
    if target := os.environ.get("RETAKES_ENGINE"):
        return target
    sock = (state_dir or default_state_dir()) / "engine.sock"
    if sock.exists():
        with EngineClient(f"unix://{sock}") as probe:
            if probe.healthy():
                return f"unix://{sock}"
    return None


@contextlib.contextmanager
def private_engine(state_dir: Path | None = None, *, startup_timeout: float = 60.0) -> Iterator[str]:
    """Starts `retakes engine serve` on a temporary socket; stops it on exit.

    Its log (and anything else it prints) goes to a file of its own under `<state>/logs/`,
    never to a pipe: errors that say "see the engine log" name that file.
    """
    log_path = new_private_log(state_dir or default_state_dir())
    with tempfile.TemporaryDirectory(prefix="retakes-") as tmp, open(log_path, "ab") as log:
        sock = Path(tmp) / "engine.sock"
        env = dict(os.environ)
        if state_dir is not None:
            env["RETAKES_HOME"] = str(state_dir)
        proc = subprocess.Popen([sys.executable, "-m", "retakes.cli", "engine", "serve", "--socket", str(sock),
                                 "--log-file", str(log_path)],
                                env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        target = f"unix://{sock}"
        try:
            deadline = time.monotonic() + startup_timeout
            with EngineClient(target) as probe:
                while not (sock.exists() and probe.healthy(timeout=0.5)):
                    if proc.poll() is not None:
                        raise EngineError(grpc.StatusCode.UNAVAILABLE,
                                          f"the private engine exited at start ({_last_line(log_path)}); "
                                          f"see its log, {log_path}")
                    if time.monotonic() > deadline:
                        raise EngineError(grpc.StatusCode.UNAVAILABLE,
                                          f"the private engine did not start in time; see its log, {log_path}")
                    time.sleep(0.05)
            yield target
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _last_line(path: Path) -> str:
    lines = [line for line in path.read_text(errors="replace").splitlines() if line.strip()]
    return lines[-1].strip() if lines else "it wrote nothing"


@contextlib.contextmanager
def connect(target: str | None = None, *, token: str | None = None,
            state_dir: Path | None = None) -> Iterator[EngineClient]:
    """A client for `target`, a running engine, or a private engine started for this block."""
    target = target or find_engine(state_dir)
    if target is not None:
        with EngineClient(target, token=token or os.environ.get("RETAKES_TOKEN")) as client:
            yield client
        return
    with private_engine(state_dir) as private_target, EngineClient(private_target) as client:
        yield client
