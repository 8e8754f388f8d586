"""Batch variants: one job, N parameter sets of one op, the analysis run once.

A request with `variants` stands for N requests, each the request with the variant's params
merged in and its own output (`variant_requests`): each is planned, validated and rendered
exactly as a job of its own would be, which is why every variant's output is byte-identical to
that job's. What they share is the op's analysis folder (tracked masks, flow chains): ops keep
their analysis in `ctx.workdir` and reuse what they find there, so the second variant on finds
the first one's. Variants share a folder only when the params the analysis reads
(`OpSpec.analysis_params`) agree; an op that does not say which it reads shares nothing.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from ..v1 import engine_pb2
from .errors import InvalidArgument, shown
from .plan import EditPlan
from .render import JobHooks, RenderResult, render_plan

#: chunk indices of variant i are recorded in the job store from i * CHUNK_BASE
CHUNK_BASE = 1_000_000
#: more variants than this in one job is a mistake, not a batch (each is a full render)
MAX_VARIANTS = 1000


def variant_name(variant: engine_pb2.Variant, index: int) -> str:
    return variant.name or f"{index + 1:02d}"


def variant_requests(request: engine_pb2.EditRequest) -> list[engine_pb2.EditRequest]:
    """The job of its own each variant stands for; raises InvalidArgument naming `variants[i]`."""
    if len(request.variants) > MAX_VARIANTS:
        raise InvalidArgument(f"at most {MAX_VARIANTS} variants in one job, got {len(request.variants)}",
                              field="variants")
    if request.HasField("fix"):
        raise InvalidArgument("a fix re-renders one version; it takes no variants", field="variants")
    names: set[str] = set()
    out = []
    for i, variant in enumerate(request.variants):
        name = variant_name(variant, i)
        if name in names:
            raise InvalidArgument(f"two variants are named {shown(name)}", field=f"variants[{i}].name")
        names.add(name)
        if not variant.output_path:
            raise InvalidArgument("expected the variant's output path", field=f"variants[{i}].output_path")
        single = engine_pb2.EditRequest()
        single.CopyFrom(request)
        single.ClearField("variants")
        single.ClearField("webhook")  # told once, for the whole job
        single.output_path = variant.output_path
        for key in variant.params:  # a variant choosing one of an exclusive group (color) drops the others (hue)
            for other in alternatives(request.op, key):
                if other not in variant.params:
                    single.params.pop(other, None)
        for key, value in variant.params.items():
            single.params[key].CopyFrom(value)
        out.append(single)
    return out


def alternatives(op: str, name: str) -> list[str]:
    """The params of `op` that exclude `name` (its exclusive group's other members)."""
    from .ops import REGISTRY

    cls = REGISTRY.get(op)
    group = next((p.exclusive_group for p in cls.spec.params if p.name == name), "") if cls else ""
    return [p.name for p in cls.spec.params if group and p.exclusive_group == group and p.name != name] if cls else []


def relabel(error: InvalidArgument, index: int) -> InvalidArgument:
    """A variant's planning error, naming the variant's field (params, output) where it is one."""
    field = error.field or ""
    if field.startswith("params.") or field == "output_path":
        return InvalidArgument(error.message, field=f"variants[{index}].{field}")
    return error


class _VariantHooks(JobHooks):
    """One variant's view of the job: its chunks numbered apart from the others', its
    progress counted in the frames of the whole batch."""

    def __init__(self, hooks: JobHooks, index: int, count: int, frames_each: int) -> None:
        self._hooks, self._index, self._count, self._frames = hooks, index, count, frames_each
        self._base = index * CHUNK_BASE

    def report(self, stage: str, done: int, total: int) -> None:
        if stage in ("render", "finalize"):
            self._hooks.report(stage, self._index * self._frames + done, self._count * self._frames)
        else:
            self._hooks.report(stage, done, total)

    def check_cancelled(self) -> None:
        self._hooks.check_cancelled()

    def record_chunk(self, index: int, path: str, sha256: str, frames: int) -> None:
        self._hooks.record_chunk(self._base + index, path, sha256, frames)

    def finished_chunks(self) -> dict[int, str]:
        return {k - self._base: v for k, v in self._hooks.finished_chunks().items()
                if self._base <= k < self._base + CHUNK_BASE}


def render_variants(plans: list[EditPlan], workdir: Path, hooks: JobHooks,
                    render: Callable[..., RenderResult] = render_plan, **options) -> list[RenderResult]:
    """Renders each variant's plan in turn, sharing the analysis between those that can."""
    results = []
    for i, plan in enumerate(plans):
        key = plan.op.spec.analysis_key(plan.params)
        variant_hooks = _VariantHooks(hooks, i, len(plans), len(plan.frame_range))
        results.append(render(plan, workdir / f"variant-{i:04d}", variant_hooks, op_dir=workdir / f"analysis-{key}",
                              **options))
    shutil.rmtree(workdir, ignore_errors=True)  # the shared analyses, once every variant is written
    return results
