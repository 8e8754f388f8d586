"""A gRPC proxy in front of a real engine that loses the answer to the first SubmitEdit.

It models a network or a loaded engine where the request arrives and the job is made, but
the reply never comes back (a dropped connection; a deadline that passed while the engine
validated the media): the client sees UNAVAILABLE, though the engine queued the job. Every
other call, and every later SubmitEdit, is forwarded byte for byte, trailers included.
"""

from __future__ import annotations

from concurrent import futures
from pathlib import Path

import grpc

_SUBMIT = "/retakes.v1.EngineService/SubmitEdit"
_STREAMS = {"/retakes.v1.EngineService/WatchJob", "/retakes.v1.EngineService/DownloadResult"}


class LosingFirstSubmitProxy:
    def __init__(self, upstream: str, socket_path: Path) -> None:
        self.target = f"unix://{socket_path}"
        self.submits = 0
        self._upstream = grpc.insecure_channel(upstream)
        self._server = grpc.server(futures.ThreadPoolExecutor(max_workers=8), handlers=[_Forward(self)])
        self._server.add_insecure_port(self.target)

    def __enter__(self) -> LosingFirstSubmitProxy:
        self._server.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.stop(0.5).wait()
        self._upstream.close()

    def unary(self, method: str, request: bytes, context: grpc.ServicerContext) -> bytes:
        call = self._upstream.unary_unary(method)
        try:
            reply = call(request, metadata=_forwarded(context), timeout=context.time_remaining())
        except grpc.RpcError as error:
            context.set_trailing_metadata(error.trailing_metadata() or ())
            context.abort(error.code(), error.details() or "")
        if method == _SUBMIT:
            self.submits += 1
            if self.submits == 1:
                context.abort(grpc.StatusCode.UNAVAILABLE, "connection reset by peer (the proxy lost the answer)")
        return reply

    def stream(self, method: str, request: bytes, context: grpc.ServicerContext):
        call = self._upstream.unary_stream(method)
        try:
            yield from call(request, metadata=_forwarded(context))
        except grpc.RpcError as error:
            context.set_trailing_metadata(error.trailing_metadata() or ())
            context.abort(error.code(), error.details() or "")


def _forwarded(context: grpc.ServicerContext) -> list[tuple[str, str]]:
    """The caller's own metadata (its bearer token): not the transport's headers."""
    return [(k, v) for k, v in context.invocation_metadata() if k == "authorization"]


class _Forward(grpc.GenericRpcHandler):
    def __init__(self, proxy: LosingFirstSubmitProxy) -> None:
        self._proxy = proxy

    def service(self, details: grpc.HandlerCallDetails):
        method = details.method
        if method in _STREAMS:
            return grpc.unary_stream_rpc_method_handler(lambda req, ctx: self._proxy.stream(method, req, ctx))
        return grpc.unary_unary_rpc_method_handler(lambda req, ctx: self._proxy.unary(method, req, ctx))
