"""Streams a range outward from a keyframe, one frame at a time, with neighbour flows.

Every temporal op here carries something (a mask, an edit, known background) from a
keyframe toward the ends of the range. Doing that frame by frame keeps memory flat in
clip length: at any time only the current frame and its neighbour toward the key are
held. Walking backward reads the source in small forward chunks and reverses each,
so a decoder that is only fast sequentially is still read sequentially.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..timecode import FrameRange
from .flow import FlowEstimator, gray

if TYPE_CHECKING:  # ops imports vision at load time; a runtime import here would be circular
    from ..ops.base import FrameSource

REVERSE_CHUNK = 16


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


def frames_outward(
    source: FrameSource, span: FrameRange, key: int, direction: int
) -> Iterator[tuple[int, np.ndarray]]:
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
    no pixel it must not use can leak into the fill through the flow).
    """
    prev: Step | None = None
    prev_gray: np.ndarray | None = None
    for index, frame in frames_outward(source, span, key, direction):
        check_cancelled()
        small = estimator.small(frame)
        g = gray(for_flow(index, small) if for_flow else small)
        step = Step(index, frame, small)
        if prev is not None:
            step.prev = prev.index
            step.flow_to_prev = estimator.flow(g, prev_gray)
            if both_flows:
                step.flow_from_prev = estimator.flow(prev_gray, g)
        yield step
        prev, prev_gray = step, g
