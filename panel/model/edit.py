"""Op parameters and the EditRequest, built only from what the engine's capabilities say.

No op name or parameter is written here: a ParamSpec's type, choices, range and exclusive
group decide the control and the value's proto field, so a new op needs no panel change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from retakes.bridge.clipref import ClipRef
from retakes.v1 import engine_pb2 as pb

NUMBER, INTEGER, BOOL = pb.PARAM_TYPE_NUMBER, pb.PARAM_TYPE_INTEGER, pb.PARAM_TYPE_BOOL
TEXT, CHOICE, COLOR, PATH = pb.PARAM_TYPE_TEXT, pb.PARAM_TYPE_CHOICE, pb.PARAM_TYPE_COLOR, pb.PARAM_TYPE_PATH
# Params the panel fills itself from the mask tools, so they get no control of their own.
PANEL_OWNED = {"mask_frame"}


def default_of(spec: pb.ParamSpec) -> Any:
    kind = spec.default_value.WhichOneof("kind")
    return getattr(spec.default_value, kind) if kind else None


def to_value(spec: pb.ParamSpec, value: Any) -> pb.ParamValue:
    if spec.type == NUMBER:
        return pb.ParamValue(number_value=float(value))
    if spec.type == INTEGER:
        return pb.ParamValue(int_value=int(value))
    if spec.type == BOOL:
        return pb.ParamValue(bool_value=bool(value))
    return pb.ParamValue(text_value=str(value))


def groups(op: pb.OpDescriptor) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for spec in op.params:
        if spec.exclusive_group:
            out.setdefault(spec.exclusive_group, []).append(spec.name)
    return out


@dataclass(frozen=True)
class BackendState:
    """A learned backend of an op as the engine's capabilities say: ready, or what it needs."""

    ready: bool
    state: str  # "ready (NAME)" or "needs weights: retakes models pull NAME ..."


def backend_states(caps: pb.Capabilities | None) -> dict[tuple[str, str], BackendState]:
    return {} if caps is None else {(b.op, b.backend): BackendState(b.ready, b.state) for b in caps.learned}


@dataclass
class OpChoice:
    """The op the editor picked and the values set on its controls (None: not given)."""

    op: pb.OpDescriptor
    values: dict[str, Any] = field(default_factory=dict)
    chosen: dict[str, str] = field(default_factory=dict)  # exclusive group -> param in use
    #: (op, backend) -> state, from the capabilities (`backend_states`)
    learned: dict[tuple[str, str], BackendState] = field(default_factory=dict)

    def generative(self) -> BackendState | None:
        """The state of the generative backend when the choice uses it: `--backend generative`, or,
        for an op without a backend switch (replace, restyle), a prompt given. None: it does not."""
        state = self.learned.get((self.op.name, "generative"))
        if state is None:
            return None
        has_switch = any(p.name == "backend" for p in self.op.params)
        uses = self.values.get("backend") == "generative" if has_switch else "prompt" in self.params()
        return state if uses else None

    def problems(self, has_mask: bool, has_keyframes: bool = False) -> list[str]:
        """What stops this op from running, in plain words (empty: ready)."""
        out = []
        state = self.generative()
        if state is not None and not state.ready:
            out.append(f"{self.op.name} (generative) {state.state}")
        if self.op.uses_keyframes and not has_keyframes:
            out.append(f"{self.op.name} needs an edited frame: export this frame, edit it, then load it back")
        if self.op.mask == pb.MASK_USE_REQUIRED and not has_mask:
            out.append(f"{self.op.name} needs a mask: paint one on the frame first")
        for spec in self.op.params:
            if spec.name in PANEL_OWNED or spec.exclusive_group:
                continue
            if spec.required and self.values.get(spec.name) in (None, ""):
                out.append(f"set {spec.name.replace('_', ' ')}")
        for group, names in groups(self.op).items():
            name = self.chosen.get(group, names[0])
            if self.values.get(name) in (None, ""):
                out.append(f"set {' or '.join(n.replace('_', ' ') for n in names)}")
        return out

    def params(self) -> dict[str, pb.ParamValue]:
        out = {}
        excluded = {n for g, names in groups(self.op).items() for n in names if n != self.chosen.get(g, names[0])}
        for spec in self.op.params:
            value = self.values.get(spec.name)
            if spec.name in excluded or spec.name in PANEL_OWNED or value in (None, ""):
                continue
            out[spec.name] = to_value(spec, value)
        return out

    def plain_params(self) -> dict[str, Any]:
        """The params as JSON-able values (for the version store and the queue)."""
        return {k: getattr(v, v.WhichOneof("kind")) for k, v in self.params().items()}


def edit_request(clip: ClipRef, op: str, params: dict[str, pb.ParamValue], *, output_path: str = "",
                 mask_path: str = "", mask_frame: int | None = None, seed: int = 0,
                 keyframes: dict[int, str] | None = None) -> pb.EditRequest:
    """The clip's exact source range (with its handles) as an EditRequest.

    `keyframes`: source frame -> edited image, for ops that use them (frames are media
    indices, like `mask_frame` and the range, never offsets into the clip).
    """
    rendered = clip.range_with_handles
    request = pb.EditRequest(
        source=pb.MediaRef(path=clip.media_path), output_path=output_path, op=op,
        range=pb.RangeSpec(frames=pb.FrameRange(start=rendered.start, end=rendered.end)), seed=seed,
    )
    if Path(clip.media_path).is_dir():
        request.sequence_rate = str(clip.source_rate)
        if clip.source_timebase is not None:
            request.sequence_start_timecode = clip.source_timebase.timecode_of(0)
    if mask_path:
        request.mask.path = mask_path
        if mask_frame is not None and not Path(mask_path).is_dir():
            request.mask_frame = mask_frame
    for frame, path in sorted((keyframes or {}).items()):
        request.keyframes.add(frame=frame, edited=pb.MediaRef(path=path))
    for name, value in params.items():
        request.params[name].CopyFrom(value)
    return request
