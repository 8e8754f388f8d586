"""The HTTP + WebSocket gateway: the engine's service for panels that can only be network
clients (Premiere's UXP panel can `fetch` and open a WebSocket; it cannot speak gRPC).

It is a client of the running engine's gRPC service, never a second engine, and its JSON is
the proto's own (protobuf's JSON mapping of `retakes.v1`), so there is one contract.

Built on aiohttp: one well-kept asyncio package that serves HTTP and WebSocket alike (with
message-size limits and ping/close handling built in), runs on the same event loop as the
grpc.aio client it forwards to, and has a real client for the tests. Starlette needs uvicorn
and a separate WebSocket package for the same; the stdlib `http.server` has no WebSocket.
"""
