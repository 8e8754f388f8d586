"""JobRecord to `retakes.v1.Job`, for the servicer (kept here so the store stays free
of protobuf and the mapping is tested next to the record it reads)."""

from __future__ import annotations

import grpc
from google.protobuf.timestamp_pb2 import Timestamp
from retakes.v1 import engine_pb2

from .store import JobRecord, JobState


def rpc_code(name: str) -> int:
    """A google.rpc.Code name ("INVALID_ARGUMENT", as RetakesError.code) to its number."""
    try:
        return grpc.StatusCode[name].value[0]
    except KeyError:
        return grpc.StatusCode.INTERNAL.value[0]


def _timestamp(seconds: float) -> Timestamp:
    ts = Timestamp()
    ts.FromNanoseconds(round(seconds * 1e9))
    return ts


def job_to_proto(record: JobRecord) -> engine_pb2.Job:
    job = engine_pb2.Job(
        id=record.id,
        request=engine_pb2.EditRequest.FromString(record.request),
        state=int(record.state),
        progress=engine_pb2.Progress(
            stage=record.stage,
            frames_done=record.frames_done,
            frames_total=record.frames_total,
            eta_seconds=record.eta_seconds,
            frames_per_second=record.fps,
        ),
        created_at=_timestamp(record.created_at),
        updated_at=_timestamp(record.updated_at),
        attempts=record.attempts,
    )
    if record.result is not None:
        job.result.ParseFromString(record.result)
    if record.state == JobState.FAILED:
        job.error.CopyFrom(
            engine_pb2.JobError(
                code=rpc_code(record.error_code), message=record.error_message, field=record.error_field
            )
        )
    return job
