"""Who may talk to the gateway: this machine's panels holding the token, never a web page.

A page in the user's browser can reach 127.0.0.1 too. Three checks keep it out:

- `Host` must name this machine (127.0.0.1, localhost or [::1]): a DNS-rebinding page, whose
  requests carry its own host name, is refused before anything else.
- `Origin`, which browsers put on every cross-origin request and every WebSocket handshake, must
  be the gateway's own (its panel page) or one given with `--allow-origin`. Other origins get
  403 and no CORS headers, so the browser blocks even the reading of the refusal. Requests
  without an Origin come from programs (curl, UXP's fetch), which must still show the token.
- The token: `Authorization: Bearer <token>` on HTTP; on a WebSocket, whose browser API cannot
  set headers, the first message (`{"token": "..."}`), so it never appears in a URL or a log.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from .config import LOOPBACK_NAMES, GatewayConfig
from .errors import GatewayError

log = logging.getLogger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
PORT_KEY = web.AppKey("port", list)  # [port]: known only once bound (port 0 in tests)
CONFIG_KEY = web.AppKey("config", GatewayConfig)
OPEN_PREFIXES = ("/panel/",)  # the panel's own files; they hold no data and ask for the token


def _bracketed(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def allowed_hosts(port: int) -> set[str]:
    names = {_bracketed(h) for h in LOOPBACK_NAMES}
    return {f"{n}:{port}" for n in names} | (names if port in (80, 443) else set())


def own_origins(config: GatewayConfig, port: int) -> set[str]:
    return {f"{config.scheme}://{_bracketed(h)}:{port}" for h in LOOPBACK_NAMES}


def token_ok(config: GatewayConfig, given: str | None) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), config.token.encode())


def bearer(request: web.Request) -> str | None:
    value = request.headers.get("Authorization", "")
    return value[7:].strip() if value[:7].lower() == "bearer " else None


def _cors_headers(origin: str) -> dict[str, str]:
    return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}


@web.middleware
async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    config = request.app[CONFIG_KEY]
    port = request.app[PORT_KEY][0]
    if request.host not in allowed_hosts(port):
        return GatewayError("PERMISSION_DENIED", f"requests for host {request.host!r} are refused; "
                            f"use 127.0.0.1:{port}", "Host").response()
    origin = request.headers.get("Origin")
    cors: dict[str, str] = {}
    if origin is not None:
        if origin in config.allowed_origins:
            cors = _cors_headers(origin)
        elif origin not in own_origins(config, port):
            return GatewayError("PERMISSION_DENIED", f"requests from web pages at {origin} are refused "
                                "(add it with --allow-origin only if you trust it)", "Origin").response()
    if request.method == "OPTIONS":  # a CORS preflight from an allowed origin
        return web.Response(status=204, headers={
            **cors, "Access-Control-Allow-Methods": "GET, POST", "Access-Control-Max-Age": "600",
            "Access-Control-Allow-Headers": "Authorization, Content-Type"})
    if request.content_length is not None and request.content_length > config.max_body_bytes:
        return GatewayError("PAYLOAD_TOO_LARGE", f"the request body is {request.content_length} bytes; the limit "
                            f"is {config.max_body_bytes}", "body").response(cors)
    websocket = request.headers.get("Upgrade", "").lower() == "websocket"
    if not (websocket or request.path.startswith(OPEN_PREFIXES)) and not token_ok(config, bearer(request)):
        error = GatewayError("UNAUTHENTICATED", "send 'Authorization: Bearer <token>' (the token `retakes "
                             "gateway serve` wrote)", "Authorization")
        return error.response({**cors, "WWW-Authenticate": "Bearer"})
    try:
        response = await handler(request)
    except GatewayError as error:
        return error.response(cors)
    except web.HTTPRequestEntityTooLarge:
        return GatewayError("PAYLOAD_TOO_LARGE", f"the request body is over the limit of "
                            f"{config.max_body_bytes} bytes", "body").response(cors)
    except web.HTTPException:
        raise
    except Exception:
        log.exception("%s %s failed", request.method, request.path)
        return GatewayError("INTERNAL", "internal gateway error; see the gateway's log").response(cors)
    if cors and not response.prepared:
        response.headers.update(cors)
    return response
