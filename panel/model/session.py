"""What the editor is working on: the clip, its keyframes and masks, the tracked overlay.

Masks live here in memory and are mirrored to disk after each stroke (by the controller, off
the GUI thread), so neither an engine restart nor a panel restart loses painted work.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from retakes.bridge.clipref import ClipRef
from retakes.engine.media import MediaInfo

from .mask import MaskDocument
from .transport import Transport


@dataclass
class Compare:
    left: int = 0  # version id, 0 = the original
    right: int = 0
    mode: str = "wipe"
    wipe: float = 0.5
    show_right: bool = True


@dataclass
class ClipSession:
    clip: ClipRef
    info: MediaInfo
    transport: Transport = field(default_factory=Transport)
    keyframes: set[int] = field(default_factory=set)
    masks: dict[int, MaskDocument] = field(default_factory=dict)
    tracked_dir: str = ""  # folder of per-frame masks from `track` (output frame i = first + i)
    tracked_key: tuple[int, bytes] | None = None  # (frame, mask digest) the overlay was tracked from
    compare: Compare | None = None
    edited: dict[int, str] = field(default_factory=dict)  # source frame -> the editor's edited image

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

    def mask_here(self, create: bool = False) -> MaskDocument | None:
        f = self.frame
        if f not in self.masks and create:
            self.masks[f] = MaskDocument(self.info.width, self.info.height)
            self.keyframes.add(f)
        return self.masks.get(f)

    def toggle_keyframe(self) -> bool:
        f = self.frame
        if f in self.keyframes:
            self.keyframes.discard(f)
            return False
        self.keyframes.add(f)
        return True

    def attach_edited(self, frame: int, path: str) -> None:
        """`path` replaces any edited image already on `frame`; the frame becomes a keyframe."""
        self.edited[frame] = path
        self.keyframes.add(frame)

    def remove_edited(self, frame: int) -> None:
        self.edited.pop(frame, None)
        mask = self.masks.get(frame)
        if mask is None or mask.empty:
            self.keyframes.discard(frame)

    def mask_keyframe(self) -> int | None:
        """The keyframe whose mask goes to the engine: the painted one nearest the playhead."""
        painted = [f for f, m in self.masks.items() if not m.empty]
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

    def session_dir(self, root: Path) -> Path:
        return root / self.key
