"""`retakes.v1.EngineService` over an `Engine`: each RPC converts, delegates, converts back.

Blocking work (probing media, decoding a preview frame, SQLite) runs on the servicer's
worker threads, never on the event loop. Domain errors become rich statuses in
one place (`_rpc`), so no handler has its own error handling.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import threading
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor

import grpc

from ...v1 import engine_pb2, engine_pb2_grpc
from ..core import Engine
from ..errors import Cancelled, InvalidArgument, RetakesError
from ..jobs import watch_job
from ..logs import see_the_log
from .convert import job_message, job_state_name
from .status import to_rpc_status

log = logging.getLogger(__name__)
# Field paths in errors are relative to the request message the client sent.
_EDIT_PREFIX = {"Preview": "edit.", "SubmitEdit": "edit."}


def _rpc(method):
    """Maps RetakesError to its status (with field violations) and hides internal errors."""
    prefix = _EDIT_PREFIX.get(method.__name__, "")

    if asyncio.iscoroutinefunction(method):
        @functools.wraps(method)
        async def unary(self, request, context):
            try:
                return await method(self, request, context)
            except RetakesError as error:
                await context.abort_with_status(to_rpc_status(error, field_prefix=prefix))
            except Exception:
                log.exception("%s failed", method.__name__)
                await context.abort(grpc.StatusCode.INTERNAL, f"internal engine error; {see_the_log()}")
        return unary

    @functools.wraps(method)
    async def streaming(self, request, context):
        try:
            async for item in method(self, request, context):
                yield item
        except RetakesError as error:
            await context.abort_with_status(to_rpc_status(error, field_prefix=prefix))
        except Exception:
            log.exception("%s failed", method.__name__)
            await context.abort(grpc.StatusCode.INTERNAL, f"internal engine error; {see_the_log()}")
    return streaming


class EngineServicer(engine_pb2_grpc.EngineServiceServicer):
    def __init__(self, engine: Engine, pool: ThreadPoolExecutor | None = None) -> None:
        self.engine = engine
        #: The threads blocking work runs on (`PoolWatch` watches the same pool for health).
        self.pool = pool

    async def _in_thread(self, fn, /, *args, **kwargs):
        return await asyncio.get_running_loop().run_in_executor(self.pool, functools.partial(fn, *args, **kwargs))

    @_rpc
    async def GetCapabilities(self, request, context):
        return await self._in_thread(self.engine.capabilities)

    @_rpc
    async def Preview(self, request: engine_pb2.PreviewRequest, context):
        result = await self._in_thread(self.engine.preview, request.edit, request.frame)
        h, w = result.image.shape[:2]
        if request.encoding == engine_pb2.IMAGE_ENCODING_RGB24:
            encoding, data = engine_pb2.IMAGE_ENCODING_RGB24, result.image.tobytes()
        else:
            encoding, data = engine_pb2.IMAGE_ENCODING_PNG, await self._in_thread(
                self.engine.encode_png, result.image)
        return engine_pb2.PreviewResponse(frame=result.frame, width=w, height=h, encoding=encoding, image=data,
                                          latency_ms=result.latency_ms, device=result.device)

    @_rpc
    async def SubmitEdit(self, request: engine_pb2.SubmitEditRequest, context):
        record = await self._in_thread(self.engine.submit, request.edit, request.idempotency_key)
        return job_message(record)

    @_rpc
    async def GetJob(self, request, context):
        return job_message(await self._in_thread(self.engine.get, request.job_id))

    @_rpc
    async def ListJobs(self, request: engine_pb2.ListJobsRequest, context):
        states = [job_state_name(s) for s in request.states]
        records = await self._in_thread(self.engine.list, states, request.limit)
        return engine_pb2.ListJobsResponse(jobs=[job_message(r) for r in records])

    @_rpc
    async def CancelJob(self, request, context):
        return job_message(await self._in_thread(self.engine.cancel, request.job_id))

    @_rpc
    async def WatchJob(self, request, context) -> AsyncIterator[engine_pb2.JobEvent]:
        # No thread per open stream: the watcher polls the store from the event loop's side.
        async for record in watch_job(self.engine.store, request.job_id):
            yield engine_pb2.JobEvent(job=job_message(record))

    @_rpc
    async def UploadMedia(self, request_iterator, context):
        state = None
        async for chunk in request_iterator:
            state = await self._in_thread(
                self.engine.upload_chunk, chunk.sha256, offset=chunk.offset, data=chunk.data,
                total_size=chunk.total_size, file_name=chunk.file_name,
            )
        if state is None:
            raise InvalidArgument("the upload stream held no chunk", field="sha256")
        return engine_pb2.UploadStatus(sha256=state.sha256, committed_bytes=state.committed_bytes,
                                       total_size=state.total_size, complete=state.complete)

    @_rpc
    async def GetUploadStatus(self, request, context):
        state = await self._in_thread(self.engine.upload_status, request.sha256)
        return engine_pb2.UploadStatus(sha256=state.sha256, committed_bytes=state.committed_bytes,
                                       total_size=state.total_size, complete=state.complete)

    @_rpc
    async def DownloadResult(self, request, context) -> AsyncIterator[engine_pb2.DataChunk]:
        path = await self._in_thread(self.engine.result_file, request.job_id, request.path)
        chunks = self.engine.iter_file(path, request.offset)
        while True:
            item = await self._in_thread(next, chunks, None)
            if item is None:
                return
            yield engine_pb2.DataChunk(offset=item[0], data=item[1])

    @_rpc
    async def FindShots(self, request: engine_pb2.FindShotsRequest, context):
        return await self._in_thread(self.engine.find_shots, request)

    @_rpc
    async def ProposeShotMasks(self, request: engine_pb2.ProposeShotMasksRequest, context):
        return await self._in_thread(self.engine.propose_shot_masks, request)

    @_rpc
    async def EditKeyframe(self, request: engine_pb2.KeyframeRequest, context) -> AsyncIterator:
        # The edit runs on a worker thread and hands its events over through a queue; when the
        # client goes away (cancel), `stop` makes the model stop at its next denoising step.
        plan = await asyncio.to_thread(self.engine.plan_keyframe, request)
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[engine_pb2.KeyframeEvent] = asyncio.Queue()
        stop = threading.Event()

        def check_cancelled() -> None:
            if stop.is_set():
                raise Cancelled("the keyframe edit was cancelled")

        def emit(event: engine_pb2.KeyframeEvent) -> None:
            with contextlib.suppress(RuntimeError):  # the loop closed (engine stopping): nobody listens
                loop.call_soon_threadsafe(queue.put_nowait, event)

        work = asyncio.ensure_future(asyncio.to_thread(self.engine.run_keyframe, plan, check_cancelled, emit))
        try:
            while True:
                getter = asyncio.ensure_future(queue.get())
                done, _ = await asyncio.wait({getter, work}, return_when=asyncio.FIRST_COMPLETED)
                if getter in done:
                    yield getter.result()
                    continue
                getter.cancel()
                while not queue.empty():
                    yield queue.get_nowait()
                work.result()  # raises what the edit raised
                return
        finally:
            stop.set()
            # A client that went away leaves the edit to end by itself (Cancelled at its next step):
            # its outcome is retrieved here, not logged as "Task exception was never retrieved".
            work.add_done_callback(lambda ended: ended.cancelled() or ended.exception())
