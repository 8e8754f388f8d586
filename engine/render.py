"""Runs a planned edit: decode the range, apply the op, encode, in checkpointed chunks.

The range is cut into chunks of at most `chunk_frames` (fewer frames each when that keeps every
render worker busy to the end: `chunk_size`; the size is recorded in the work folder, so a
resumed job is cut the same way). Each chunk is rendered into its own
segment file in the job's work folder and recorded in the job store once it is fully
on disk (fsync'd and hashed). A restarted engine skips recorded chunks whose segment is
intact, so it redoes at most one chunk. The final file is always assembled from the
segments the same way, by stream copy, which is why a resumed job's output is byte-
identical to an uninterrupted one, and why the destination never holds half a file:
assembly writes a temp name beside it and renames.
"""

from __future__ import annotations

import collections
import contextlib
import ctypes
import dataclasses
import hashlib
import json
import os
import shutil
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..v1 import engine_pb2
from .analysis import BackgroundAnalysis
from .masks_tracked import keyframe_mask_provider
from .media import FrameReader, KeyframeMasks, PacketSlice, SegmentWriter, finalize_output
from .memory import limit_arenas, map_frame_buffers_apart
from .ops import EditContext
from .ops.base import OpReport
from .pipeline import BackgroundConsumer, prefetch
from .plan import EditPlan
from .timecode import FrameRange

# At import, before a render starts its threads: with glibc's default of 8 arenas per core,
# freed frame buffers piled up in ever more arenas and memory grew with clip length.
limit_arenas()

#: Frame threads of each chunk's decoder when chunks render side by side. None: the cores shared
#: among them. FFmpeg's own default (0) is one per core for each decoder, every thread holding a
#: frame in flight: 4 x 17 at 1080p, ~300 MiB more at the peak (docs/BENCHMARKS.md).
CHUNK_DECODE_THREADS: int | None = None


class JobHooks:
    """What the renderer needs from the job system (engine.jobs implements it)."""

    def report(self, stage: str, done: int, total: int) -> None: ...

    def check_cancelled(self) -> None: ...

    def record_chunk(self, index: int, path: str, sha256: str, frames: int) -> None: ...

    def finished_chunks(self) -> dict[int, str]:
        """index -> sha256 of the chunks already recorded for this job."""
        return {}


@dataclass(frozen=True)
class RenderResult:
    outputs: list[engine_pb2.OutputFile]
    frames_written: int
    #: Busy seconds per stage, summed over every thread ("decode", "op", "encode", "prepare",
    #: "finalize"): where a job's time went, for benchmarks and logs.
    stage_seconds: dict[str, float]
    #: what the op learned that the editor should know (lost frames of a tracked mask, ...)
    report: OpReport = OpReport()


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    if path.is_dir():
        # A PNG sequence: the hash of its files' names and contents, in order.
        for child in sorted(path.iterdir()):
            digest.update(child.name.encode())
            digest.update(bytes.fromhex(sha256_of(child)))
        return digest.hexdigest()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def size_of(path: Path) -> int:
    return sum(p.stat().st_size for p in path.iterdir()) if path.is_dir() else path.stat().st_size


#: Where a job's work folder keeps the chunk size its first attempt chose: a resumed attempt must
#: cut the range the same way, whatever its own engine's worker count, or a recorded segment would
#: be taken for frames it does not hold.
LAYOUT_FILE = "chunking.json"


def chunk_size(total: int, most: int, workers: int) -> int:
    """Frames per chunk for `total` frames rendered by `workers` at once.

    At most `most` (what a restarted engine may redo). With several workers the chunks come in
    a multiple of `workers`, all the same size but the last, so no worker idles through the
    last round: 300 frames on 4 workers are 8 chunks of 38, not 7 of 48 (two rounds of four
    chunks, the second with three, the third of them 12 frames).
    """
    if workers <= 1 or total <= 0:
        return most
    count = -(-total // most)
    count = min(-(-count // workers) * workers, total)
    return -(-total // count)


def chunk_layout(workdir: Path, total: int, most: int, workers: int, resuming: bool) -> int:
    """The chunk size of this job: the one its first attempt recorded in `workdir`, else chosen
    now (`chunk_size`) and recorded. A job resumed from an engine that predates the record
    (`resuming` with no record) cut its range in chunks of `most`."""
    record = workdir / LAYOUT_FILE
    try:
        saved = json.loads(record.read_text())
        if saved.get("total") == total and int(saved["chunk_frames"]) > 0:
            return int(saved["chunk_frames"])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    size = most if resuming else chunk_size(total, most, workers)
    partial = record.with_name(record.name + ".partial")
    partial.write_text(json.dumps({"total": total, "chunk_frames": size}))
    partial.replace(record)
    return size


def make_context(plan: EditPlan, reader: FrameReader, workdir: Path | None, hooks: JobHooks | None,
                 frame_range: FrameRange | None = None) -> EditContext:
    progress = hooks.report if hooks else (lambda stage, done, total: None)
    check_cancelled = hooks.check_cancelled if hooks else (lambda: None)
    params = dict(plan.params)
    frame_range = frame_range or plan.frame_range
    masks = plan.masks
    if isinstance(masks, KeyframeMasks):
        masks = keyframe_mask_provider(plan.op.spec, params, masks, reader, frame_range,
                                       workdir, progress, check_cancelled, device=plan.device, tracker=plan.tracker)
    return EditContext(
        source=reader,
        frame_range=frame_range,
        params=params,
        masks=masks,
        keyframes={k: v for k, v in plan.keyframes.items() if k in frame_range},
        device=plan.device,
        workdir=workdir,
        seed=plan.seed,
        progress=progress,
        check_cancelled=check_cancelled,
    )


class _Progress:
    """Frames done across the chunks being rendered (possibly by several threads), and the
    time each stage was busy."""

    def __init__(self, hooks: JobHooks, total: int, done: int) -> None:
        self._hooks, self._total, self._done = hooks, total, done
        self._lock = threading.Lock()
        self.stage_seconds: dict[str, float] = {}

    def add_time(self, stage: str, seconds: float) -> None:
        with self._lock:
            self.stage_seconds[stage] = self.stage_seconds.get(stage, 0.0) + seconds

    def timed(self, stage: str, items):
        """Yields from `items`, charging the time spent producing each to `stage`."""
        iterator = iter(items)
        while True:
            started = time.perf_counter()
            try:
                item = next(iterator)
            except StopIteration:
                return
            self.add_time(stage, time.perf_counter() - started)
            yield item

    def advance(self, frames: int = 1) -> None:
        with self._lock:
            self._done += frames
            done = self._done
        self._hooks.report("render", done, self._total)


def render_plan(plan: EditPlan, workdir: Path, hooks: JobHooks, *, chunk_frames: int = 48,
                workers: int = 1, op_dir: Path | None = None, runner=None) -> RenderResult:
    """Renders the whole range to `plan.output`; resumable from `hooks.finished_chunks()`.

    With `workers` > 1, that many chunks render at once, each on its own decoder, op
    instance and encoder: intra-frame codecs (ProRes, DNxHR, FFV1, PNG) and the frame-wise
    work after `prepare` have no dependency between chunks, so a many-core machine is
    not held to one encoder stream's speed. A `runner` (engine.jobs.ray_executor) renders the
    chunks elsewhere instead: the analysis then runs to its end here first, once, and the
    chunks read its results. Their threads, allocating frames at once, are
    what fragments the allocator's arenas, so with several workers frames get pages of their
    own (engine.memory); one worker keeps glibc's default, which faults fewer pages in.

    `op_dir`: where the op keeps its analysis, when the caller shares one between renders
    (batch variants, engine.batch) and removes it itself; default: inside `workdir`.
    With `plan.fix`, only `plan.fix.encoded` is rendered; the old version's other frames are
    joined in by packet copy (engine.fix).
    """
    if workers > 1:
        map_frame_buffers_apart()
    assert plan.output is not None and plan.codec is not None
    workdir.mkdir(parents=True, exist_ok=True)
    segments_dir = workdir / "segments"
    segments_dir.mkdir(exist_ok=True)
    op_dir = op_dir or workdir / "op"
    op_dir.mkdir(parents=True, exist_ok=True)
    encoded = plan.fix.encoded if plan.fix is not None else plan.frame_range
    total = len(encoded)
    # Segments share the output's container, so assembly copies packets unchanged.
    suffix = "" if plan.codec.image_sequence else plan.output.suffix.lower()
    finished = hooks.finished_chunks()
    segments: list[Path | PacketSlice] = []
    todo: list[tuple[int, FrameRange, Path]] = []
    already = 0
    if plan.fix is not None and encoded.start > plan.frame_range.start:
        segments.append(PacketSlice(plan.fix.base.path, 0, encoded.start - plan.frame_range.start))
    size = chunk_layout(workdir, total, chunk_frames, 1 if runner is not None else workers, bool(finished))
    for index, chunk in enumerate(encoded.chunks(size)):
        segment = segments_dir / f"{index:05d}{suffix}"
        segments.append(segment)
        if index in finished and segment.exists() and sha256_of(segment) == finished[index]:
            already += len(chunk)
        else:
            todo.append((index, chunk, segment))
    if plan.fix is not None and encoded.end < plan.frame_range.end:
        segments.append(PacketSlice(plan.fix.base.path, encoded.end - plan.frame_range.start, len(plan.frame_range)))
    progress = _Progress(hooks, total, already)
    hooks.report("render", already, total)

    # the streaming readers decode where the request asked (--decode); random access (a worker's
    # op context, previews) stays on the CPU, where a seek costs no hardware decoder set-up
    with FrameReader(plan.source) as reader, FrameReader(plan.source, decode=plan.decode) as analysis_reader:
        ctx = make_context(plan, reader, op_dir, hooks)
        op = plan.op()
        hooks.check_cancelled()
        started = time.perf_counter()
        # the analysis, once (resumable through op_dir): streamed beside the render when the op can
        analysis = None
        if runner is not None:
            track = getattr(ctx.masks, "track", None)  # tracked masks: once, here, for every chunk
            if track is not None:
                track()
            op.prepare(ctx)
        else:
            analysis = BackgroundAnalysis.start(op, dataclasses.replace(ctx, source=analysis_reader))
            if analysis is None:
                op.prepare(ctx)
        progress.add_time("prepare", time.perf_counter() - started)
        try:
            if runner is not None:
                runner.run(plan, todo, op_dir, hooks, progress)
            elif workers <= 1 or len(todo) <= 1:
                with _chunk_reader(plan) as chunk_reader:  # one decoder through every chunk: no seek between
                    for index, chunk, segment in todo:
                        _render_chunk(op, ctx, plan, chunk, segment, hooks, progress, analysis, chunk_reader)
                        hooks.record_chunk(index, str(segment), sha256_of(segment), len(chunk))
            else:
                _render_parallel(plan, todo, op_dir, hooks, progress, workers, analysis)
            if analysis is not None:
                analysis.join()
                # in the job's timing line: the analysis's wall time and how much of it the thread ran
                progress.add_time("analysis", analysis.wall_seconds)
                progress.add_time("analysis on a CPU", analysis.cpu_seconds)
            report = op.report(ctx)  # before the work folder, where the analysis kept it, goes
        finally:
            if analysis is not None:
                analysis.close()

    hooks.check_cancelled()
    hooks.report("finalize", total, total)
    started = time.perf_counter()
    finalize_output(
        segments,
        plan.output,
        plan.codec,
        rate=plan.source.rate,
        start_timecode=plan.source.timebase.timecode_of(plan.frame_range.start),
        color=plan.source.color,
        # a matte is a picture for compositing: the source's sound goes with the picture, not with it
        audio_source=(plan.source, plan.frame_range) if plan.source.audio and not plan.op.spec.writes_mask else None,
    )
    progress.add_time("finalize", time.perf_counter() - started)
    shutil.rmtree(workdir, ignore_errors=True)
    out = engine_pb2.OutputFile(path=str(plan.output), sha256=sha256_of(plan.output), size_bytes=size_of(plan.output))
    return RenderResult([out], len(plan.frame_range), progress.stage_seconds, report)


def _render_parallel(plan: EditPlan, todo, op_dir: Path, hooks: JobHooks, progress: _Progress, workers: int,
                     analysis: BackgroundAnalysis | None) -> None:
    """`workers` threads, each with its own decoder, op instance and encoder.

    With no analysis streaming beside the render, each worker takes a contiguous span of the
    chunks and decodes straight through it, as a split transcode does: a long-GOP source is
    then sought (and decoded from its keyframe) once per worker, not once per chunk. While an
    analysis walks the clip, the chunks go in order to whichever worker is free instead, so
    every worker renders just behind the walk rather than most of them waiting for its end.
    """
    if analysis is None:
        queues = [collections.deque(span) for span in contiguous_spans(todo, workers)]
    else:
        shared = collections.deque(todo)
        queues = [shared] * workers
    decode_threads = max(2, (os.cpu_count() or 2) // workers) if CHUNK_DECODE_THREADS is None else CHUNK_DECODE_THREADS
    failed = threading.Event()

    def work(queue: collections.deque) -> None:
        ctx = op = None
        try:
            with FrameReader(plan.source) as reader, _chunk_reader(plan, decode_threads) as chunk_reader:
                while not failed.is_set():
                    try:
                        index, chunk, segment = queue.popleft()  # atomic: workers may share the queue
                    except IndexError:
                        return
                    if op is None:
                        ctx = make_context(plan, reader, op_dir, hooks)
                        op = plan.op()
                        if analysis is not None:
                            op.start_analysis(ctx)  # its quick part; the walk itself runs once, elsewhere
                        else:
                            op.prepare(ctx)  # reads back what the first prepare wrote
                    _render_chunk(op, ctx, plan, chunk, segment, hooks, progress, analysis, chunk_reader)
                    hooks.record_chunk(index, str(segment), sha256_of(segment), len(chunk))
        except BaseException:
            failed.set()  # the others stop at their next chunk
            raise

    with ThreadPoolExecutor(max_workers=len(queues), thread_name_prefix="retakes-chunk") as pool:
        futures = [pool.submit(work, queue) for queue in queues]
        for future in as_completed(futures):
            future.result()  # the first failure (or Cancelled) ends the render


def contiguous_spans(todo: list, workers: int) -> list[list]:
    """`todo`'s chunks, in order, cut into at most `workers` runs of about equal frame counts."""
    total = sum(len(chunk) for _, chunk, _ in todo)
    spans: list[list] = [[] for _ in range(min(workers, len(todo)))]
    done = 0
    for item in todo:
        # the span whose share of the frames this chunk's middle falls in
        middle = done + len(item[1]) / 2
        spans[min(int(middle * len(spans) / total), len(spans) - 1)].append(item)
        done += len(item[1])
    return [span for span in spans if span]


@contextlib.contextmanager
def _chunk_reader(plan: EditPlan, decode_threads: int = 0):
    with FrameReader(plan.source, thread_count=decode_threads, alpha=plan.keeps_alpha, decode=plan.decode) as reader:
        yield reader


def _render_chunk(op, ctx, plan: EditPlan, chunk: FrameRange, segment: Path, hooks: JobHooks,
                  progress: _Progress, analysis: BackgroundAnalysis | None = None,
                  chunk_reader: FrameReader | None = None) -> None:
    """Renders `chunk` into `segment`, decoding with `chunk_reader` (a worker's own, kept from its
    previous chunk so that a contiguous next chunk needs no seek) or a reader of its own."""
    if chunk_reader is None:
        with _chunk_reader(plan) as own:
            _render_chunk(op, ctx, plan, chunk, segment, hooks, progress, analysis, own)
        return
    partial = segment.with_name(f"{segment.stem}.partial{segment.suffix}")
    if partial.is_dir():
        shutil.rmtree(partial)
    else:
        partial.unlink(missing_ok=True)
    # A mask output (`retakes track`) is 8-bit whatever the source's depth: 0 or 255 per pixel.
    matte = plan.op.spec.writes_mask
    alpha = plan.keeps_alpha
    with SegmentWriter(partial, plan.codec, plan.source.width, plan.source.height, plan.source.rate,
                       8 if matte else plan.source.bit_depth, plan.source.color, matte=matte,
                       sample_aspect_ratio=plan.source.sample_aspect_ratio,
                       field_order=plan.source.field_order, alpha=alpha) as writer:
        # Decode runs ahead and encode behind the op, each on its own thread (engine.pipeline).
        # The chunk decodes with its worker's own reader: the op may read other frames through
        # ctx.source meanwhile.
        def encode(frame) -> None:
            started = time.perf_counter()
            writer.write(frame)
            progress.add_time("encode", time.perf_counter() - started)

        encoder = BackgroundConsumer(encode)
        kept = _kept_frames(plan, chunk, alpha)
        try:
            for index, frame in prefetch(progress.timed("decode", chunk_reader.frames(chunk))):
                hooks.check_cancelled()
                if kept is not None and index not in plan.fix.frames:
                    # a frame a long-GOP fix takes in beside the asked ones: the old version's
                    encoder.put(next(kept)[1])
                    progress.advance()
                    continue
                if analysis is not None:
                    started = time.perf_counter()
                    analysis.wait(op, index, hooks.check_cancelled)
                    progress.add_time("wait for analysis", time.perf_counter() - started)
                started = time.perf_counter()
                if alpha:  # the op edits the colour; the alpha goes to the output as it came
                    edited = np.dstack([op.render(index, np.ascontiguousarray(frame[..., :3]), ctx), frame[..., 3]])
                else:
                    edited = op.render(index, frame, ctx)
                progress.add_time("op", time.perf_counter() - started)
                encoder.put(edited)
                progress.advance()
        finally:
            encoder.close()
            if kept is not None:
                kept.close()
    partial.replace(segment)
    release_free_memory()


def _kept_frames(plan: EditPlan, chunk: FrameRange, alpha: bool):
    """The old version's frames of `chunk`, in order, for a fix's chunk that holds frames
    outside the asked ones (a long-GOP codec's whole GOPs); None when it holds none."""
    fix = plan.fix
    if fix is None or all(i in fix.frames for i in chunk):
        return None
    start = plan.frame_range.start

    def frames():
        with FrameReader(fix.base, alpha=alpha) as old:
            for index, frame in old.frames(FrameRange(chunk.start - start, chunk.end - start)):
                if index + start not in fix.frames:
                    if frame.dtype != np.uint16 and plan.source.bit_depth > 8:
                        # an 8-bit codec's frames (h264) into the deep source's pipeline: 8 -> 16 bits
                        # exactly as the encoder takes 16 -> 8 back (x * 257 >> 8 == x)
                        frame = frame.astype(np.uint16) * 257
                    yield index + start, frame

    return frames()


def _libc_malloc_trim():
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None


_MALLOC_TRIM = _libc_malloc_trim()


def release_free_memory() -> None:
    """Hands memory freed by a finished chunk back to the OS.

    Each chunk's decoder, prefetch and encoder threads allocate frame-sized buffers in
    glibc's per-thread arenas, which keep freed memory for reuse; with several chunks in
    flight on a many-core machine the process then grows with the clip's length (measured:
    bench/memory.py). malloc_trim(0) returns the free pages of every arena.
    """
    if _MALLOC_TRIM is not None:
        _MALLOC_TRIM(0)


def render_preview(plan: EditPlan, frame: int) -> np.ndarray:
    """One edited frame, for the single-frame preview. Temporal ops analyse only what they need."""
    if frame not in range(plan.source.frame_count):
        from .errors import InvalidArgument

        raise InvalidArgument(f"frame {frame} lies outside the media's {plan.source.frame_count} frames",
                              field="frame")
    with FrameReader(plan.source, threads="SLICE") as reader:
        ctx = make_context(plan, reader, None, None, frame_range=preview_range(plan, frame))
        op = plan.op()
        preview: Callable | None = getattr(op, "preview", None)
        if preview is not None:
            return preview(frame, ctx)
        if plan.op.spec.temporal:
            op.prepare(ctx)
        return op.render(frame, reader.frame(frame), ctx)


def preview_range(plan: EditPlan, frame: int) -> FrameRange:
    """The frames a one-frame preview needs: from its nearest anchor (keyframe, mask) to it."""
    anchors = list(plan.keyframes)
    if isinstance(plan.masks, KeyframeMasks):
        anchors += plan.masks.frames
    if not anchors or not plan.op.spec.temporal and not isinstance(plan.masks, KeyframeMasks):
        return FrameRange(frame, frame + 1)
    nearest = min(anchors, key=lambda k: abs(k - frame))
    return FrameRange(min(nearest, frame), max(nearest, frame) + 1)
