"""Bearer-token authentication for the engine's TCP listener.

The Unix socket is protected by file permissions (0600 in a 0700 folder), so it has no
token. Anything reachable over TCP, even on loopback, must present
`authorization: Bearer <token>`; other local users can reach a loopback port.
Health checks stay open so that supervisors can probe the engine.
"""

from __future__ import annotations

import hmac
import secrets

import grpc

_OPEN_METHODS = ("/grpc.health.v1.Health/",)


def new_token() -> str:
    return secrets.token_urlsafe(32)


class BearerTokenInterceptor(grpc.aio.ServerInterceptor):
    def __init__(self, token: str) -> None:
        self._expected = f"Bearer {token}".encode()

    def _authorized(self, details: grpc.HandlerCallDetails) -> bool:
        if details.method.startswith(_OPEN_METHODS):
            return True
        for key, value in details.invocation_metadata or ():
            if key == "authorization":
                given = value.encode() if isinstance(value, str) else value
                return hmac.compare_digest(given, self._expected)
        return False

    async def intercept_service(self, continuation, handler_call_details):
        handler = await continuation(handler_call_details)
        if handler is None or self._authorized(handler_call_details):
            return handler
        return _refusing(handler)


def _refusing(handler: grpc.RpcMethodHandler) -> grpc.RpcMethodHandler:
    """A handler of the same streaming shape that answers UNAUTHENTICATED."""

    async def deny(request, context):
        await context.abort(grpc.StatusCode.UNAUTHENTICATED, "this engine needs 'authorization: Bearer <token>'")

    async def deny_stream(request, context):
        await deny(request, context)
        yield  # pragma: no cover - makes this an async generator

    kwargs = dict(request_deserializer=handler.request_deserializer,
                  response_serializer=handler.response_serializer)
    if handler.unary_unary:
        return grpc.unary_unary_rpc_method_handler(deny, **kwargs)
    if handler.unary_stream:
        return grpc.unary_stream_rpc_method_handler(deny_stream, **kwargs)
    if handler.stream_unary:
        return grpc.stream_unary_rpc_method_handler(deny, **kwargs)
    return grpc.stream_stream_rpc_method_handler(deny_stream, **kwargs)
