"""What the editor is working on: the clip, its keyframes and masks, the tracked overlay.

Masks live here in memory and are mirrored to disk after each stroke (by the controller, off
the GUI thread), so neither an engine restart nor a panel restart loses painted work.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Literal

from retakes.bridge.clipref import ClipRef
from retakes.engine.media import MediaInfo
from retakes.engine.timecode import FrameRange

from .mask import MaskDocument
from .transport import Transport


@dataclass
class Compare:
    left: int = 0  # version id, 0 = the original
    right: int = 0
    mode: str = "wipe"
    wipe: float = 0.5
    show_right: bool = True


Toggle = Literal["marked", "removed", "kept"]
Hold = Literal["edited", "painted"]  # what keeps a keyframe that ◆ can't take off
View = Literal["original", "edited"]  # what the viewer shows on a frame with an edited image


@dataclass
class ClipSession:
    """Keyframes are one truth: `keyframes` is derived, the frames marked by hand (◆) plus every
    frame with an edited image attached or a painted (non-empty) mask. So a diamond can't be taken
    off a frame whose edited image or mask still goes with the request, and nothing outside the
    model can make them disagree (`keyframes` is a frozenset, `edited` a read-only view, and a
    mask changed or cleared through `masks` changes the diamonds with it).
    """

    clip: ClipRef
    info: MediaInfo
    transport: Transport = field(default_factory=Transport)
    masks: dict[int, MaskDocument] = field(default_factory=dict)
    tracked_dir: str = ""  # folder of per-frame masks from `track` (output frame i = first + i)
    tracked_key: tuple[int, bytes] | None = None  # (frame, mask digest) the overlay was tracked from
    compare: Compare | None = None
    view: View = "original"  # the editor's choice, kept while scrubbing; see `showing`
    mark_in: int | None = None  # In (I): the first source frame Generate renders; None: the clip's first
    mark_out: int | None = None  # Out (O), exclusive: one past the last frame rendered; None: the clip's end
    _marked: set[int] = field(default_factory=set, repr=False)  # marked by hand (◆)
    _edited: dict[int, str] = field(default_factory=dict, repr=False)  # source frame -> edited image

    def __post_init__(self) -> None:
        rendered = self.clip.range_with_handles
        self.transport.set_range(rendered.start, rendered.end)
        self.transport.seek(self.clip.source_range.start)

    @property
    def key(self) -> str:
        """A stable folder name for this clip's session files."""
        c = self.clip
        text = f"{c.media_path}|{c.source_range.start}|{c.source_range.end}"
        return hashlib.sha1(text.encode()).hexdigest()[:16]

    @property
    def frame(self) -> int:
        return self.transport.frame

    @property
    def keyframes(self) -> frozenset[int]:
        """Every keyframe the scrubber shows: marked frames, frames with an edited image, painted frames."""
        return frozenset(self._marked | self._edited.keys() | self.painted)

    @property
    def painted(self) -> frozenset[int]:
        """Frames whose mask has paint on it (an empty mask is no keyframe and is never sent)."""
        return frozenset(f for f, m in self.masks.items() if not m.empty)

    def held(self, frame: int) -> tuple[Hold, ...]:
        """What keeps `frame` a keyframe whatever ◆ says: its edited image, its painted mask."""
        return (("edited",) if frame in self._edited else ()) + (("painted",) if frame in self.painted else ())

    @property
    def edited(self) -> Mapping[int, str]:
        """Source frame -> the editor's edited image (read-only: `attach_edited`/`remove_edited`)."""
        return MappingProxyType(self._edited)

    def showing(self, frame: int | None = None) -> View:
        """What the viewer shows on `frame` (default: the playhead's): the edited image only where
        one is attached and the editor chose Edited; every other frame shows its source."""
        f = self.frame if frame is None else frame
        return "edited" if self.view == "edited" and f in self._edited else "original"

    @property
    def marked(self) -> frozenset[int]:
        """Frames marked by hand (◆), whatever else they carry: what the session folder keeps of ◆."""
        return frozenset(self._marked)

    def mark_keyframe(self, frame: int) -> None:
        self._marked.add(frame)

    def unmark_keyframe(self, frame: int) -> None:
        """Takes the hand mark off (undo of ◆); the diamond stays where an edited image or paint holds it."""
        self._marked.discard(frame)

    def mask_here(self, create: bool = False) -> MaskDocument | None:
        f = self.frame
        if f not in self.masks and create:
            self.masks[f] = MaskDocument(self.info.width, self.info.height)  # a keyframe once painted
        return self.masks.get(f)

    def toggle_keyframe(self) -> Toggle:
        """◆ on the current frame: "marked", "removed", or "kept" when the frame carries an edited
        image or a painted mask (`held`). That keyframe stays (diamond and work together) until the
        image is removed and the mask cleared: one keystroke does not throw away work."""
        f = self.frame
        if self.held(f):
            return "kept"
        if f in self._marked:
            self._marked.discard(f)
            return "removed"
        self._marked.add(f)
        return "marked"

    def attach_edited(self, frame: int, path: str) -> None:
        """`path` replaces any edited image already on `frame`; the frame is a keyframe while it has one."""
        self._edited[frame] = path

    def remove_edited(self, frame: int) -> None:
        """Detaches the image; the diamond goes with it unless the frame is marked or painted."""
        self._edited.pop(frame, None)

    def mask_keyframe(self) -> int | None:
        """The keyframe whose mask goes to the engine: the painted one nearest the playhead."""
        painted = [f for f, m in self.masks.items() if not m.empty]  # in painting order: ties go to the first
        return min(painted, key=lambda f: abs(f - self.frame)) if painted else None

    def tracked_index(self, frame: int) -> int | None:
        """Index into the tracked mask folder for a source frame, if the overlay covers it."""
        if not self.tracked_dir:
            return None
        rendered = self.clip.range_with_handles
        return frame - rendered.start if frame in rendered else None

    def tracked_is_current(self) -> bool:
        key = self.mask_keyframe()
        if not self.tracked_dir or key is None:
            return False
        return self.tracked_key == (key, hashlib.sha1(self.masks[key].soft().tobytes()).digest())

    def mark_tracked(self, folder: str, frame: int) -> None:
        self.tracked_dir = folder
        self.tracked_key = (frame, hashlib.sha1(self.masks[frame].soft().tobytes()).digest())

    def render_range(self) -> FrameRange:
        """What Generate renders: In to Out where marked, the clip with its handles elsewhere."""
        rendered = self.clip.range_with_handles
        a = rendered.start if self.mark_in is None else self.mark_in
        b = rendered.end if self.mark_out is None else self.mark_out
        return FrameRange(a, b)

    def render_clip(self) -> ClipRef:
        """The clip Generate sends: itself, or the part between In and Out, placed where that part sits
        on the timeline and with no handles of its own (the marks chose every frame)."""
        if self.mark_in is None and self.mark_out is None:
            return self.clip
        r, c = self.render_range(), self.clip
        record = c.placement.record
        offset = record.start - c.source_range.start
        return replace(c, source_range=r, handles=(0, 0),
                       placement=replace(c.placement, record=FrameRange(r.start + offset, r.end + offset)))

    def session_dir(self, root: Path) -> Path:
        return root / self.key
