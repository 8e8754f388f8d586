"""Streams a range outward from a keyframe, one frame at a time, with neighbour flows.

Every temporal op here carries something (a mask, an edit, known background) from a
keyframe toward the ends of the range. Doing that frame by frame keeps memory flat in
clip length: at any time only the current frame and its neighbour toward the key are
held. Walking backward reads the source in small forward chunks and reverses each,
so a decoder that is only fast sequentially is still read sequentially.

The flows of the next few pairs, and their forward-backward occlusion test, are computed
ahead on a small thread pool (OpenCV releases the interpreter lock): they do not depend on
each other, only the consumer's chaining does, and DIS alone keeps few cores busy on a
working-size image. The source is decoded and scaled to the working size ahead too, on a
thread of its own. What is left on the consumer's thread is what is truly serial: the
ops' own chaining (propagate's tracking and flow chain; its cost inside a job is measured in
docs/BENCHMARKS.md).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..pipeline import prefetch
from ..timecode import FrameRange
from .flow import FlowEstimator, gray

if TYPE_CHECKING:  # ops imports vision at load time; a runtime import here would be circular
    from ..ops.base import FrameSource

REVERSE_CHUNK = 16
#: pairs whose flows may be in progress ahead of the consumer (frames held: one more than this)
LOOKAHEAD = 4
#: frames decoded ahead of those, on a thread (full resolution: kept small for memory); 0: inline
DECODE_AHEAD = 2


@dataclass
class Step:
    index: int
    #: the source frame, full resolution
    frame: np.ndarray
    #: the frame at the flow working resolution, RGB uint8
    small: np.ndarray
    #: the neighbour toward the key (None on the key itself)
    prev: int | None = None
    #: flow from this frame to `prev`, on this frame's working grid
    flow_to_prev: np.ndarray | None = None
    #: flow from `prev` to this frame, on prev's working grid
    flow_from_prev: np.ndarray | None = None
    #: where flow_to_prev fails the forward-backward test (`flow.occlusion`); None without both flows
    occluded: np.ndarray | None = None


def frames_outward(source: FrameSource, span: FrameRange, key: int, direction: int) -> Iterator[tuple[int, np.ndarray]]:
    """Frames of `span` from `key` (included) toward its end (+1) or its start (-1)."""
    if direction > 0:
        yield from source.frames(FrameRange(key, span.end))
        return
    hi = key + 1
    while hi > span.start:
        lo = max(span.start, hi - REVERSE_CHUNK)
        chunk = list(source.frames(FrameRange(lo, hi)))
        yield from reversed(chunk)
        hi = lo


def walk(
    source: FrameSource,
    span: FrameRange,
    key: int,
    direction: int,
    estimator: FlowEstimator,
    check_cancelled: Callable[[], None] = lambda: None,
    *,
    both_flows: bool = True,
    for_flow: Callable[[int, np.ndarray], np.ndarray] | None = None,
) -> Iterator[Step]:
    """Yields the key frame's Step, then each further frame's, with flows to its neighbour.

    `both_flows=False` skips flow_from_prev (no occlusion test wanted): half the flow cost.
    `for_flow(index, small)` may alter what flow sees (remove blanks the hole with it, so
    no pixel it must not use can leak into the fill through the flow); it is called in
    order, up to LOOKAHEAD frames ahead of the step being yielded.
    """
    pending: deque[tuple[Step, Future | None]] = deque()
    decoded = _scaled(frames_outward(source, span, key, direction), estimator)
    if DECODE_AHEAD > 0:
        decoded = prefetch(decoded, DECODE_AHEAD, name="retakes-walk-decode")
    # torch flow: one thread feeds the device (each call is already a batch; more threads would
    # only contend for the device, or on a CPU oversubscribe torch's own thread pool)
    workers = 1 if estimator.backend == "torch" else max(LOOKAHEAD, 1)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="retakes-flow") as pool:
        try:
            prev_gray: np.ndarray | None = None
            prev_index: int | None = None
            for index, frame, small in decoded:
                check_cancelled()
                g = gray(for_flow(index, small) if for_flow else small)
                step = Step(index, frame, small, prev=prev_index)
                flows = None if prev_gray is None else pool.submit(_flows, estimator, g, prev_gray, both_flows)
                pending.append((step, flows))
                prev_gray, prev_index = g, index
                if len(pending) > LOOKAHEAD:
                    yield _finished(*pending.popleft())
            while pending:
                check_cancelled()
                yield _finished(*pending.popleft())
        finally:
            decoded.close()  # stops the decoding thread before the caller may close the source
            for _, flows in pending:
                if flows is not None:
                    flows.cancel()


def _scaled(
    frames: Iterator[tuple[int, np.ndarray]], estimator: FlowEstimator
) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
    """(index, frame, the frame at the working size)."""
    try:
        for index, frame in frames:
            yield index, frame, estimator.small(frame)
    finally:
        frames.close()


def _flows(
    estimator: FlowEstimator, g: np.ndarray, prev_gray: np.ndarray, both: bool
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    if not both:
        return estimator.flow(g, prev_gray), None, None
    # on a torch device: both directions as one batch, the occlusion test on the device
    return estimator.flows_and_occlusion(g, prev_gray)


def _finished(step: Step, flows: Future | None) -> Step:
    if flows is not None:
        step.flow_to_prev, step.flow_from_prev, step.occluded = flows.result()
    return step
