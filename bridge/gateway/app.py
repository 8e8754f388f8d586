"""The gateway's routes: each one a thin translation between JSON and one engine RPC or one
version-store call. The JSON is protobuf's mapping of the `retakes.v1` messages named here.

    GET  /v1/capabilities                -> Capabilities
    POST /v1/preview        PreviewRequest -> PreviewResponse (or the PNG itself: Accept: image/png)
    POST /v1/jobs           SubmitClipRequest -> Job (its output is the clip's next version)
    GET  /v1/jobs/{id}                   -> Job
    POST /v1/jobs/{id}/cancel            -> Job
    GET  /v1/jobs/{id}/watch  (WebSocket: first message {"token": ...}) -> WatchMessage, ...
    POST /v1/versions       RecordVersionRequest -> Version
    POST /v1/clips/versions Clip -> VersionList
    GET  /v1/versions/{id}               -> Version
    GET  /v1/versions/{id}/lineage       -> Lineage
    POST /v1/versions/{id}/placements Placement -> Version
    GET  /panel/...                      the panel's own files (for a browser; no data, no token)
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from pathlib import Path

import grpc
from aiohttp import WSMsgType, web
from google.protobuf import json_format
from google.protobuf.message import Message

from ...v1 import engine_pb2, engine_pb2_grpc, gateway_pb2
from . import versions
from .config import GatewayConfig
from .errors import GatewayError, from_parse_error
from .security import CONFIG_KEY, PORT_KEY, guard, token_ok

PLUGIN_DIR = Path(__file__).resolve().parents[1] / "premiere" / "plugin"
_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
          ".css": "text/css; charset=utf-8", ".png": "image/png", ".json": "application/json"}
_CSP = ("default-src 'self'; img-src 'self' data:; connect-src 'self'; script-src 'self'; "
        "style-src 'self'; frame-ancestors 'none'")
_TERMINAL = (engine_pb2.JOB_STATE_SUCCEEDED, engine_pb2.JOB_STATE_FAILED, engine_pb2.JOB_STATE_CANCELLED)
_CHANNEL_OPTIONS = [("grpc.max_receive_message_length", 64 << 20), ("grpc.max_send_message_length", 8 << 20)]


class EngineLink:
    """The gateway's grpc.aio client of the engine; opened on the app's own event loop."""

    def __init__(self, target: str, token: str | None) -> None:
        self.target = target
        self.metadata = (("authorization", f"Bearer {token}"),) if token else ()
        self.channel: grpc.aio.Channel | None = None
        self.stub: engine_pb2_grpc.EngineServiceStub | None = None
        self._capabilities: engine_pb2.Capabilities | None = None

    async def open(self, _app: web.Application | None = None) -> None:
        self.channel = grpc.aio.insecure_channel(self.target, options=_CHANNEL_OPTIONS)
        self.stub = engine_pb2_grpc.EngineServiceStub(self.channel)

    async def close(self, _app: web.Application | None = None) -> None:
        if self.channel is not None:
            await self.channel.close()

    async def call(self, method: str, request: Message, timeout: float = 60) -> Message:
        try:
            return await getattr(self.stub, method)(request, metadata=self.metadata, timeout=timeout)
        except grpc.aio.AioRpcError as error:
            raise GatewayError.from_rpc(error) from None

    async def capabilities(self, *, fresh: bool = False) -> engine_pb2.Capabilities:
        if fresh or self._capabilities is None:
            self._capabilities = await self.call("GetCapabilities", engine_pb2.GetCapabilitiesRequest(), 30)
        return self._capabilities


ENGINE_KEY = web.AppKey("engine", EngineLink)
routes = web.RouteTableDef()


def to_json(message: Message) -> str:
    return json.dumps(json_format.MessageToDict(message, always_print_fields_with_no_presence=True,
                                                unquote_int64_if_possible=True))


def reply(message: Message) -> web.Response:
    return web.Response(text=to_json(message), content_type="application/json")


async def body(request: web.Request, message: Message) -> Message:
    raw = await request.read()
    if not raw.strip():
        raise GatewayError.invalid("body", f"expected a JSON {message.DESCRIPTOR.name} object")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise GatewayError.invalid("body", "expected UTF-8 JSON") from None
    try:
        return json_format.Parse(text, message)
    except json_format.ParseError as error:
        if str(error).startswith("Failed to load JSON"):
            raise GatewayError.invalid("body", "not valid JSON") from None
        raise from_parse_error(error) from None


def _job_id(request: web.Request) -> str:
    return request.match_info["job_id"]


def _version_id(request: web.Request) -> int:
    text = request.match_info["version_id"]
    if not text.isdigit():
        raise GatewayError.invalid("version_id", f"expected a version number id, got {text!r}")
    return int(text)


# ---------------------------------------------------------------------------- engine routes

@routes.get("/v1/capabilities")
async def capabilities(request: web.Request) -> web.Response:
    return reply(await request.app[ENGINE_KEY].capabilities(fresh=True))


@routes.post("/v1/preview")
async def preview(request: web.Request) -> web.Response:
    message = await body(request, engine_pb2.PreviewRequest())
    if "image/png" in request.headers.get("Accept", ""):
        message.encoding = engine_pb2.IMAGE_ENCODING_PNG
    result = await request.app[ENGINE_KEY].call("Preview", message, timeout=120)
    if "image/png" in request.headers.get("Accept", "") and result.encoding == engine_pb2.IMAGE_ENCODING_PNG:
        return web.Response(body=result.image, content_type="image/png", headers={
            "X-Retakes-Frame": str(result.frame), "X-Retakes-Latency-Ms": f"{result.latency_ms:.1f}",
            "X-Retakes-Device": result.device})
    return reply(result)


async def _extension(link: EngineLink, codec: str) -> str:
    if not codec:
        return ".mov"  # the engine's default for .mov is ProRes 422 HQ, which Premiere reads
    caps = await link.capabilities()
    for described in caps.codecs:
        if described.name == codec:
            if not any(described.extensions):  # "": a folder of images
                raise GatewayError.invalid("edit.codec", f"{codec} writes an image sequence, which the panel "
                                           "cannot place; pick a movie codec")
            return ".mov" if ".mov" in described.extensions else described.extensions[0]
    names = ", ".join(c.name for c in caps.codecs)
    raise GatewayError.invalid("edit.codec", f"unknown codec {codec!r}; one of {names}")


@routes.post("/v1/jobs")
async def submit(request: web.Request) -> web.Response:
    config, link = request.app[CONFIG_KEY], request.app[ENGINE_KEY]
    message = await body(request, gateway_pb2.SubmitClipRequest())
    clip = versions.clip_ref(message.clip)
    edit = message.edit
    if edit.output_path:
        raise GatewayError.invalid("edit.output_path", "leave it empty: the version store chooses each "
                                   "version's file")
    if not edit.HasField("source"):
        edit.source.path = clip.media_path
    elif edit.source.path != clip.media_path:
        raise GatewayError.invalid("edit.source", "must be the clip's own media (clip.media_path)")
    if not edit.HasField("range"):
        edit.range.frames.start, edit.range.frames.end = clip.source_range.start, clip.source_range.end
    extension = await _extension(link, edit.codec)
    output = await asyncio.to_thread(versions.reserve_output, config.versions_root, clip, extension)
    edit.output_path = str(output)
    try:
        job = await link.call("SubmitEdit", engine_pb2.SubmitEditRequest(
            edit=edit, idempotency_key=message.idempotency_key))
    except GatewayError:
        await asyncio.to_thread(versions.release_output, config.versions_root, output)
        raise
    return reply(job)


@routes.get("/v1/jobs/{job_id}")
async def get_job(request: web.Request) -> web.Response:
    return reply(await request.app[ENGINE_KEY].call("GetJob", engine_pb2.GetJobRequest(job_id=_job_id(request))))


@routes.post("/v1/jobs/{job_id}/cancel")
async def cancel_job(request: web.Request) -> web.Response:
    return reply(await request.app[ENGINE_KEY].call("CancelJob",
                                                    engine_pb2.CancelJobRequest(job_id=_job_id(request))))


@routes.get("/v1/jobs/{job_id}/watch")
async def watch_job(request: web.Request) -> web.WebSocketResponse:
    """Streams the job's snapshots; closing the socket ends the watch, never the job."""
    config, link = request.app[CONFIG_KEY], request.app[ENGINE_KEY]
    ws = web.WebSocketResponse(max_msg_size=config.max_ws_message_bytes, heartbeat=30)
    await ws.prepare(request)

    async def fail(error: GatewayError, close_code: int) -> web.WebSocketResponse:
        await ws.send_str(to_json(gateway_pb2.WatchMessage(error=error.proto())))
        await ws.close(code=close_code, message=error.message[:120].encode())
        return ws

    try:
        first = await asyncio.wait_for(ws.receive(), config.ws_auth_seconds)
    except TimeoutError:
        return await fail(GatewayError("UNAUTHENTICATED", "send {\"token\": ...} first", "token"), 4401)
    try:
        given = json.loads(first.data).get("token") if first.type == WSMsgType.TEXT else None
    except (ValueError, AttributeError):
        given = None
    if not isinstance(given, str) or not token_ok(config, given):
        return await fail(GatewayError("UNAUTHENTICATED", "the first message must be {\"token\": \"<token>\"} "
                                       "with the gateway's token", "token"), 4401)

    stream = link.stub.WatchJob(engine_pb2.WatchJobRequest(job_id=_job_id(request)), metadata=link.metadata)

    async def until_client_leaves() -> None:
        async for _ in ws:  # the client sends nothing more; this ends when it closes
            pass
        stream.cancel()

    leaving = asyncio.create_task(until_client_leaves())
    failure = None
    try:
        async for event in stream:
            await ws.send_str(to_json(gateway_pb2.WatchMessage(event=event)))
            if event.job.state in _TERMINAL:
                break
    except asyncio.CancelledError:
        if not leaving.done():  # not the client leaving: the gateway is stopping
            raise
    except grpc.aio.AioRpcError as error:
        failure = GatewayError.from_rpc(error)
    finally:
        # One reader at a time: the close handshake below reads the client's close frame.
        leaving.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await leaving
        stream.cancel()
    if ws.closed:
        return ws
    if failure is not None:
        return await fail(failure, 4404 if failure.code == "NOT_FOUND" else 1011)
    await ws.close(code=1000)
    return ws


# ---------------------------------------------------------------------------- version routes

@routes.post("/v1/versions")
async def record_version(request: web.Request) -> web.Response:
    config, link = request.app[CONFIG_KEY], request.app[ENGINE_KEY]
    message = await body(request, gateway_pb2.RecordVersionRequest())
    if not message.job_id:
        raise GatewayError.invalid("job_id", "required: the job that rendered the version")
    clip = versions.clip_ref(message.clip)
    job = await link.call("GetJob", engine_pb2.GetJobRequest(job_id=message.job_id))
    if job.state != engine_pb2.JOB_STATE_SUCCEEDED:
        state = engine_pb2.JobState.Name(job.state).removeprefix("JOB_STATE_").lower()
        raise GatewayError("FAILED_PRECONDITION", f"the job is {state}; a version is recorded once it has "
                           "succeeded", "job_id")
    output = Path(job.request.output_path)
    if not output.resolve().is_relative_to(config.versions_root.resolve()):
        raise GatewayError.invalid("job_id", "this job was not submitted through the gateway: its output is "
                                   "outside the version store's folder")
    if job.request.source.path != clip.media_path:
        raise GatewayError.invalid("clip.media_path", "is not the job's source media")
    caps = await link.capabilities()
    return reply(await asyncio.to_thread(versions.record, config.versions_root, clip, job, caps.engine_version))


@routes.post("/v1/clips/versions")
async def clip_versions(request: web.Request) -> web.Response:
    clip = versions.clip_ref(await body(request, gateway_pb2.Clip()), field="")
    return reply(await asyncio.to_thread(versions.versions_of, request.app[CONFIG_KEY].versions_root, clip))


@routes.get("/v1/versions/{version_id}")
async def get_version(request: web.Request) -> web.Response:
    found = await asyncio.to_thread(versions.lineage, request.app[CONFIG_KEY].versions_root, _version_id(request))
    return reply(found.chain[-1])


@routes.get("/v1/versions/{version_id}/lineage")
async def get_lineage(request: web.Request) -> web.Response:
    return reply(await asyncio.to_thread(versions.lineage, request.app[CONFIG_KEY].versions_root,
                                         _version_id(request)))


@routes.post("/v1/versions/{version_id}/placements")
async def add_placement(request: web.Request) -> web.Response:
    version_id = _version_id(request)
    placement = await body(request, gateway_pb2.Placement())
    return reply(await asyncio.to_thread(versions.add_placement, request.app[CONFIG_KEY].versions_root,
                                         version_id, placement))


# ---------------------------------------------------------------------------- the panel's files

def _panel_files() -> dict[str, Path]:
    """A fixed map of the plugin's files: a request path is looked up, never joined onto disk."""
    return {p.relative_to(PLUGIN_DIR).as_posix(): p for p in PLUGIN_DIR.rglob("*")
            if p.is_file() and p.suffix in _TYPES}


@routes.get("/panel/{name:.*}")
async def panel_file(request: web.Request) -> web.Response:
    name = request.match_info["name"] or "index.html"
    path = _panel_files().get(name)
    if path is None:
        raise GatewayError("NOT_FOUND", f"no panel file {name!r}", "path")
    return web.Response(body=path.read_bytes(), content_type=_TYPES[path.suffix].split(";")[0],
                        charset="utf-8" if "charset" in _TYPES[path.suffix] else None,
                        headers={"Content-Security-Policy": _CSP, "Cache-Control": "no-store"})


@web.middleware
async def json_errors(request: web.Request, handler) -> web.StreamResponse:
    """Unknown routes and wrong methods answer in the same JSON shape as everything else."""
    try:
        response = await handler(request)
    except web.HTTPException as error:
        if error.status < 400:
            raise
        code = {404: "NOT_FOUND", 405: "UNIMPLEMENTED", 413: "PAYLOAD_TOO_LARGE"}.get(error.status, "INVALID_ARGUMENT")
        raise GatewayError(code, f"{request.method} {request.path}: {error.reason}", "path",
                           status=error.status) from None
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    return response


def make_app(config: GatewayConfig) -> web.Application:
    app = web.Application(client_max_size=config.max_body_bytes, middlewares=[guard, json_errors])
    app[CONFIG_KEY] = config
    app[PORT_KEY] = [config.port]
    link = EngineLink(config.engine_target, config.engine_token)
    app[ENGINE_KEY] = link
    app.on_startup.append(link.open)
    app.on_cleanup.append(link.close)
    app.add_routes(routes)
    return app
