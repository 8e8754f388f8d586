"""The engine as a plain Python object: capabilities, preview, jobs, uploads.

The gRPC servicer is a thin shell over this class (the grpc examples' habit), so the
same behaviour is reachable from tests without a socket, and a future HTTP gateway
can wrap it too. Nothing here imports grpc.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from .. import __version__
from ..v1 import engine_pb2
from .batch import relabel, render_variants, variant_name, variant_requests
from .config import EngineConfig, private_dir, private_file
from .devices import list_devices, resolve_device
from .errors import InvalidArgument, shown
from .jobs import JobRecord, JobRunContext, JobState, JobStore, LocalExecutor
from .media import CODECS
from .models import backend_states, configure
from .ops import REGISTRY
from .plan import EditPlan, local_path, plan_edit
from .render import RenderResult, render_plan, render_preview
from .uploads import UploadState, UploadStore
from .vision.tracker import TrackingReport
from .webhooks import WebhookSender, check_webhook

#: seconds a stopping engine waits for webhook messages still in flight
WEBHOOK_DRAIN_S = 10.0


def _written(plan: EditPlan) -> str:
    """The resolved output a job writes: a folder's with its trailing separator."""
    assert plan.output is not None and plan.codec is not None
    return f"{plan.output}{os.sep}" if plan.codec.image_sequence else str(plan.output)


def _reencoded(plan: EditPlan) -> engine_pb2.FrameRange | None:
    if plan.fix is None:
        return None
    start = plan.frame_range.start
    return engine_pb2.FrameRange(start=plan.fix.encoded.start - start, end=plan.fix.encoded.end - start)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PreviewImage:
    frame: int
    image: np.ndarray  # RGB, uint8
    latency_ms: float
    device: str


def tracking_proto(report: TrackingReport | None) -> engine_pb2.TrackingReport | None:
    if report is None:
        return None
    return engine_pb2.TrackingReport(
        start_frame=report.start,
        confidence=report.confidence,
        lost=[engine_pb2.FrameRange(start=r.start, end=r.end) for r in report.lost()],
    )


def log_timing(job_id: str, plan: EditPlan, plan_seconds: float, render_seconds: float, result: RenderResult) -> None:
    """Where a job's time went, in the engine log: the wall time of planning and of the render
    (chunks and the final assembly), and each stage's busy time summed over its threads."""
    busy = ", ".join(f"{stage} {seconds:.2f}" for stage, seconds in sorted(result.stage_seconds.items()))
    log.info("job %s: timing: plan %.2f s, render %.2f s for %d frames on %s; busy s: %s", job_id, plan_seconds,
             render_seconds, result.frames_written, plan.device, busy)


class _Hooks:
    """Adapts the job system's run context to what the renderer needs."""

    def __init__(self, ctx: JobRunContext) -> None:
        self._ctx = ctx

    def report(self, stage: str, done: int, total: int) -> None:
        self._ctx.report(stage, done, total)

    def check_cancelled(self) -> None:
        self._ctx.check_cancelled()

    def record_chunk(self, index: int, path: str, sha256: str, frames: int) -> None:
        self._ctx.record_chunk(index, path, sha256, frames)

    def finished_chunks(self) -> dict[int, str]:
        return {c.index: c.sha256 for c in self._ctx.chunks()}


class Engine:
    def __init__(self, config: EngineConfig) -> None:
        self.config = config
        # The cluster first: an address nobody answers is refused before anything is written.
        cluster = None
        if config.executor == "ray":
            from .jobs.ray_executor import RayCluster

            cluster = RayCluster(config.ray)
        elif config.executor != "local":
            raise InvalidArgument(f"expected 'local' or 'ray', got {shown(config.executor)}", field="executor")
        for folder in (config.state_dir, config.outputs_dir, config.work_dir):
            private_dir(folder)
        # SQLite gives the WAL and shared-memory files the database's own mode when it makes them
        for sidecar in (Path(f"{config.jobs_db}-wal"), Path(f"{config.jobs_db}-shm")):
            if sidecar.exists():
                private_file(sidecar)
        self.store = JobStore(private_file(config.jobs_db))
        self.uploads = UploadStore(config.uploads_dir)
        options = dict(max_concurrent=config.max_concurrent_jobs, lease_seconds=config.lease_seconds,
                       cleanup=self._cleanup_job, on_end=self._job_ended)
        if cluster is not None:
            from .jobs.ray_executor import RayExecutor

            self.executor = RayExecutor(self.store, self._run_job, cluster, **options)
        else:
            self.executor = LocalExecutor(self.store, self._run_job, **options)
        self.webhooks = WebhookSender()
        #: the model store and loaded-model cache of this process (learned backends)
        self.learned = configure(config.state_dir / "models")

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        self.executor.start()
        # Finding GPUs imports torch (seconds): do it now, off the serving path, so the
        # first preview does not pay for it.
        threading.Thread(target=list_devices, name="retakes-devices", daemon=True).start()

    def stop(self) -> None:
        self.executor.shutdown(wait=True)
        # messages of jobs that just ended (a private engine stops right after its job)
        if not self.webhooks.drain(WEBHOOK_DRAIN_S):
            log.warning("stopping with %d webhook message(s) undelivered", self.webhooks.pending())

    # ------------------------------------------------------------------ capabilities

    def capabilities(self) -> engine_pb2.Capabilities:
        from .service.convert import op_descriptor

        caps = engine_pb2.Capabilities(engine_version=__version__,
                                       max_concurrent_jobs=self.config.max_concurrent_jobs)
        caps.ops.extend(op_descriptor(REGISTRY[name].spec) for name in sorted(REGISTRY))
        for spec in CODECS.values():
            pix = spec.pix_fmt_8 if spec.pix_fmt_8 == spec.pix_fmt_16 else f"{spec.pix_fmt_8} / {spec.pix_fmt_16}"
            options = " ".join(f"{k}={v}" for k, v in spec.options.items())
            caps.codecs.add(name=spec.name, extensions=list(spec.extensions) or ["(folder)"], pixel_format=pix,
                            lossless=spec.lossless, description=f"{spec.encoder} {options}".strip())
        for d in list_devices():
            caps.devices.add(name=d.name, description=d.description, available=d.available)
        for b in backend_states(self.learned):
            caps.learned.add(op=b.op, backend=b.backend, task=b.task, ready=b.ready, model=b.model, state=b.message)
        return caps

    # ------------------------------------------------------------------ learned keyframe edits

    def plan_keyframe(self, request: engine_pb2.KeyframeRequest):
        """Validates a keyframe edit completely (nothing is loaded or run on bad input)."""
        from .learned.service import plan_keyframe

        return plan_keyframe(request, self.learned, self.resolve_media)

    def run_keyframe(self, plan, check_cancelled, emit) -> None:
        from .learned.service import run_keyframe

        run_keyframe(plan, self.learned, check_cancelled, emit)

    # ------------------------------------------------------------------ multi-shot

    def find_shots(self, request: engine_pb2.FindShotsRequest) -> engine_pb2.ShotPlan:
        from .service.shots import find

        return find(request, self.resolve_media)

    def propose_shot_masks(self, request: engine_pb2.ProposeShotMasksRequest) -> engine_pb2.ShotPlan:
        from .service.shots import propose

        return propose(request, self.resolve_media)

    # ------------------------------------------------------------------ planning

    def resolve_media(self, ref: engine_pb2.MediaRef, field: str) -> Path:
        if ref.WhichOneof("kind") == "upload_sha256":
            return self.uploads.path_of(ref.upload_sha256, field=field)
        return local_path(ref, field)

    def plan(self, request: engine_pb2.EditRequest, *, for_preview: bool = False,
             existing_output_ok: bool = False) -> EditPlan:
        return plan_edit(request, resolve=self.resolve_media, for_preview=for_preview,
                         output_root=self.config.outputs_dir, existing_output_ok=existing_output_ok,
                         devices=None if for_preview else self._job_devices())

    def _job_devices(self):
        """Where a job's device is checked: on a Ray cluster, against the cluster's GPUs, not this host's."""
        cluster = getattr(self.executor, "cluster", None)
        if cluster is None:
            return None

        def resolve(requested: str, field: str = "device") -> str:
            wanted = (requested or "auto").strip().lower()
            if wanted.startswith("cuda"):
                if cluster.gpus() < 1:
                    raise InvalidArgument(f"device {shown(requested)} asks for a GPU and {cluster.where()} has "
                                          f"none ({cluster.describe()})", field=field)
                return "cuda:0"  # each task sees the GPU Ray gave it as device 0
            if wanted == "auto":
                return "cuda:0" if cluster.gpus() >= 1 else "cpu"
            return resolve_device(requested, field=field)

        return resolve

    # ------------------------------------------------------------------ preview

    def preview(self, request: engine_pb2.EditRequest, frame: int) -> PreviewImage:
        started = time.perf_counter()
        plan = self.plan(request, for_preview=True)
        image = render_preview(plan, frame)
        if image.dtype != np.uint8:
            image = (image >> 8).astype(np.uint8)
        return PreviewImage(frame, image, (time.perf_counter() - started) * 1000.0, plan.device)

    @staticmethod
    def encode_png(image: np.ndarray) -> bytes:
        ok, data = cv2.imencode(".png", cv2.cvtColor(image, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_PNG_COMPRESSION, 1])
        if not ok:
            raise RuntimeError("PNG encoding failed")
        return data.tobytes()

    # ------------------------------------------------------------------ jobs

    def submit(self, request: engine_pb2.EditRequest, idempotency_key: str = "") -> JobRecord:
        """Validates now (nothing is queued on bad input), then queues the job. A submit sent
        again with the same key (its answer was lost) gets the job the first one made, before
        any check: that job may already have written the output the check would refuse."""
        if idempotency_key and (earlier := self.store.find_by_idempotency_key(idempotency_key)) is not None:
            return earlier
        if request.HasField("webhook"):
            check_webhook(request.webhook)
        stored = engine_pb2.EditRequest()
        stored.CopyFrom(request)
        if request.variants:
            outputs: dict[Path, int] = {}
            for i, plan in enumerate(self._variant_plans(request)):
                assert plan.output is not None and plan.codec is not None
                if plan.output in outputs:
                    raise InvalidArgument(f"variants {outputs[plan.output] + 1} and {i + 1} both write {plan.output}",
                                          field=f"variants[{i}].output_path")
                outputs[plan.output] = i
                stored.variants[i].output_path = _written(plan)
        else:
            plan = self.plan(request)
            assert plan.output is not None and plan.codec is not None
            # The job writes exactly what was checked: the resolved path (a folder's with its
            # trailing separator) and the codec chosen for it.
            stored.output_path = _written(plan)
            stored.codec = plan.codec.name
        record = self.store.create(stored.SerializeToString(deterministic=True),
                                   idempotency_key=idempotency_key or None)
        self.executor.submit(record.id)
        return record

    def get(self, job_id: str) -> JobRecord:
        return self.store.get(job_id)

    def list(self, states: list[str] | None = None, limit: int = 100) -> list[JobRecord]:
        return self.store.list(states=states or None, limit=limit or 100)

    def cancel(self, job_id: str) -> JobRecord:
        before = self.store.get(job_id)
        record = self.executor.cancel(job_id)
        if before.state is JobState.QUEUED and record.state is JobState.CANCELLED:
            self._job_ended(job_id)  # it never ran: no executor ends it
        return record

    def _variant_plans(self, request: engine_pb2.EditRequest, **options) -> list[EditPlan]:
        plans = []
        for i, single in enumerate(variant_requests(request)):
            try:
                plans.append(self.plan(single, **options))
            except InvalidArgument as error:
                raise relabel(error, i) from None
        return plans

    def _job_ended(self, job_id: str) -> None:
        """Tells the job's webhook, if it names one, how it ended (from a thread of its own)."""
        from .service.convert import job_message

        record = self.store.get(job_id)
        request = engine_pb2.EditRequest.FromString(record.request)
        if request.webhook.url:
            self.webhooks.send(request.webhook, job_message(record))

    def workdir_of(self, job_id: str) -> Path:
        return self.config.work_dir / job_id

    def _run_job(self, record: JobRecord, ctx: JobRunContext) -> bytes:
        request = engine_pb2.EditRequest.FromString(record.request)
        ctx.report("plan", 0, 0)
        # A later attempt may find the output its interrupted predecessor already published
        # (the engine died between the rename and recording the result): that one is its own.
        if request.variants:
            return self._run_variants(record, request, ctx)
        started = time.perf_counter()
        plan = self.plan(request, existing_output_ok=ctx.attempt > 1)
        planned = time.perf_counter()
        # Ray runs a job's chunks on the cluster; a frame fix (a few frames spliced into an old
        # version by packet copy) stays here, where the old version's file is.
        runner = (self.executor.chunk_runner(record.id)
                  if hasattr(self.executor, "chunk_runner") and plan.fix is None else None)
        try:
            result = render_plan(plan, self.workdir_of(record.id), _Hooks(ctx), chunk_frames=self.config.chunk_frames,
                                 workers=self.config.workers(), runner=runner)
        finally:
            if runner is not None:
                self.executor.done_with(record.id)
        log_timing(record.id, plan, planned - started, time.perf_counter() - planned, result)
        return engine_pb2.JobResult(
            outputs=result.outputs,
            frames_written=result.frames_written,
            start_timecode=plan.source.timebase.timecode_of(plan.frame_range.start),
            rate=str(plan.source.rate),
            codec=plan.codec.name if plan.codec else "",
            notes=plan.notes + list(result.report.notes) + (runner.notes if runner is not None else []),
            tracking=tracking_proto(result.report.tracking),
            reencoded=_reencoded(plan),
        ).SerializeToString()

    def _run_variants(self, record: JobRecord, request: engine_pb2.EditRequest, ctx: JobRunContext) -> bytes:
        plans = self._variant_plans(request, existing_output_ok=ctx.attempt > 1)
        results = render_variants(plans, self.workdir_of(record.id), _Hooks(ctx),
                                  chunk_frames=self.config.chunk_frames, workers=self.config.workers())
        plan, first = plans[0], results[0]
        return engine_pb2.JobResult(
            outputs=[r.outputs[0] for r in results],
            frames_written=sum(r.frames_written for r in results),
            variant_names=[variant_name(v, i) for i, v in enumerate(request.variants)],
            start_timecode=plan.source.timebase.timecode_of(plan.frame_range.start),
            rate=str(plan.source.rate),
            codec=plan.codec.name if plan.codec else "",
            notes=plan.notes + list(first.report.notes),
            tracking=tracking_proto(first.report.tracking),
        ).SerializeToString()

    def _cleanup_job(self, record: JobRecord) -> None:
        """After a cancel: no temp file or segment of the job is left anywhere."""
        shutil.rmtree(self.workdir_of(record.id), ignore_errors=True)

    # ------------------------------------------------------------------ uploads / downloads

    def upload_status(self, sha256: str) -> UploadState:
        return self.uploads.status(sha256)

    def upload_chunk(self, sha256: str, *, offset: int, data: bytes, total_size: int, file_name: str) -> UploadState:
        return self.uploads.append(sha256, offset=offset, data=data, total_size=total_size, file_name=file_name)

    def result_file(self, job_id: str, path: str) -> Path:
        """A finished job's output, only ever one the job itself wrote."""
        record = self.store.get(job_id)
        if record.result is None:
            raise InvalidArgument(f"job {shown(job_id)} has no result yet", field="job_id")
        outputs = [o.path for o in engine_pb2.JobResult.FromString(record.result).outputs]
        chosen = path or outputs[0]
        if chosen not in outputs:
            raise InvalidArgument(f"{shown(chosen)} is not an output of job {shown(job_id)}", field="path")
        target = Path(chosen)
        if target.is_dir():
            raise InvalidArgument("a PNG-sequence output is downloaded frame by frame; not supported yet",
                                  field="path")
        return target

    def iter_file(self, path: Path, offset: int, chunk_size: int = 1 << 20) -> Iterator[tuple[int, bytes]]:
        size = path.stat().st_size
        if not 0 <= offset <= size:
            raise InvalidArgument(f"offset {offset} is outside the file's {size} bytes", field="offset")
        with open(path, "rb") as f:
            f.seek(offset)
            while block := f.read(chunk_size):
                yield offset, block
                offset += len(block)
