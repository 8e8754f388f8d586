"""One error map: domain errors to `google.rpc.Status`, and back on the client side.

Invalid input travels as a `google.rpc.BadRequest` whose field violation names the
request field (e.g. `edit.range`), in the standard `grpc-status-details-bin` trailer,
so any gRPC client (grpcurl, a Node panel) can read it, not only ours.
"""

from __future__ import annotations

import grpc
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from ..errors import RetakesError, bounded

#: UTF-8 bytes of the message and of the field name. Both travel in gRPC's metadata, the
#: message three times (grpc-message percent-encodes each byte into three, and the details
#: carry it twice), under the 8 KiB a client accepts.
_MESSAGE_BYTES = 1000
_FIELD_BYTES = 240


def _fit(text: str, limit: int) -> str:
    """`text` cut (in the middle, as `errors.bounded` cuts) to at most `limit` UTF-8 bytes."""
    while len(text.encode()) > limit:
        text = bounded(text, max(40, len(text) * limit // len(text.encode()) - 1))
    return text


def to_rpc_status(error: RetakesError, *, field_prefix: str = "") -> grpc.Status:
    """Builds the status for `context.abort_with_status`."""
    code = code_pb2.Code.Value(error.code)
    field = _fit(f"{field_prefix}{error.field}", _FIELD_BYTES) if error.field else ""
    message = _fit(error.message, _MESSAGE_BYTES)
    status = status_pb2.Status(code=code, message=f"{field}: {message}" if field else message)
    if field:
        detail = any_pb2.Any()
        detail.Pack(
            error_details_pb2.BadRequest(
                field_violations=[
                    error_details_pb2.BadRequest.FieldViolation(field=field, description=message)
                ]
            )
        )
        status.details.append(detail)
    return rpc_status.to_status(status)


def field_of(call: grpc.Call | grpc.aio.AioRpcError) -> str:
    """The first field violation of a failed call, or "" when it names none."""
    status = rpc_status.from_call(call)
    if status is None:
        return ""
    for detail in status.details:
        if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            if bad.field_violations:
                return bad.field_violations[0].field
    return ""
