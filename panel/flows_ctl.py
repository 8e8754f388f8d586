"""Batch variants (the Variants tab) and frame fixing (Versions > Fix In–Out) from the panel.

Both build the same `EditRequest` the command line does (`variants`, `fix`) and go through the
jobs controller's submit, queue and recording: a batch records one version per variant, a fix
one version whose parent is the version it fixed.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from retakes.engine.timecode import FrameRange
from retakes.v1 import engine_pb2 as pb

from .host import Host
from .jobs import JobsController, next_output
from .model import clips
from .model.edit import to_value
from .model.queue import QueueEntry
from .versions_ctl import VersionsController


class FlowsController:
    def __init__(self, host: Host, jobs: JobsController, versions: VersionsController) -> None:
        self.host, self.jobs, self.versions = host, jobs, versions
        self.window = host.window
        self.window.variants.generate_requested.connect(self.generate_variants)
        self.window.versions.fix_requested.connect(self.fix)
        self.window.edit.ops.changed.connect(lambda: self.window.variants.set_op(self.window.edit.ops.op))

    # ---- batch variants
    def generate_variants(self) -> None:
        if not self.jobs._guard("generate variants"):
            return
        choice = self.window.edit.ops.choice()
        rows = self.window.variants.rows()
        if choice is None or not rows:
            self.host.error("Add a row to the Variants table for each variant first.")
            return
        specs = {p.name: p for p in choice.op.params}
        variants: list[tuple[str, dict[str, pb.ParamValue]]] = []
        try:
            for name, cells in rows:
                variants.append((name, {k: to_value(specs[k], v) for k, v in cells.items()}))
        except (KeyError, ValueError) as error:
            self.host.error(f"A variant's value is not what its parameter takes: {error}")
            return
        if len({name for name, _ in variants}) != len(variants):
            self.host.error("Two variants have the same name; each names its version.")
            return
        base = choice.params()
        # "set color or hue" is no problem here when the rows set it (the engine checks each variant)
        problems = [p for p in choice.problems(self.host.session.mask_keyframe() is not None,
                                               bool(self.host.session.edited)) if not p.startswith("set ")]
        problems += self.jobs._range_problems(choice)
        if problems:
            self.host.error("Can't generate yet: " + "; ".join(problems) + ".")
            return
        s = self.host.session
        preset = self.host.export_preset()
        keyframes = self.jobs._keyframes(choice.op)
        clip = s.render_clip()
        request, mask_file = self.jobs._request(choice.op.name, base, keyframes=keyframes, clip=clip)
        request.codec = preset.codec
        params = choice.plain_params()
        entry = QueueEntry("", s.clip.name, choice.op.name, clip_json=clips.clip_to_json(clip), params=params)
        for name, values in variants:
            variant = request.variants.add(name=name)
            for key, value in values.items():
                variant.params[key].CopyFrom(value)
            plain = {k: getattr(v, v.WhichOneof("kind")) for k, v in values.items()}
            # a variant's choice in an exclusive group (color) replaces the panel's (hue) in its lineage
            dropped = {o.name for k in values for o in choice.op.params
                       if o.exclusive_group and o.name != k
                       and o.exclusive_group == specs[k].exclusive_group}
            entry.variants.append({"name": name, "output_path": "", "params": plain, "drop": sorted(dropped)})
        root, claimed = self.host.settings.versions_root, self.jobs._claimed
        claimed.update(e.output_path for e in self.jobs.queue.entries)

        def outputs() -> str:
            for variant, meta in zip(request.variants, entry.variants, strict=True):
                variant.output_path = meta["output_path"] = str(next_output(root, clip, claimed, preset.container))
            return ""
        self.jobs._submit(request, mask_file, entry, outputs)

    # ---- frame fixing
    def fix(self, version_id: int) -> None:
        s = self.host.session
        version = self.versions.by_id(version_id)
        if s is None or version is None or not self.jobs._guard("fix frames"):
            return
        if s.mark_in is None and s.mark_out is None:
            self.host.error("Mark In and Out (I, O) around the frames to fix first.")
            return
        choice = self.window.edit.ops.choice()
        if choice is None or choice.op.name != version.op:
            self.host.error(f"{version.label} was made by {version.op}: pick {version.op} and set its new values.")
            return
        first = version.source_start - version.handle_head
        made = FrameRange(first, first + version.output_frames)
        r = s.render_range()
        if not (made.start <= r.start < r.end <= made.end):
            self.host.error(f"In–Out must lie inside {version.label}'s frames "
                            f"({self.host.timecode(made.start)} to {self.host.timecode(made.end - 1)}).")
            return
        clip = s.clip if (version.source_start, version.source_end) == (s.clip.source_range.start,
                                                                       s.clip.source_range.end) else _part(s.clip, made)
        # the version's range with the session's mask and edited frames, as Generate sends them, and
        # the op panel's values: the fixed frames are what Generate would render with them now
        request, mask_file = self.jobs._request(version.op, choice.params(), keyframes=self.jobs._keyframes(choice.op),
                                                clip=clip)
        request.seed = version.seed
        request.fix.base.path = version.output_path
        request.fix.frames.CopyFrom(pb.FrameRange(start=r.start, end=r.end))
        params = {**version.params, **choice.plain_params(), "fixed_frames": f"{r.start}:{r.end}"}
        entry = QueueEntry("", s.clip.name, version.op, clip_json=clips.clip_to_json(clip), params=params,
                           seed=version.seed, fix_of=version.id)
        root, claimed = self.host.settings.versions_root, self.jobs._claimed
        suffix = Path(version.output_path).suffix
        self.jobs._submit(request, mask_file, entry, lambda: next_output(root, clip, claimed, suffix))


def _part(clip: Any, frames: FrameRange) -> Any:
    record = clip.placement.record
    offset = record.start - clip.source_range.start
    return replace(clip, source_range=frames, handles=(0, 0),
                   placement=replace(clip.placement, record=FrameRange(frames.start + offset, frames.end + offset)))
