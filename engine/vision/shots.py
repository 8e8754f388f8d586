"""Shot boundaries inside one clip: hard cuts and dissolves, found from the frames alone.

Each frame is reduced to a small blurred Lab thumbnail and a 3D Lab histogram. Two cues:

- a **hard cut** is a frame whose difference from the previous one stands out from the
  differences around it (the local median, so a fast pan is not a cut) and passes an absolute
  floor (so a static shot's noise is not one). Both the thumbnail difference (what moved) and
  the histogram difference (what colours are there) vote; the larger normalised score wins;
- a **dissolve** is a run of frames each of which is, to within a small residual, a linear mix
  `(1 - a) A + a B` of the frame before the run (A) and the frame after it (B), with `a` rising
  through the run, where A and B differ as much as two sides of a cut. The residual test is what
  tells a dissolve from motion: a pan's middle frame is not the average of its ends.

The editor corrects what this finds (`ShotList.corrected`): cuts added or removed by frame.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import cv2
import numpy as np

from ..timecode import FrameRange

#: thumbnail width the cues are measured at (motion smaller than a few of its pixels is no cut)
THUMB_WIDTH = 48
#: a frame-to-frame change must exceed this many times the local median to be a cut
CUT_RATIO = 3.0
#: ... and this mean absolute Lab difference (Lab in 0..255 units) or histogram distance. Sensor
#: noise and compression on the blurred thumbnail stay under 1.5 (a static shot); a cut between
#: two moments of one scene (same place, same light) can be as little as 6.
CUT_FLOOR = 4.0
HIST_FLOOR = 0.2
#: dissolves between MIN and MAX frames long are looked for
DISSOLVE_MIN, DISSOLVE_MAX = 3, 24
#: a dissolve's frames may stray this far (relative to |B - A|) from the mix of its ends
DISSOLVE_RESIDUAL = 0.22


@dataclass(frozen=True)
class Boundary:
    """Where one shot ends and the next begins.

    `frame` is the first frame of the new shot; for a dissolve, the transition's middle frame.
    `span` is the transition (a single frame for a cut)."""

    frame: int
    kind: str  # "cut" | "dissolve" | "editor"
    score: float
    span: FrameRange


@dataclass(frozen=True)
class ShotList:
    """The shots of a range: consecutive, covering it, each at least one frame."""

    frame_range: FrameRange
    boundaries: tuple[Boundary, ...]

    @property
    def shots(self) -> list[FrameRange]:
        edges = [self.frame_range.start, *(b.frame for b in self.boundaries), self.frame_range.end]
        return [FrameRange(a, b) for a, b in zip(edges, edges[1:], strict=False)]

    def shot_of(self, frame: int) -> int:
        for i, shot in enumerate(self.shots):
            if frame in shot:
                return i
        raise KeyError(frame)

    def corrected(self, add: Iterable[int] = (), remove: Iterable[int] = ()) -> ShotList:
        """The editor's corrections: cuts added at frames `add`, the boundaries at `remove` dropped.

        A removal names the boundary's frame (as `retakes shots find` printed it); one that names
        no boundary, or an addition outside the range's interior, is a mistake worth saying."""
        from ..errors import InvalidArgument

        kept = {b.frame: b for b in self.boundaries}
        for frame in remove:
            if frame not in kept:
                known = ", ".join(str(f) for f in sorted(kept)) or "none"
                raise InvalidArgument(f"no shot boundary at frame {frame} (boundaries: {known})", field="remove_cuts")
            del kept[frame]
        for frame in add:
            if not self.frame_range.start < frame < self.frame_range.end:
                raise InvalidArgument(
                    f"a cut at frame {frame} must lie inside the range {self.frame_range} (not at its first frame)",
                    field="add_cuts",
                )
            kept[frame] = Boundary(frame, "editor", 1.0, FrameRange(frame, frame + 1))
        return ShotList(self.frame_range, tuple(kept[f] for f in sorted(kept)))


def _thumb(frame: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    h, w = frame.shape[:2]
    size = (THUMB_WIDTH, max(2, round(THUMB_WIDTH * h / w)))
    small = cv2.resize(frame, size, interpolation=cv2.INTER_AREA)
    if small.dtype != np.uint8:  # histograms and Lab below want 8 bits
        small = (small >> 8).astype(np.uint8)
    small = cv2.GaussianBlur(small, (3, 3), 0)
    lab = cv2.cvtColor(small, cv2.COLOR_RGB2Lab)
    hist = cv2.calcHist([lab], [0, 1, 2], None, [8, 8, 8], [0, 256, 0, 256, 0, 256]).ravel()
    return lab.astype(np.float32), hist / max(float(hist.sum()), 1.0)


def _local_median(values: np.ndarray, i: int, radius: int = 6, skip: Iterable[int] = ()) -> float:
    lo, hi = max(0, i - radius), min(len(values), i + radius + 1)
    skip = set(skip)
    around = [values[j] for j in range(lo, hi) if j != i and j not in skip and np.isfinite(values[j])]
    return float(np.median(around)) if around else 0.0


def detect_shots(
    frames: Iterable[tuple[int, np.ndarray]],
    frame_range: FrameRange,
    *,
    sensitivity: float = 1.0,
    progress: Callable[[str, int, int], None] = lambda stage, done, total: None,
    check_cancelled: Callable[[], None] = lambda: None,
) -> ShotList:
    """The shots of `frames` (index, RGB frame), which cover `frame_range` in order.

    `sensitivity` scales the thresholds down (2: finds cuts twice as faint)."""
    labs, hists = [], []
    for n, (_, frame) in enumerate(frames):
        check_cancelled()
        lab, hist = _thumb(frame)
        labs.append(lab)
        hists.append(hist)
        progress("shots: analyse", n + 1, len(frame_range))
    if len(labs) != len(frame_range):
        raise ValueError(f"expected {len(frame_range)} frames, got {len(labs)}")
    n = len(labs)
    if n < 2:
        return ShotList(frame_range, ())
    pix = np.full(n, np.nan, np.float32)  # pix[i]: change from frame i - 1 to frame i
    hist = np.full(n, np.nan, np.float32)
    for i in range(1, n):
        pix[i] = float(np.abs(labs[i] - labs[i - 1]).mean())
        hist[i] = 0.5 * float(np.abs(hists[i] - hists[i - 1]).sum())  # total variation, 0..1
    ratio, floor, hfloor = CUT_RATIO / sensitivity, CUT_FLOOR / sensitivity, HIST_FLOOR / sensitivity
    # dissolves first: each of a short dissolve's steps can look like a cut on its own
    found = _dissolves(labs, pix, frame_range, ratio, floor)
    inside = {j for b in found for j in range(b.span.start - frame_range.start, b.span.end - frame_range.start + 1)}
    for i in range(1, n):
        if i in inside:
            continue
        scores = []
        if pix[i] > floor:
            scores.append(pix[i] / max(_local_median(pix, i, skip=inside), floor / ratio))
        if hist[i] > hfloor:
            scores.append(hist[i] / max(_local_median(hist, i, skip=inside), hfloor / ratio))
        score = max(scores, default=0.0)
        if score > ratio:
            f = frame_range.start + i
            found.append(Boundary(f, "cut", float(score), FrameRange(f, f + 1)))
    found.sort(key=lambda b: b.frame)
    return ShotList(frame_range, tuple(found))


def _dissolves(labs, pix, frame_range: FrameRange, ratio: float, floor: float) -> list[Boundary]:
    """Runs [s, e) of frames that are mixes of frame s - 1 (A) and frame e (B); see the module doc."""
    n = len(labs)
    candidates = []
    for s in range(1, n - DISSOLVE_MIN):
        for e in range(s + DISSOLVE_MIN, min(n, s + DISSOLVE_MAX + 1)):
            a, b = labs[s - 1], labs[e]
            d = b - a
            dist = float(np.abs(d).mean())
            # the ends must differ like two sides of a cut, relative to the motion around the run
            around = [pix[j] for j in (*range(max(1, s - 6), s), *range(e + 1, min(n, e + 7)))]
            motion = float(np.median(around)) if around else 0.0
            if dist < floor or dist < ratio * max(motion, floor / ratio) * 1.5:
                continue
            dd = float((d * d).sum())
            alphas, worst = [], 0.0
            for t in range(s, e):
                x = labs[t] - a
                al = float((x * d).sum() / dd)
                alphas.append(al)
                worst = max(worst, float(np.abs(x - al * d).mean()) / dist)
            steps = np.diff([0.0, *alphas, 1.0])
            # a mix rising steadily from A to B: every step a fair share of it (no jump, which is a
            # cut, and no standing still, which is a frame of A or B outside the transition)
            fair = 1.0 / len(steps)
            if worst > DISSOLVE_RESIDUAL or steps.min() < 0.3 * fair or steps.max() > 3.0 * fair:
                continue
            candidates.append((worst, s, e, dist))
    chosen: list[Boundary] = []
    taken: set[int] = set()
    # the whole transition first: its ends differ most (a part of it joins two mixes, nearer alike)
    for worst, s, e, _dist in sorted(candidates, key=lambda c: (-c[3], c[0])):
        run = set(range(s - 1, e + 1))
        if run & taken:
            continue
        taken |= run
        mid = (s + e) // 2
        chosen.append(Boundary(frame_range.start + mid, "dissolve", float(1.0 - worst),
                               FrameRange(frame_range.start + s, frame_range.start + e)))
    return chosen
