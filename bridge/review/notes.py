"""A review note (a comment at a frame or range), and turning Frame.io comments into notes.

Every note, whichever reviewer tool it came from, ends up as one `Note` in version-media
frames (0 = the version's first frame), so there is one path from notes to markers.

Timecode to frame: Frame.io reports a comment's `timestamp` as timecode of the file when we
ask for `timestamp_as_timecode`. A file with embedded timecode (01:00:00:00 start) gets
comments in that clock; a file without gets a zero-based clock. We read the timecode at the
version's own rate with `engine.timecode`, drop-frame included: ';' before the frames always
means drop-frame, and a ':' timecode (Frame.io and many tools write ':' for drop-frame too)
follows the version's drop-frame flag (`ReviewVersion.timebase`), so on 29.97 DF media
"00:01:00:02" is frame 1800, as "00:01:00;02" is, not the non-drop 1802. We then
subtract the version's start frame when the comment lies at or after it; a comment before
the start can only be in the zero-based clock. Shots are far shorter than the one hour that
separates the two clocks in practice, so the two readings never collide.

A comment that still comes back with the integer form is a framestamp: the frame of the file
counted from 1 (v4 Migration guide: "the framestamp the comment is left on (starting from
1)"), whatever the file's timecode, so its frame is the framestamp less one, in integers.
A timestamp that is neither is an error in words (the pull lists it as skipped), never a
general note: only a comment with no timestamp at all is one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from retakes.engine.timecode import timecode_to_frames

from .versions import ReviewVersion

if TYPE_CHECKING:  # the Frame.io SDK loads (a third of a second) only where Frame.io is called
    from .frameio_api import RemoteComment

FRAMEIO_STATUS = {
    # Frame.io v4 "Status" field display names -> version store statuses.
    "approved": "approved",
    "needs review": "in review",
    "in review": "in review",
    "in progress": "in review",
    "rejected": "rejected",
    "changes requested": "rejected",
    "needs changes": "rejected",
}


@dataclass(frozen=True)
class Note:
    id: str  # "frameio:<comment id>" or "local:<uuid>": stable, so re-pulling finds it again
    version_id: str
    frame: int  # version-media frame, 0-based
    duration: int  # frames, >= 1 (1 = a single-frame note)
    text: str
    author: str = ""
    source: str = "local"  # "frameio" | "local"

    @property
    def marker_key(self) -> str:
        """The marker customData that ties a Resolve marker to this note (idempotency)."""
        return f"retakes-note:{self.id}"


class NoteOutOfRange(ValueError):
    pass


def frame_of_timecode(timecode: str, version: ReviewVersion) -> int:
    tb = version.timebase
    absolute = timecode_to_frames(timecode, tb.rate, field="comment.timestamp", drop_frame=tb.drop_frame)
    frame = absolute - tb.start_frame if absolute >= tb.start_frame else absolute
    if not 0 <= frame < version.frame_count:
        raise NoteOutOfRange(
            f"comment at {timecode} lies outside {version.label}'s {version.frame_count} frames"
        )
    return frame


def frame_of_framestamp(framestamp: int, version: ReviewVersion) -> int:
    """Frame.io v4's integer timestamp (1 = the file's first frame) as a version-media frame."""
    frame = framestamp - 1
    if not 0 <= frame < version.frame_count:
        raise NoteOutOfRange(
            f"comment at framestamp {framestamp} (frame {frame}) lies outside {version.label}'s "
            f"{version.frame_count} frames"
        )
    return frame


def note_from_comment(comment: RemoteComment, version: ReviewVersion) -> Note | None:
    """None for comments with no time (general notes on the file): they have no frame to mark.
    ValueError, in words, for a timestamp that can't be read: that comment is not general."""
    if comment.problem:
        raise ValueError(comment.problem)
    if comment.framestamp is not None:
        frame = frame_of_framestamp(comment.framestamp, version)
    elif comment.timecode is not None:
        frame = frame_of_timecode(comment.timecode, version)
    else:
        return None
    duration = max(1, min(comment.duration or 1, version.frame_count - frame))
    return Note(
        id=f"frameio:{comment.id}",
        version_id=version.id,
        frame=frame,
        duration=duration,
        text=comment.text,
        author=comment.author,
        source="frameio",
    )


def store_status(frameio_status: str | None) -> str | None:
    if not frameio_status:
        return None
    return FRAMEIO_STATUS.get(frameio_status.strip().lower())
