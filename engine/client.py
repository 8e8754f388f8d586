"""A synchronous Python client for the engine, used by the CLI, the panel and the bridge.

    with connect() as engine:
        job = engine.run_edit(request, on_progress=print)

`connect()` finds a running engine (an explicit target, `$RETAKES_ENGINE`, or the
default socket) and otherwise starts a private one on a temporary socket, sharing the
user's job database, and stops it afterwards. A private engine also stops when the
process that started it dies, however it dies (`kill -9` included), and removes its
temporary folder. Failed calls raise `EngineError`, which carries the gRPC code and the
request field the engine named; `EngineLost` when the engine stopped answering mid-call.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
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


class EngineLost(EngineError):
    """The engine stopped answering during a call (it was stopped, killed or crashed).

    Jobs outlive it: they are rows in the job database, resumed from their last chunk by
    the next engine that runs. `job_id` names the job the call was about, when there is one;
    `log` the private engine's log file, when this process started the engine.
    """

    def __init__(self, code: grpc.StatusCode, message: str, *, target: str, job_id: str = "",
                 log: Path | None = None) -> None:
        what = f"while job {job_id} was running" if job_id else "during the call"
        # gRPC's own words ("Stream removed (Socket closed)") say nothing a user can act on.
        where = f"see its log, {log}" if log else f"it was at {target}"
        super().__init__(code, f"the engine stopped answering {what} ({where})")
        self.details = message
        self.job_id = job_id
        self.log = log


#: Codes that may mean "the engine got the call but its answer was lost": a submit is
#: sent again with the same idempotency key, which gives the one job, never a second.
_RESUBMIT_CODES = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED)
_RESUBMIT_DELAYS = (0.5, 1.5)


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
        #: the log of the private engine this process started for this client, if it did
        self.engine_log: Path | None = None
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
    def find_shots(self, request: engine_pb2.FindShotsRequest) -> engine_pb2.ShotPlan:
        return self._stub.FindShots(request, metadata=self._metadata, timeout=600)

    @_raising
    def propose_shot_masks(self, request: engine_pb2.ProposeShotMasksRequest) -> engine_pb2.ShotPlan:
        return self._stub.ProposeShotMasks(request, metadata=self._metadata, timeout=600)

    @_raising
    def preview(self, edit: engine_pb2.EditRequest, frame: int,
                encoding: int = engine_pb2.IMAGE_ENCODING_PNG) -> engine_pb2.PreviewResponse:
        return self._stub.Preview(engine_pb2.PreviewRequest(edit=edit, frame=frame, encoding=encoding),
                                  metadata=self._metadata, timeout=120)

    def submit(self, edit: engine_pb2.EditRequest, idempotency_key: str = "", *,
               timeout: float = 60) -> engine_pb2.Job:
        """Queues the edit. Without a key, one is made for this call: a submit whose answer
        was lost (the deadline passed, the connection dropped) is sent again with it, and
        the engine answers with the job it already made instead of queueing a second."""
        request = engine_pb2.SubmitEditRequest(edit=edit, idempotency_key=idempotency_key or uuid.uuid4().hex)
        for delay in (*_RESUBMIT_DELAYS, None):
            try:
                return self._stub.SubmitEdit(request, metadata=self._metadata, timeout=timeout)
            except grpc.RpcError as error:
                if delay is None or error.code() not in _RESUBMIT_CODES:
                    raise EngineError.from_rpc(error) from None
            time.sleep(delay)
        raise AssertionError("unreachable")

    @_raising
    def get(self, job_id: str) -> engine_pb2.Job:
        return self._stub.GetJob(engine_pb2.GetJobRequest(job_id=job_id), metadata=self._metadata, timeout=30)

    def find_job(self, id_or_prefix: str) -> engine_pb2.Job:
        """The job with this id, or the one job whose id starts with it (as git takes a
        commit's abbreviation); a prefix that starts several ids is refused, naming them."""
        try:
            return self.get(id_or_prefix)
        except EngineError as error:
            prefix = id_or_prefix.strip().lower()
            if error.code != grpc.StatusCode.NOT_FOUND or not prefix or len(prefix) > 64:
                raise
        matches = [job for job in self.list(limit=_ALL_JOBS) if job.id.startswith(prefix)]
        if len(matches) == 1:
            return matches[0]
        if not matches:
            raise EngineError(grpc.StatusCode.NOT_FOUND, f"no job {id_or_prefix!r}, and no job id starts with it "
                              "(`retakes jobs list` shows them)", field="job_id")
        shown = ", ".join(f"{job.id} ({_state_name(job)} {job.request.op})" for job in matches[:10])
        more = f" and {len(matches) - 10} more" if len(matches) > 10 else ""
        raise EngineError(grpc.StatusCode.INVALID_ARGUMENT,
                          f"{id_or_prefix!r} starts {len(matches)} job ids: {shown}{more}; give more of the id",
                          field="job_id")

    @_raising
    def list(self, states: list[int] | None = None, limit: int = 100) -> list[engine_pb2.Job]:
        reply = self._stub.ListJobs(engine_pb2.ListJobsRequest(states=states or [], limit=limit),
                                    metadata=self._metadata, timeout=30)
        return list(reply.jobs)

    @_raising
    def cancel(self, job_id: str) -> engine_pb2.Job:
        return self._stub.CancelJob(engine_pb2.CancelJobRequest(job_id=job_id), metadata=self._metadata, timeout=30)

    def watch(self, job_id: str) -> Iterator[engine_pb2.Job]:
        """Yields the job's snapshots until it reaches a terminal state. Raises `EngineLost`
        when the engine stops answering before that (the job itself lives on)."""
        try:
            for event in self._stub.WatchJob(engine_pb2.WatchJobRequest(job_id=job_id), metadata=self._metadata):
                yield event.job
        except grpc.RpcError as error:
            # "Stream removed", "Socket closed", ...: the stream broke; whether the engine went
            # with it is what the user needs to know.
            if error.code() != grpc.StatusCode.NOT_FOUND and not self.healthy(timeout=2.0):
                raise EngineLost(error.code(), error.details() or "", target=self.target, job_id=job_id,
                                 log=self.engine_log) from None
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


_ALL_JOBS = 1_000_000  # ListJobs' limit when looking a job id prefix up among every job


def _state_name(job: engine_pb2.Job) -> str:
    return engine_pb2.JobState.Name(job.state).removeprefix("JOB_STATE_").lower()


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
def private_engine(state_dir: Path | None = None, *, startup_timeout: float = 60.0,
                   log_path: Path | None = None) -> Iterator[str]:
    """Starts `retakes engine serve` on a temporary socket; stops it on exit.

    Its log (and anything else it prints) goes to a file of its own under `<state>/logs/`,
    never to a pipe (`log_path`, default a new one): errors that say "see the engine log"
    name that file. The engine is tied to this process: its stdin is a pipe whose
    other end only this process holds, and it stops when that pipe closes, which the kernel
    does when this process dies, `kill -9` included (and on Linux the parent-death signal
    stops it too). It then removes its temporary folder itself.
    """
    log_path = log_path or new_private_log(state_dir or default_state_dir())
    tmp = Path(tempfile.mkdtemp(prefix="retakes-"))
    sock = tmp / "engine.sock"
    env = dict(os.environ)
    if state_dir is not None:
        env["RETAKES_HOME"] = str(state_dir)
    # -P: no working directory on the import path, where a folder named `retakes` (a clone of
    # this repository, say) would be imported instead of the installed package.
    command = [sys.executable, "-P", "-m", "retakes.cli", "engine", "serve", "--socket", str(sock),
               "--log-file", str(log_path), "--private-for", str(os.getpid())]
    # Its own process group: Ctrl-C in the terminal goes to this process alone, which cancels
    # its job; were the engine to get it too, it would stop first and leave the job queued.
    group = ({"start_new_session": True} if os.name == "posix"
             else {"creationflags": getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0)})
    try:
        with open(log_path, "ab") as log_file:
            proc = subprocess.Popen(command, env=env, stdin=subprocess.PIPE, stdout=log_file, stderr=log_file,
                                    **group)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
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
        proc.stdin.close()  # the engine's cue to stop, the same one it gets when this process dies
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)  # the engine removes it; not when it was killed


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
    log_path = new_private_log(state_dir or default_state_dir())
    with private_engine(state_dir, log_path=log_path) as private_target, EngineClient(private_target) as client:
        client.engine_log = log_path
        yield client
