"""One error shape for every answer the gateway refuses: `retakes.v1.Error` as JSON.

Engine errors keep the engine's code and the request field it named (the gRPC layer's
`google.rpc.BadRequest`); malformed JSON names the field protobuf's parser stopped at.
"""

from __future__ import annotations

import re

import grpc
from aiohttp import web
from google.protobuf import json_format

from ...engine.errors import RetakesError
from ...engine.service.status import field_of
from ...v1 import gateway_pb2

HTTP_STATUS = {
    "INVALID_ARGUMENT": 400, "OUT_OF_RANGE": 400, "UNAUTHENTICATED": 401, "PERMISSION_DENIED": 403,
    "NOT_FOUND": 404, "ALREADY_EXISTS": 409, "FAILED_PRECONDITION": 409, "ABORTED": 409,
    "PAYLOAD_TOO_LARGE": 413, "RESOURCE_EXHAUSTED": 429, "CANCELLED": 499, "UNIMPLEMENTED": 501,
    "UNAVAILABLE": 503, "DEADLINE_EXCEEDED": 504,
}


class GatewayError(Exception):
    def __init__(self, code: str, message: str, field: str = "", *, status: int | None = None) -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.code = code
        self.message = message
        self.field = field
        self.status = status or HTTP_STATUS.get(code, 500)

    def proto(self) -> gateway_pb2.Error:
        return gateway_pb2.Error(code=self.code, message=self.message, field=self.field)

    def response(self, headers: dict[str, str] | None = None) -> web.Response:
        body = json_format.MessageToJson(self.proto(), indent=None)
        return web.Response(status=self.status, text=body, content_type="application/json", headers=headers)

    @classmethod
    def invalid(cls, field: str, message: str) -> GatewayError:
        return cls("INVALID_ARGUMENT", message, field)

    @classmethod
    def from_rpc(cls, error: grpc.aio.AioRpcError) -> GatewayError:
        code = error.code()
        if code == grpc.StatusCode.UNAUTHENTICATED:
            # The engine refused the gateway itself: a setup problem, not the caller's token.
            return cls("UNAVAILABLE", "the engine refused the gateway's token (check --engine-token-file)",
                       status=502)
        if code == grpc.StatusCode.UNAVAILABLE:
            return cls("UNAVAILABLE", f"the engine is not answering ({error.details() or 'unavailable'})")
        field = field_of(error)
        message = error.details() or code.name
        if field and message.startswith(f"{field}: "):
            message = message[len(field) + 2:]
        return cls(code.name, message, field)

    @classmethod
    def from_domain(cls, error: RetakesError, *, field_prefix: str = "") -> GatewayError:
        field = f"{field_prefix}{error.field}" if error.field else field_prefix.rstrip(".")
        return cls(error.code, error.message, field)


_FAILED_FIELD = re.compile(r"Failed to parse (\w+) field")
_UNKNOWN_FIELD = re.compile(r'has no field named "([^"]+)"')


def from_parse_error(error: json_format.ParseError | ValueError, body: str = "body") -> GatewayError:
    """Names the field protobuf's JSON parser refused: 'edit.range.frames.start'."""
    text = str(error)
    names = _FAILED_FIELD.findall(text)
    if unknown := _UNKNOWN_FIELD.search(text):
        names.append(unknown.group(1))
        reason = f"unknown field {unknown.group(1)!r}"
    else:
        reason = text.rsplit(": ", 1)[-1].split(" at ", 1)[0].rstrip(".")
    if not names or names[0].isdigit():  # a JSON array or scalar where an object belongs
        return GatewayError.invalid(body, "expected a JSON object")
    return GatewayError.invalid(".".join(names), reason)
