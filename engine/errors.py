"""Domain errors of the engine.

Every error a user can cause names the request field at fault, so that the CLI prints
it, the gRPC layer turns it into a `google.rpc.BadRequest` field violation, and the
panel highlights the control. They subclass the builtins a Python caller would expect
(PyAV's habit: `av.error.FileNotFoundError` is also a `FileNotFoundError`).
"""

from __future__ import annotations

#: The longest error message and field name kept, in characters. An error travels in gRPC
#: metadata (the status message, and again in the field violation), which a client refuses
#: past 8 KiB: a 1 MB value echoed back would turn a clear refusal into RESOURCE_EXHAUSTED.
MAX_MESSAGE = 400
MAX_FIELD = 120
#: How much of a value an error quotes back (`shown`).
MAX_SHOWN = 60


def shown(value: object, limit: int = MAX_SHOWN) -> str:
    """`repr(value)` for an error message, cut to about `limit` characters with the length said."""
    text = repr(value)
    if len(text) <= limit:
        return text
    size = f"{len(value)} characters" if isinstance(value, str | bytes) else f"{len(text)} characters shown"
    return f"{text[:limit]}... ({size})"


def bounded(text: str, limit: int) -> str:
    """`text` cut in the middle to at most `limit` characters: its start names the problem and its
    end usually says what was expected, so both are kept."""
    if len(text) <= limit:
        return text
    cut = f" ...[{len(text) - limit} characters cut]... "
    head = (limit - len(cut)) * 2 // 3
    tail = limit - len(cut) - head
    return f"{text[:head]}{cut}{text[len(text) - tail:]}"


class RetakesError(Exception):
    """Base of every error the engine raises on purpose."""

    #: google.rpc.Code name; the gRPC layer maps it to a status code.
    code = "INTERNAL"

    def __init__(self, message: str, *, field: str = "") -> None:
        message, field = bounded(message, MAX_MESSAGE), bounded(field, MAX_FIELD)
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


class InvalidArgument(RetakesError, ValueError):
    """The request is wrong: a bad range, an unknown op, a mask of the wrong size..."""

    code = "INVALID_ARGUMENT"


class MediaNotFound(RetakesError, FileNotFoundError):
    """A path the request names does not exist."""

    code = "NOT_FOUND"


class MediaUnreadable(RetakesError, PermissionError):
    """A path exists but cannot be read (permissions)."""

    code = "PERMISSION_DENIED"


class CorruptMedia(InvalidArgument):
    """The file is not media FFmpeg can decode, or it is truncated."""


class FailedPrecondition(RetakesError):
    """The request is well formed but the system is not in a state to do it."""

    code = "FAILED_PRECONDITION"


class OutOfDiskSpace(RetakesError, OSError):
    """A step's files would not fit on the disk they go to; found before it starts."""

    code = "RESOURCE_EXHAUSTED"


class JobNotFound(RetakesError, LookupError):
    code = "NOT_FOUND"


class Cancelled(RetakesError):
    """The work was cancelled by the user; not a failure."""

    code = "CANCELLED"
