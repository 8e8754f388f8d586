"""What an edit operation is, and what the engine hands it.

An op is a small pipeline in the diffusers sense: it is described by an `OpSpec` (which
the engine publishes as capabilities, so the panel builds its controls without knowing
the op), validated once, optionally `prepare`d over the whole range (temporal ops:
tracking, propagation, removal analyse many frames first and keep what they learn in
`ctx.workdir`, so a resumed job does not analyse again), then asked to `render` frames
one at a time, in order, chunk by chunk.

Frames are RGB `numpy` arrays, `uint8` for 8-bit sources and `uint16` for deeper ones,
shape (H, W, 3). Masks are `uint8` (H, W), 255 where the editor wants a change.
The invariant every op keeps (DESIGN.md, invariant 1): wherever the op's own alpha is
zero, the returned pixel is the source pixel, bit for bit. `composite` does that.
"""

from __future__ import annotations

import abc
import math
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

import numpy as np

from ..errors import InvalidArgument, shown
from ..timecode import FrameRange

if TYPE_CHECKING:
    from ..vision.tracker import TrackingReport


class MaskUse(Enum):
    NONE = "none"
    OPTIONAL = "optional"
    REQUIRED = "required"


#: The integers a parameter takes: frame indices, pixel sizes and iteration counts, which the
#: libraries an op hands them to (OpenCV, FFmpeg) hold in 32 bits.
INT_RANGE = (-(2**31), 2**31 - 1)


class ParamType(Enum):
    NUMBER = "number"
    INTEGER = "integer"
    BOOL = "bool"
    TEXT = "text"
    CHOICE = "choice"
    COLOR = "color"  # "#RRGGBB"
    PATH = "path"


@dataclass(frozen=True)
class ParamSpec:
    name: str
    type: ParamType
    help: str
    default: Any = None
    required: bool = False
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    unit: str = ""
    #: Params sharing a group are alternatives; exactly one of them must be given.
    exclusive_group: str = ""

    def coerce(self, value: Any) -> Any:
        """Checks and converts one user-given value; raises InvalidArgument naming the param."""
        where = f"params.{self.name}"
        try:
            if self.type is ParamType.NUMBER:
                value = float(value)
                if not math.isfinite(value):
                    # NaN passes every min/max comparison, and an infinity every one-sided bound
                    raise InvalidArgument(f"expected a finite number, got {value}", field=where)
            elif self.type is ParamType.INTEGER:
                if isinstance(value, float) and not value.is_integer():
                    raise ValueError
                value = int(value)
                if not INT_RANGE[0] <= value <= INT_RANGE[1]:
                    raise InvalidArgument(
                        f"expected an integer between {INT_RANGE[0]} and {INT_RANGE[1]}, got {shown(value)}",
                        field=where,
                    )
            elif self.type is ParamType.BOOL:
                if isinstance(value, str):
                    if value.lower() not in ("true", "false", "1", "0", "yes", "no"):
                        raise ValueError
                    value = value.lower() in ("true", "1", "yes")
                value = bool(value)
            else:
                value = str(value)
        except InvalidArgument:
            raise
        except (TypeError, ValueError, OverflowError):
            raise InvalidArgument(f"expected {self.type.value}, got {shown(value)}", field=where) from None
        if isinstance(value, str) and "\0" in value:
            raise InvalidArgument(f"expected {self.type.value} without a NUL character, got {shown(value)}",
                                  field=where)
        if self.type is ParamType.CHOICE and value not in self.choices:
            raise InvalidArgument(f"expected one of {', '.join(self.choices)}; got {shown(value)}", field=where)
        if self.type is ParamType.COLOR:
            value = parse_color(value, field=where) and value.upper()
        if self.minimum is not None and value < self.minimum:
            raise InvalidArgument(f"must be >= {self.minimum:g}{self.unit}, got {value}", field=where)
        if self.maximum is not None and value > self.maximum:
            raise InvalidArgument(f"must be <= {self.maximum:g}{self.unit}, got {value}", field=where)
        return value


@dataclass(frozen=True)
class OpSpec:
    name: str
    summary: str
    params: tuple[ParamSpec, ...] = ()
    mask: MaskUse = MaskUse.NONE
    uses_keyframes: bool = False
    #: With `uses_keyframes`: the keyframes are one way of giving the edit among others (its
    #: params are another), so a request without any is not refused at submit.
    keyframes_optional: bool = False
    #: Looks at other frames than the one it writes (needs `prepare`).
    temporal: bool = False
    #: Has a torch path for its per-frame work, taken on the job's GPU. False: it runs on the
    #: CPU whatever device was asked for, and the plan says so (what previews report).
    gpu: bool = True
    #: Its output is a mask per frame (white = object), written as a matte: 8-bit grayscale
    #: PNGs for a folder, a gray matte for a video (engine.media.SegmentWriter).
    writes_mask: bool = False
    #: The params the op's analysis (`prepare`/`start_analysis`, and the tracking of its mask
    #: images) depends on. Batch variants whose values of these agree share one analysis
    #: (engine.batch); None, the safe default: every param, so only identical variants share.
    analysis_params: tuple[str, ...] | None = None

    def analysis_key(self, params: Mapping[str, Any]) -> str:
        """A name for the analysis `params` need: equal for variants that can share one."""
        import hashlib
        import json

        names = sorted(params) if self.analysis_params is None else sorted(self.analysis_params)
        text = json.dumps({n: params.get(n) for n in names}, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def param(self, name: str) -> ParamSpec:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)

    def validate_params(self, given: Mapping[str, Any]) -> dict[str, Any]:
        """Returns the complete parameter dict (defaults filled in) or raises InvalidArgument."""
        known = {p.name: p for p in self.params}
        unknown = sorted(set(given) - set(known))
        if unknown:
            raise InvalidArgument(
                f"op {self.name!r} has no parameter {shown(unknown[0])}; it takes: {', '.join(known) or 'none'}",
                field=f"params.{unknown[0]}",
            )
        out: dict[str, Any] = {}
        for p in self.params:
            if p.name in given and given[p.name] is not None:
                out[p.name] = p.coerce(given[p.name])
            elif p.required:
                raise InvalidArgument(f"op {self.name!r} needs --{p.name.replace('_', '-')}", field=f"params.{p.name}")
            else:
                out[p.name] = p.default
        groups: dict[str, list[str]] = {}
        for p in self.params:
            if p.exclusive_group:
                groups.setdefault(p.exclusive_group, []).append(p.name)
        for names in groups.values():
            chosen = [n for n in names if given.get(n) is not None]
            if len(chosen) != 1:
                flags = " or ".join(f"--{n}" for n in names)
                what = "both" if len(chosen) > 1 else "neither"
                raise InvalidArgument(
                    f"op {self.name!r} needs exactly one of {flags} ({what} given)", field=f"params.{names[0]}"
                )
        return out


class MaskProvider(Protocol):
    """Per-frame masks for the edited range (engine.media.masks implements it)."""

    def mask(self, frame: int) -> np.ndarray:
        """uint8 (H, W) mask of source frame `frame`, 255 = change."""
        ...


class FrameSource(Protocol):
    """Random and sequential access to the source's decoded frames."""

    @property
    def frame_range(self) -> FrameRange: ...

    def frame(self, index: int) -> np.ndarray: ...

    def frames(self, frames: FrameRange) -> Iterator[tuple[int, np.ndarray]]: ...


@dataclass
class EditContext:
    """Everything an op may use. Built by the engine's runner (or a test) per job."""

    source: FrameSource
    frame_range: FrameRange
    params: dict[str, Any]
    masks: MaskProvider | None = None
    #: Editor's edited frames, by source frame index (RGB, same dtype/shape as the source).
    keyframes: dict[int, np.ndarray] = field(default_factory=dict)
    #: "cpu" or a torch device string such as "cuda:0".
    device: str = "cpu"
    #: Persistent scratch space for this job: survives an engine restart.
    workdir: Path | None = None
    seed: int = 0
    #: progress(stage, done, total)
    progress: Callable[[str, int, int], None] = lambda stage, done, total: None
    #: Raises engine.errors.Cancelled when the user cancelled; call it between frames.
    check_cancelled: Callable[[], None] = lambda: None


@dataclass(frozen=True)
class OpReport:
    """What a finished op tells the editor: notes beside the `wrote` line (JobResult.notes) and,
    when it tracked a mask, the tracker's confidence per frame (JobResult.tracking)."""

    notes: tuple[str, ...] = ()
    tracking: TrackingReport | None = None

    @classmethod
    def of(cls, tracking: TrackingReport | None, *notes: str) -> OpReport:
        lost = tracking.note() if tracking is not None else None
        return cls((*notes, lost) if lost else tuple(notes), tracking)


class Op(abc.ABC):
    """Base of every edit operation. Subclasses set `spec` and implement `render`."""

    spec: ClassVar[OpSpec]

    @classmethod
    def check_params(cls, params: dict[str, Any]) -> None:
        """Checks at submit that need more than the spec (a learned backend's weights); raises
        a RetakesError naming the param."""
        return

    def prepare(self, ctx: EditContext) -> None:  # noqa: B027 - optional hook
        """Analysis over the whole range before rendering (temporal ops). Must be resumable:
        results written to `ctx.workdir` are reused when present."""

    def start_analysis(self, ctx: EditContext) -> Callable[[], None] | None:
        """Streaming alternative to `prepare`, for ops whose analysis finishes frame by frame.

        Does the quick part of the analysis and returns the long part as a callable, which
        the engine runs on its own thread while it renders; a frame may be rendered once
        `analysed(index)` is true. Every instance rendering the job calls this; only one
        runs what it returns (the others find the results in `ctx.workdir`). None (the
        default): this op cannot stream; the engine calls `prepare` instead.
        """
        return None

    def analysed(self, index: int) -> bool:
        """Whether frame `index` can be rendered yet (after `start_analysis`); cheap to call."""
        return True

    @abc.abstractmethod
    def render(self, index: int, frame: np.ndarray, ctx: EditContext) -> np.ndarray:
        """Returns the edited frame `index` (same shape and dtype as `frame`)."""

    def report(self, ctx: EditContext) -> OpReport:
        """Asked once the whole range is rendered (and after a resumed job's read-back, so it
        reads what the analysis kept in `ctx.workdir`). Default: the report of the masks
        tracked for this op from the editor's mask images, if any were."""
        report = getattr(ctx.masks, "report", None)
        return OpReport.of(report() if report is not None else None)

    def scratch_dir(self, ctx: EditContext) -> Path:
        """Where `prepare` keeps its analysis: the job's workdir (which survives a restart),
        or, for a preview that has none, a temporary folder that lives as long as the op."""
        if ctx.workdir is not None:
            return Path(ctx.workdir)
        if getattr(self, "_scratch", None) is None:
            self._scratch = tempfile.TemporaryDirectory(prefix=f"retakes-{self.spec.name}-")
        return Path(self._scratch.name)


def parse_color(text: str, *, field: str = "params.color") -> tuple[int, int, int]:
    """'#RRGGBB' -> (r, g, b) in 0..255."""
    t = str(text).strip()
    if len(t) != 7 or t[0] != "#":
        raise InvalidArgument(f"expected a colour like '#FF8800', got {shown(text)}", field=field)
    try:
        return int(t[1:3], 16), int(t[3:5], 16), int(t[5:7], 16)
    except ValueError:
        raise InvalidArgument(f"expected a colour like '#FF8800', got {shown(text)}", field=field) from None


def max_value(frame: np.ndarray) -> float:
    """Full-scale value of a frame's dtype (255 for uint8, 65535 for uint16)."""
    return float(np.iinfo(frame.dtype).max)


def composite(source: np.ndarray, edited: np.ndarray, alpha: np.ndarray | None) -> np.ndarray:
    """Blends `edited` (float, 0..1 of full scale) over `source` by `alpha` (float HxW, 0..1).

    Wherever alpha == 0 the source pixel is returned untouched (invariant 1): the blend is
    computed only inside the region and written into a copy of the source.
    """
    full = max_value(source)
    out_full = np.clip(np.rint(edited * full), 0, full).astype(source.dtype)
    if alpha is None:
        return out_full
    out = source.copy()
    inside = alpha > 0
    if not inside.any():
        return out
    a = alpha[inside][:, None].astype(np.float32)
    blended = source[inside].astype(np.float32) * (1.0 - a) + out_full[inside].astype(np.float32) * a
    out[inside] = np.clip(np.rint(blended), 0, full).astype(source.dtype)
    return out
