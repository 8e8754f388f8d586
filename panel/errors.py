"""Every failure as one sentence an editor can act on; never a traceback in the panel."""

from __future__ import annotations

import grpc

from retakes.bridge.agent.client import AgentError
from retakes.bridge.clipref import ClipRefused, NoClipSelected
from retakes.engine.client import EngineError


def is_engine_down(exc: BaseException) -> bool:
    return isinstance(exc, EngineError) and exc.code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED)


def plain(exc: BaseException, *, doing: str = "") -> str:
    prefix = f"Could not {doing}: " if doing else ""
    if isinstance(exc, EngineError):
        code = exc.code
        if code == grpc.StatusCode.UNAVAILABLE:
            return prefix + "the engine is not answering. Start it (retakes engine serve) and press Reconnect."
        if code == grpc.StatusCode.UNAUTHENTICATED or code == grpc.StatusCode.PERMISSION_DENIED:
            return prefix + "the engine refused the token. Check the token in Engine settings."
        if code == grpc.StatusCode.DEADLINE_EXCEEDED:
            return prefix + "the engine took too long to answer."
        message = exc.message or code.name.lower().replace("_", " ")
        if exc.field and message.startswith(exc.field + ":"):
            message = message[len(exc.field) + 1:].strip()  # the field is named in words below
        field = f" (in {exc.field.split('.')[-1].replace('_', ' ')})" if exc.field else ""
        return prefix + _sentence(message)[:-1] + field + "."
    if isinstance(exc, ClipRefused | NoClipSelected | AgentError):
        return prefix + _sentence(str(exc))
    if isinstance(exc, FileNotFoundError):
        return prefix + f"{exc.filename or 'the file'} does not exist."
    if isinstance(exc, PermissionError):
        return prefix + f"{exc.filename or 'the file'} cannot be read or written (permissions)."
    if isinstance(exc, OSError):
        return prefix + _sentence(exc.strerror or str(exc))
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return prefix + _sentence(text)


def _sentence(text: str) -> str:
    text = text.strip()
    if not text:
        return "unknown error."
    return text if text.endswith((".", "!", "?")) else text + "."
