"""Multi-shot consistency: the shots of a clip, and the object's mask proposed in each.

The editor's workflow, in three steps, each one reviewable:

1. `find_shots`: the clip's shot boundaries (`vision.shots`), corrected by the editor (cuts
   added or removed by frame), kept as a `ShotPlan` (a JSON file next to the media);
2. `propose_masks`: given the object's mask on one frame (the reference shot), the object is
   looked for in every other shot (`vision.match`) on that shot's middle frame; each proposal is a
   PNG the editor accepts, replaces with a corrected mask, or rejects;
3. the `shots` op (`engine.ops.multishot`) reads the plan and applies one edit to the object in
   every accepted shot, carried through each shot by the tracker.

The plan is the contract between the steps, between the CLI, the gRPC service and the panel:
mask paths are stored relative to the plan's folder so a project folder can move.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from .errors import InvalidArgument, shown
from .media import FrameReader, probe
from .media.mask_image import read_mask, write_png_atomically
from .timecode import FrameRange
from .vision.match import make_matcher
from .vision.shots import Boundary, ShotList, detect_shots

PLAN_VERSION = 1
#: what the editor decided about a shot's mask
STATUSES = ("reference", "proposed", "accepted", "corrected", "rejected")
#: the statuses whose mask the edit is applied with
APPLIED = ("reference", "accepted", "corrected")


@dataclass
class Shot:
    index: int
    start: int
    end: int  # exclusive
    #: how the shot begins: "start" (the range's first frame), "cut", "dissolve" or "editor"
    begins: str = "start"
    #: the frame the mask belongs to (the shot's middle frame, or the editor's reference frame)
    frame: int | None = None
    #: the mask image, relative to the plan's folder
    mask: str | None = None
    status: str = ""
    score: float = 0.0
    #: what found the mask: "editor", "features", "colour", "none"
    method: str = ""

    @property
    def frame_range(self) -> FrameRange:
        return FrameRange(self.start, self.end)


@dataclass
class ShotPlan:
    source: str
    start: int
    end: int
    shots: list[Shot] = field(default_factory=list)
    version: int = PLAN_VERSION
    #: where the plan was read from or written to: mask paths are relative to its folder
    path: Path | None = field(default=None, repr=False, compare=False)

    # -- reading and writing ------------------------------------------------------------------
    def to_json(self) -> str:
        data = asdict(self)
        data.pop("path")
        return json.dumps(data, indent=2) + "\n"

    def save(self, path: Path) -> None:
        """Written whole or not at all (a temporary file renamed over it)."""
        path = Path(path)
        # masks stay where they are: their relative paths are rebased on the new folder
        masks = [self.mask_path(s) for s in self.shots]
        self.path = path
        for shot, mask in zip(self.shots, masks, strict=True):
            if mask is not None:
                shot.mask = self._relative(mask)
        temp = path.with_name(f".{path.name}.partial")
        temp.write_text(self.to_json())
        os.replace(temp, path)

    @classmethod
    def load(cls, path: Path, *, field: str = "plan") -> ShotPlan:
        path = Path(path)
        if not path.is_file():
            raise InvalidArgument(f"no shots plan at {shown(str(path))} (write one with `retakes shots find`)",
                                  field=field)
        try:
            data = json.loads(path.read_text())
            shots = [Shot(**s) for s in data.pop("shots")]
            plan = cls(**data, shots=shots, path=path)
        except (ValueError, TypeError, KeyError) as error:
            raise InvalidArgument(f"{path.name} is not a shots plan ({error})", field=field) from None
        plan.check(field)
        return plan

    def check(self, field: str = "plan") -> None:
        if self.version != PLAN_VERSION:
            raise InvalidArgument(f"plan version {self.version}; this engine reads version {PLAN_VERSION}",
                                  field=field)
        at = self.start
        for i, shot in enumerate(self.shots):
            if shot.index != i or shot.start != at or shot.end <= shot.start:
                raise InvalidArgument(f"shot {i} ({shot.start}:{shot.end}) does not follow on from frame {at}",
                                      field=f"{field}.shots[{i}]")
            if shot.status and shot.status not in STATUSES:
                raise InvalidArgument(f"status {shown(shot.status)}; expected one of {', '.join(STATUSES)}",
                                      field=f"{field}.shots[{i}].status")
            if shot.frame is not None and shot.frame not in shot.frame_range:
                raise InvalidArgument(f"mask frame {shot.frame} is outside the shot {shot.start}:{shot.end}",
                                      field=f"{field}.shots[{i}].frame")
            at = shot.end
        if at != self.end:
            raise InvalidArgument(f"the shots end at frame {at}, the plan's range at {self.end}", field=field)

    def mask_path(self, shot: Shot) -> Path | None:
        if shot.mask is None:
            return None
        p = Path(shot.mask)
        return p if p.is_absolute() or self.path is None else self.path.parent / p

    def read_mask(self, shot: Shot) -> np.ndarray:
        path = self.mask_path(shot)
        if path is None:
            raise InvalidArgument(f"shot {shot.index} has no mask", field=f"plan.shots[{shot.index}].mask")
        if not path.is_file():
            raise InvalidArgument(f"shot {shot.index}'s mask {shown(str(path))} does not exist",
                                  field=f"plan.shots[{shot.index}].mask")
        return read_mask(path, field=f"plan.shots[{shot.index}].mask")

    # -- the editor's decisions ----------------------------------------------------------------
    def shot(self, index: int, *, field: str = "shot") -> Shot:
        if not 0 <= index < len(self.shots):
            raise InvalidArgument(f"no shot {index}; the plan has shots 0 to {len(self.shots) - 1}", field=field)
        return self.shots[index]

    def decide(self, index: int, status: str, *, mask: Path | None = None) -> Shot:
        """accept / reject a proposal, or correct it with the editor's own mask image."""
        shot = self.shot(index)
        if status not in ("accepted", "rejected", "corrected"):
            raise InvalidArgument(f"expected accepted, rejected or corrected, got {shown(status)}", field="status")
        if shot.status == "reference" and status != "corrected":
            raise InvalidArgument(f"shot {index} is the reference shot: the editor's own mask", field="shot")
        if status == "corrected":
            if mask is None:
                raise InvalidArgument("a correction needs the corrected mask image", field="mask")
            shot.mask = self._relative(Path(mask))
            shot.method = "editor"
            if shot.frame is None:
                shot.frame = (shot.start + shot.end) // 2
        elif status == "accepted" and shot.mask is None:
            raise InvalidArgument(f"shot {index} has no proposed mask to accept; correct it with a mask instead",
                                  field="shot")
        shot.status = "reference" if shot.status == "reference" else status
        return shot

    def applied(self) -> list[Shot]:
        return [s for s in self.shots if s.status in APPLIED and s.mask is not None]

    def _relative(self, p: Path) -> str:
        p = p.absolute()
        if self.path is not None:
            try:
                return os.path.relpath(p, self.path.parent.absolute())
            except ValueError:  # another drive (Windows)
                pass
        return str(p)


def plan_from(shots: ShotList, source: Path) -> ShotPlan:
    kinds = {b.frame: b.kind for b in shots.boundaries}
    return ShotPlan(
        source=str(Path(source).absolute()), start=shots.frame_range.start, end=shots.frame_range.end,
        shots=[Shot(i, r.start, r.end, begins=kinds.get(r.start, "start")) for i, r in enumerate(shots.shots)],
    )


def find_shots(
    source: Path,
    frame_range: FrameRange | None = None,
    *,
    sensitivity: float = 1.0,
    add: tuple[int, ...] = (),
    remove: tuple[int, ...] = (),
    progress: Callable[[str, int, int], None] = lambda stage, done, total: None,
    check_cancelled: Callable[[], None] = lambda: None,
) -> tuple[ShotPlan, tuple[Boundary, ...]]:
    """Detects the shots of `source` (in `frame_range`, default all) and applies the editor's corrections.

    Returns the plan and the boundaries (with their kind and score, which the plan keeps only as
    each shot's `begins`)."""
    if not sensitivity > 0:
        raise InvalidArgument(f"expected a positive sensitivity, got {sensitivity}", field="sensitivity")
    info = probe(source)
    frame_range = (frame_range or FrameRange(0, info.frame_count)).within(info.frame_count)
    with FrameReader(info) as reader:
        found = detect_shots(reader.frames(frame_range), frame_range, sensitivity=sensitivity,
                             progress=progress, check_cancelled=check_cancelled)
    found = found.corrected(add, remove)
    return plan_from(found, source), found.boundaries


def propose_masks(
    plan: ShotPlan,
    reference_mask: Path,
    reference_frame: int,
    out_dir: Path,
    *,
    matcher: str = "auto",
    progress: Callable[[str, int, int], None] = lambda stage, done, total: None,
    check_cancelled: Callable[[], None] = lambda: None,
) -> ShotPlan:
    """The object of `reference_mask` (on `reference_frame`) looked for in every other shot.

    Writes `out_dir/shot-NN.png` per shot (the reference shot's is the editor's mask, copied) and
    marks each `proposed` (or `reference`); returns the plan (the caller saves it)."""
    info = probe(plan.source)
    if reference_frame not in FrameRange(plan.start, plan.end):
        raise InvalidArgument(f"frame {reference_frame} is outside the plan's range {plan.start}:{plan.end}",
                              field="mask_frame")
    ref_mask = read_mask(Path(reference_mask), field="mask")
    if ref_mask.shape != (info.height, info.width):
        raise InvalidArgument(f"mask is {ref_mask.shape[1]}x{ref_mask.shape[0]}, the source is "
                              f"{info.width}x{info.height}", field="mask")
    if not (ref_mask > 127).any():
        raise InvalidArgument("the reference mask is empty: nothing to look for", field="mask")
    found = make_matcher(matcher)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with FrameReader(info) as reader:
        reference = reader.frame(reference_frame)
        ref_shot = next(s for s in plan.shots if reference_frame in s.frame_range)
        for n, shot in enumerate(plan.shots):
            check_cancelled()
            path = out_dir / f"shot-{shot.index:02d}.png"
            if shot is ref_shot:
                mask, score, method, frame, status = ref_mask, 1.0, "editor", reference_frame, "reference"
            else:
                frame = (shot.start + shot.end) // 2
                got = found.find(reference, ref_mask, reader.frame(frame))
                mask, score, method, status = got.mask, got.score, got.method, "proposed"
            write_png_atomically(path, np.where(mask > 127, 255, 0).astype(np.uint8))
            shot.frame, shot.score, shot.method, shot.status = frame, float(score), method, status
            shot.mask = plan._relative(path)
            progress("shots: match", n + 1, len(plan.shots))
    return plan


