"""Conversions between the engine's Python objects and the `retakes.v1` messages, in one place."""

from __future__ import annotations

from google.protobuf.timestamp_pb2 import Timestamp

from ...v1 import engine_pb2
from ..errors import InvalidArgument
from ..jobs import JobRecord
from ..ops.base import MaskUse, OpSpec, ParamType
from ..webhooks import without_secret

_MASK_USE = {
    MaskUse.NONE: engine_pb2.MASK_USE_NONE,
    MaskUse.OPTIONAL: engine_pb2.MASK_USE_OPTIONAL,
    MaskUse.REQUIRED: engine_pb2.MASK_USE_REQUIRED,
}
_PARAM_TYPE = {t: engine_pb2.ParamType.Value(f"PARAM_TYPE_{t.name}") for t in ParamType}


def param_value(value: object) -> engine_pb2.ParamValue:
    """A Python value (or a ParamValue, passed through) as the proto's ParamValue."""
    if isinstance(value, engine_pb2.ParamValue):
        return value
    if isinstance(value, bool):  # before int: bool is an int in Python
        return engine_pb2.ParamValue(bool_value=value)
    if isinstance(value, int):
        return engine_pb2.ParamValue(int_value=value)
    if isinstance(value, float):
        return engine_pb2.ParamValue(number_value=value)
    return engine_pb2.ParamValue(text_value=str(value))


def op_descriptor(spec: OpSpec) -> engine_pb2.OpDescriptor:
    desc = engine_pb2.OpDescriptor(
        name=spec.name, summary=spec.summary, mask=_MASK_USE[spec.mask],
        uses_keyframes=spec.uses_keyframes, temporal=spec.temporal, gpu=spec.gpu,
    )
    for p in spec.params:
        param = desc.params.add(name=p.name, type=_PARAM_TYPE[p.type], help=p.help, required=p.required,
                                choices=list(p.choices), unit=p.unit, exclusive_group=p.exclusive_group)
        if p.default is not None:
            param.default_value.CopyFrom(param_value(p.default))
        if p.minimum is not None:
            param.minimum = p.minimum
        if p.maximum is not None:
            param.maximum = p.maximum
    return desc


def _timestamp(seconds: float) -> Timestamp:
    ts = Timestamp()
    ts.FromNanoseconds(int(seconds * 1e9))
    return ts


def job_message(record: JobRecord) -> engine_pb2.Job:
    job = engine_pb2.Job(
        id=record.id,
        # the webhook's secret stays in the engine's private job store
        request=without_secret(engine_pb2.EditRequest.FromString(record.request)),
        state=engine_pb2.JobState.Value(f"JOB_STATE_{record.state.name}"),
        progress=engine_pb2.Progress(
            stage=record.stage or "", frames_done=record.frames_done or 0, frames_total=record.frames_total or 0,
            eta_seconds=-1.0 if record.eta_seconds is None else record.eta_seconds,
            frames_per_second=record.fps or 0.0,
        ),
        created_at=_timestamp(record.created_at),
        updated_at=_timestamp(record.updated_at),
        attempts=record.attempts,
    )
    if record.result:
        job.result.ParseFromString(record.result)
    if record.error_code:
        from google.rpc import code_pb2

        job.error.code = code_pb2.Code.Value(record.error_code)
        job.error.message = record.error_message or ""
        job.error.field = record.error_field or ""
    return job


def job_state_name(state: int) -> str:
    """JOB_STATE_RUNNING -> "RUNNING" (the store's spelling); a number the enum lacks (a newer
    client's, or a hand-made request's) is refused naming `states`."""
    if state not in engine_pb2.JobState.values() or state == engine_pb2.JOB_STATE_UNSPECIFIED:
        names = ", ".join(f"{n} ({v})" for n, v in engine_pb2.JobState.items() if v)
        raise InvalidArgument(f"unknown job state {state}; the states are {names}", field="states")
    return engine_pb2.JobState.Name(state).removeprefix("JOB_STATE_")
