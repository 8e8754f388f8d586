"""Running a job's chunks as Ray tasks, on a cluster the user names or a local Ray.

The job system is unchanged: `RayExecutor` claims, leases, heartbeats and ends jobs exactly
as `LocalExecutor` does (the SQLite store stays the record, so a job survives the engine's
own restart), and the job's runner still plans, analyses and assembles in the engine. Only
the chunks leave: `RayChunkRunner` sends each one to Ray as a task with `num_cpus` (or
`num_gpus` for a GPU op), so a job spreads over every GPU and machine of the cluster.

- Media: where every node sees the source and the job's work folder at the same paths
  (shared storage), tasks read the source and write their segment there. Otherwise the source
  goes once into Ray's object store and each segment comes back through it. `auto` probes
  every node and picks; the job's log says which.
- The analysis (flow chains, tracking) runs once, in the engine, before the chunks; its
  results (the op's work folder) reach the tasks by path or, packed once, through the
  object store.
- Segments are stitched by stream copy as on one machine (engine.media.finalize_output):
  for intra-frame codecs (ProRes, DNxHR, FFV1, PNG) the output is byte-identical to the local
  executor's; an H.264 chunk is its own closed GOP, so it is joined at a GOP start.
- Faults: Ray retries a task whose worker or node died (`max_retries`); a task writes its
  segment under a temp name, so a retry starts clean. `cancel` stops every running task
  through the flag they poll (every TASK_POLL_S) and `ray.cancel`s those still running after
  REAP_AFTER_S.
- Progress: every task reports frames done per chunk to one `ProgressBoard` actor per job; the
  engine merges them into the job's one progress stream.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import logging
import os
import shutil
import socket
import tarfile
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..config import MEDIA_MODES, RaySettings
from ..errors import Cancelled, RetakesError, shown
from .executor import JobRecord, LocalExecutor

log = logging.getLogger(__name__)

#: how often a task tells the board its progress and asks whether to stop
TASK_POLL_S = 0.25
#: how long a cancelled task may take to see the stop before `ray.cancel` ends its worker
REAP_AFTER_S = 2.0
#: how long the engine waits for a named cluster's address to answer before saying so
CONNECT_TIMEOUT_S = 3.0
#: codecs whose frames depend on earlier ones: their chunks are joined where a GOP starts
INTER_FRAME = frozenset({"h264"})


class RayUnavailable(RetakesError):
    """The cluster cannot be reached, or lacks what the job needs."""

    code = "UNAVAILABLE"


class RayMissing(RetakesError):
    code = "FAILED_PRECONDITION"


def _import_ray():
    try:
        import ray
    except ImportError as exc:
        raise RayMissing("the Ray executor needs Ray: pip install 'retakes[ray]'", field="executor") from exc
    return ray


def _check_reachable(address: str) -> None:
    """ray.init on an address nobody answers retries for a minute or more: ask first."""
    host, sep, port = address.removeprefix("ray://").rpartition(":")
    if not sep or not port.isdigit():
        raise RayUnavailable(f"expected HOST:PORT of a Ray cluster's head, got {shown(address)}", field="ray_address")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=CONNECT_TIMEOUT_S):
            pass
    except OSError as exc:
        raise RayUnavailable(f"no Ray cluster answers at {address} ({exc.strerror or exc}); start one with "
                             f"`ray start --head` and give its address", field="ray_address") from exc


class RayCluster:
    """The engine's connection to Ray."""

    def __init__(self, settings: RaySettings) -> None:
        if settings.media not in MEDIA_MODES:
            raise RayUnavailable(f"expected one of {', '.join(MEDIA_MODES)}, got {shown(settings.media)}",
                                 field="ray_media")
        self.settings = settings
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # nothing leaves the studio
        if not settings.address:
            # Read when Ray is imported. A local Ray for this engine only stays on loopback
            # (Linux would otherwise bind the node to its network address, open to the LAN).
            os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
        self.ray = _import_ray()
        self._started_here = False
        self.connect()

    def connect(self) -> None:
        ray = self.ray
        if self.settings.address:
            _check_reachable(self.settings.address)
            if not ray.is_initialized():
                ray.init(address=self.settings.address, namespace="retakes", log_to_driver=False,
                         configure_logging=False)
            log.info("Ray: connected to the cluster at %s (%s)", self.settings.address, self.describe())
        elif ray.is_initialized():  # an embedding process (tests, a notebook) brought its own
            log.info("Ray: using this process's Ray (%s)", self.describe())
        else:
            # "local": a new Ray even where `ray start` left a cluster for ray.init to join
            ray.init(address="local", num_cpus=self.settings.local_cpus or None, include_dashboard=False,
                     namespace="retakes", log_to_driver=False, configure_logging=False)
            self._started_here = True
            log.info("Ray: started a local Ray for this engine (%s)", self.describe())

    def describe(self) -> str:
        res = self.ray.cluster_resources()
        return f"{len(self.alive_nodes())} node(s), {res.get('CPU', 0):g} CPU, {res.get('GPU', 0):g} GPU"

    def alive_nodes(self) -> list[dict[str, Any]]:
        return [n for n in self.ray.nodes() if n.get("Alive")]

    def gpus(self) -> float:
        return float(self.ray.cluster_resources().get("GPU", 0))

    def where(self) -> str:
        return f"the Ray cluster at {self.settings.address}" if self.settings.address else "the local Ray"

    def shutdown(self) -> None:
        if self._started_here:
            self.ray.shutdown()


# ---------------------------------------------------------------- moving files through the object store


def pack(path: Path) -> bytes:
    """A file or a folder as tar bytes (a PNG segment, an op's analysis folder)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        tar.add(str(path), arcname=path.name)
    return buffer.getvalue()


def unpack(data: bytes, into: Path) -> Path:
    """Unpacks `pack`'s bytes into the folder `into`; returns the path of what was packed."""
    into.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r") as tar:
        names = tar.getnames()
        tar.extractall(into, filter="data")
    return into / names[0].split("/")[0]


# ---------------------------------------------------------------- what runs on the cluster


@dataclass(frozen=True)
class ProbeResult:
    node: str
    host: str
    source_ok: bool
    workdir_ok: bool
    gpus: int


def _probe(source: str, source_size: int, marker: str, token: str) -> ProbeResult:
    """Runs on one node: does it see the source and the job's work folder as the engine does?"""
    import ray

    def same_size(p: Path) -> bool:
        try:
            return (sum(c.stat().st_size for c in p.iterdir()) if p.is_dir() else p.stat().st_size) == source_size
        except OSError:
            return False

    try:
        workdir_ok = Path(marker).read_text() == token
    except OSError:
        workdir_ok = False
    return ProbeResult(ray.get_runtime_context().get_node_id(), socket.gethostname(), same_size(Path(source)),
                       workdir_ok, len(ray.get_gpu_ids()))


class _TaskHooks:
    """What the renderer needs, inside a task: progress to the board, stop when it says so."""

    def __init__(self, board, index: int) -> None:
        self._board, self._index = board, index
        self._next = 0.0
        self._done = 0
        self._stopped = False

    def report(self, stage: str, done: int, total: int) -> None:
        first = done == 1 and self._done == 0  # a chunk's first frame is told at once, as JobRunContext does
        self._done = done
        self._poll(force=first)

    def check_cancelled(self) -> None:
        self._poll()
        if self._stopped:
            raise Cancelled("the job was cancelled")

    def _poll(self, force: bool = False) -> None:
        import ray

        now = time.monotonic()
        if force or now >= self._next:
            self._next = now + TASK_POLL_S
            self._stopped = ray.get(self._board.report.remote(self._index, self._done, socket.gethostname(),
                                                              os.getpid()))

    def record_chunk(self, index: int, path: str, sha256: str, frames: int) -> None: ...

    def finished_chunks(self) -> dict[int, str]:
        return {}


@dataclass(frozen=True)
class ChunkTask:
    index: int
    start: int
    end: int
    #: the segment's path in shared mode; its file name only in object-store mode
    segment: str
    op_dir: str


def render_chunk_task(plan, task: ChunkTask, board, source_blob, analysis_blob) -> tuple[str, bytes | None]:
    """One chunk, on whichever node Ray chose. Returns (sha256, the packed segment or None
    when it was written to shared storage)."""
    from ..media import FrameReader
    from ..render import _Progress, _render_chunk, make_context, sha256_of
    from ..timecode import FrameRange

    hooks = _TaskHooks(board, task.index)
    hooks.check_cancelled()
    with tempfile.TemporaryDirectory(prefix="retakes-ray-") as tmp_text:
        tmp = Path(tmp_text)
        op_dir = Path(task.op_dir)
        if source_blob is not None:  # object-store mode: this node gets its own copy
            source = tmp / "source" / plan.source.path.name
            source.parent.mkdir()
            if isinstance(source_blob, bytes):
                source.write_bytes(source_blob)
            else:
                source = unpack(source_blob[0], tmp / "source-folder")
            plan = dataclasses.replace(plan, source=dataclasses.replace(plan.source, path=source))
        if analysis_blob is not None:
            op_dir = unpack(analysis_blob, tmp / "analysis")
        segment = Path(task.segment) if source_blob is None else tmp / "out" / task.segment
        segment.parent.mkdir(parents=True, exist_ok=True)
        chunk = FrameRange(task.start, task.end)
        with FrameReader(plan.source) as reader:
            ctx = make_context(plan, reader, op_dir, hooks)
            op = plan.op()
            op.prepare(ctx)  # reads back what the engine's one analysis wrote
            _render_chunk(op, ctx, plan, chunk, segment, hooks, _Progress(hooks, len(chunk), 0))
        hooks._poll(force=True)
        digest = sha256_of(segment)
        return digest, (pack(segment) if source_blob is not None else None)


class ProgressBoard:
    """One per job: frames done per chunk (a retried chunk's count replaces its first
    attempt's), and whether to stop. A plain class, made a Ray actor on first use."""

    def __init__(self) -> None:
        self.done: dict[int, int] = {}
        self.workers: dict[int, tuple[str, int]] = {}
        self.stopped = False

    def report(self, index: int, done: int, host: str, pid: int) -> bool:
        self.done[index] = done
        self.workers[index] = (host, pid)
        return self.stopped

    def stop(self) -> None:
        self.stopped = True

    def total(self) -> int:
        return sum(self.done.values())

    def worker_pids(self) -> dict[int, tuple[str, int, int]]:
        """chunk -> (host, pid, frames done) of the process rendering it, or that last did."""
        return {i: (*w, self.done[i]) for i, w in self.workers.items()}


# ---------------------------------------------------------------- the engine's side


class RayChunkRunner:
    """Renders the chunks left of one job as Ray tasks (engine.render's `runner` seam)."""

    def __init__(self, cluster: RayCluster, job_id: str) -> None:
        self.cluster, self.job_id = cluster, job_id
        self._refs: list = []
        self._board = None
        self._lock = threading.Lock()
        self._cancelled = False
        #: what the editor should know about how the job ran (JobResult.notes)
        self.notes: list[str] = []

    def media_mode(self, plan, workdir: Path) -> str:
        """'shared' or 'object-store' for this job; 'shared' asked for and a node that lacks the
        media path is an error naming the node and the path."""
        ray = self.cluster.ray
        wanted = self.cluster.settings.media
        if wanted == "object-store":
            return wanted
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        from ..render import size_of

        token = os.urandom(8).hex()
        marker = workdir / ".ray-probe"
        marker.write_text(token)
        probe = ray.remote(num_cpus=0)(_probe)
        nodes = self.cluster.alive_nodes()
        results: list[ProbeResult] = ray.get([
            probe.options(scheduling_strategy=NodeAffinitySchedulingStrategy(n["NodeID"], soft=False)).remote(
                str(plan.source.path), size_of(plan.source.path), str(marker), token)
            for n in nodes])
        marker.unlink(missing_ok=True)
        blind = [r for r in results if not (r.source_ok and r.workdir_ok)]
        if not blind:
            return "shared"
        if wanted == "auto":
            return "object-store"
        r = blind[0]
        missing = (f"the source {plan.source.path}" if not r.source_ok
                   else f"the engine's work folder {workdir}")
        raise RayUnavailable(f"node {r.host} ({r.node[:12]}) of {self.cluster.where()} cannot read {missing} "
                             f"(--ray-media shared): mount it at the same path on every node, or use "
                             f"--ray-media object-store", field="source" if not r.source_ok else "ray_media")

    def run(self, plan, todo, op_dir: Path, hooks, progress) -> None:
        ray = self.cluster.ray
        workdir = op_dir.parent
        gpu = plan.device.startswith("cuda")
        if gpu and self.cluster.gpus() < 1:
            raise RayUnavailable(f"--device {plan.device} asks for a GPU and {self.cluster.where()} has none "
                                 f"({self.cluster.describe()})", field="device")
        mode = self.media_mode(plan, workdir)
        codec = plan.codec
        joins = ("joined at chunk boundaries, each chunk starting its own GOP" if codec.name in INTER_FRAME
                 else "stitched by stream copy, byte-identical to one machine")
        moved = "by path on shared storage" if mode == "shared" else "through Ray's object store"
        log.info("job %s: %d chunk(s) as Ray tasks on %s; media %s; %s chunks %s", self.job_id, len(todo),
                 self.cluster.where(), moved, codec.name, joins)
        self.notes.append(f"rendered as {len(todo)} Ray task(s) on {self.cluster.where()}, media {moved}; "
                          f"{codec.name} chunks {joins}")
        source_blob = analysis_blob = None
        if mode == "object-store":
            src = plan.source.path
            source_blob = ray.put(src.read_bytes() if src.is_file() else [pack(src)])
            analysis_blob = ray.put(pack(op_dir))
        if gpu:
            plan = dataclasses.replace(plan, device="cuda:0")  # Ray gives each task its GPU as device 0
        resources = {"num_gpus": 1, "num_cpus": 1} if gpu else {"num_cpus": 1}
        board_cls = ray.remote(num_cpus=0)(ProgressBoard)
        remote = ray.remote(**resources, max_retries=self.cluster.settings.max_retries,
                            retry_exceptions=False)(render_chunk_task)
        plan_ref = ray.put(plan)
        with self._lock:
            if self._cancelled:
                raise Cancelled("the job was cancelled")
            self._board = board = board_cls.remote()
            by_ref = {}
            for index, chunk, segment in todo:
                target = str(segment) if mode == "shared" else segment.name
                task = ChunkTask(index, chunk.start, chunk.end, target, str(op_dir))
                by_ref[remote.remote(plan_ref, task, board, source_blob, analysis_blob)] = (index, chunk, segment)
            self._refs = list(by_ref)
        already = progress._done
        pending = list(by_ref)
        try:
            while pending:
                ready, pending = ray.wait(pending, num_returns=len(pending), timeout=0.2, fetch_local=False)
                for ref in ready:
                    index, chunk, segment = by_ref[ref]
                    digest, packed = self._result(ref)
                    if packed is not None:
                        self._place(packed, segment, digest)
                    hooks.record_chunk(index, str(segment), digest, len(chunk))
                hooks.report("render", already + ray.get(board.total.remote()), len(plan.frame_range))
                hooks.check_cancelled()
        except BaseException:
            self.cancel()
            raise
        with self._lock:
            self._refs, self._board = [], None
        ray.kill(board)

    def _result(self, ref) -> tuple[str, bytes | None]:
        ray = self.cluster.ray
        try:
            return ray.get(ref)
        except ray.exceptions.TaskCancelledError as exc:
            raise Cancelled("the job was cancelled") from exc
        except ray.exceptions.RayTaskError as exc:
            cause = exc.cause if hasattr(exc, "cause") else None
            if isinstance(cause, RetakesError):
                raise cause from exc
            raise

    @staticmethod
    def _place(packed: bytes, segment: Path, digest: str) -> None:
        """A segment that came through the object store, placed as a local render would: whole or not at all."""
        from ..render import sha256_of

        staging = segment.with_name(f"{segment.name}.incoming")
        shutil.rmtree(staging, ignore_errors=True)
        got = unpack(packed, staging)
        if sha256_of(got) != digest:
            raise RayUnavailable(f"segment {segment.name} arrived damaged through the object store")
        if segment.is_dir():
            shutil.rmtree(segment)
        got.replace(segment)
        shutil.rmtree(staging, ignore_errors=True)

    def cancel(self) -> None:
        """Stops every task of the job: at once through the board they poll, and any task still
        running a moment later (stuck in native code) with `ray.cancel`, which ends its worker.
        Returns at once (an RPC thread calls it); their segments are temp files the cleanup removes.

        Why not `ray.cancel` first: a graceful cancel racing a task that is finishing anyway
        crashed Ray 2.60's driver ("Tried to complete task that was not pending")."""
        with self._lock:
            self._cancelled = True
            refs, board = list(self._refs), self._board
            self._refs, self._board = [], None
        if board is None:
            return
        board.stop.remote()
        threading.Thread(target=self._reap, args=(refs, board), name="retakes-ray-cancel", daemon=True).start()

    def _reap(self, refs: list, board) -> None:
        ray = self.cluster.ray
        with contextlib.suppress(Exception):
            _, stuck = ray.wait(refs, num_returns=len(refs), timeout=REAP_AFTER_S, fetch_local=False)
            for ref in stuck:
                log.info("job %s: a task ignored the stop for %.1f s; cancelling it", self.job_id, REAP_AFTER_S)
                with contextlib.suppress(Exception):
                    ray.cancel(ref, force=True)
            ray.wait(refs, num_returns=len(refs), timeout=REAP_AFTER_S, fetch_local=False)
            ray.kill(board)

    def worker_pids(self) -> dict[int, tuple[str, int, int]]:
        """Which process renders (or last rendered) each chunk, and its frames done: for tests and the log."""
        with self._lock:
            board = self._board
        return {} if board is None else self.cluster.ray.get(board.worker_pids.remote())


class RayExecutor(LocalExecutor):
    """LocalExecutor's claims, leases and recovery, with each job's chunks run on Ray.

    Several jobs may run at once (`max_concurrent`): their chunks share the cluster, and Ray
    schedules them by the resources they ask for.
    """

    def __init__(self, store, run_job, cluster: RayCluster, **kwargs) -> None:
        super().__init__(store, run_job, **kwargs)
        self.cluster = cluster
        self._runners: dict[str, RayChunkRunner] = {}
        self._runners_lock = threading.Lock()

    def chunk_runner(self, job_id: str) -> RayChunkRunner:
        runner = RayChunkRunner(self.cluster, job_id)
        with self._runners_lock:
            self._runners[job_id] = runner
        return runner

    def runner_of(self, job_id: str) -> RayChunkRunner | None:
        with self._runners_lock:
            return self._runners.get(job_id)

    def done_with(self, job_id: str) -> None:
        with self._runners_lock:
            self._runners.pop(job_id, None)

    def cancel(self, job_id: str) -> JobRecord:
        record = super().cancel(job_id)
        runner = self.runner_of(job_id)
        if runner is not None:
            runner.cancel()
        return record

    def shutdown(self, wait: bool = True) -> None:
        # Each job's driver loop sees the stop at its next check, stops its tasks and goes back
        # to the queue with the chunks recorded so far.
        super().shutdown(wait)
        self.cluster.shutdown()
