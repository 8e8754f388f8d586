"""Domain errors of the engine.

Every error a user can cause names the request field at fault, so that the CLI prints
it, the gRPC layer turns it into a `google.rpc.BadRequest` field violation, and the
panel highlights the control. They subclass the builtins a Python caller would expect
(PyAV's habit: `av.error.FileNotFoundError` is also a `FileNotFoundError`).
"""

from __future__ import annotations


class RetakesError(Exception):
    """Base of every error the engine raises on purpose."""

    #: google.rpc.Code name; the gRPC layer maps it to a status code.
    code = "INTERNAL"

    def __init__(self, message: str, *, field: str = "") -> None:
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
