"""Masks from the editor: keyframe images, a folder of per-frame images, or a matte video.

White marks the region to change. The hard mask is 255 where the mask's value (its
luma, or alpha for an RGBA image with alpha) is >= 128 of 255 (half of full scale for
16-bit files), else 0; the soft mask keeps the grey levels (0..255) for feathering.
A multi-object image (a palette PNG, one colour per object) gives one object, picked by
`pick` (`mask_image` says how images are read); a matte video is read by brightness.

Single images may be given on several frames (`KeyframeMasks`): each is an anchor the
tracker restarts from.

Per-frame masks are matched by order, not by number: a folder (or matte video) must
hold exactly the source's frame count (mask i = source frame i) or exactly the range's
length (mask i = range frame A + i). They are loaded one at a time, on demand.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ..errors import InvalidArgument
from ..timecode import FrameRange
from . import sequence
from .decode import FrameReader
from .mask_image import pin_pick, read_mask
from .paths import file_version
from .probe import MediaInfo, probe

THRESHOLD = 128


def _soft(image: np.ndarray) -> np.ndarray:
    """A matte video's frame (BGR, any depth) as uint8 (H, W) coverage 0..255: its brightness."""
    image = cv2.cvtColor(np.ascontiguousarray(image[..., :3]), cv2.COLOR_BGR2GRAY)
    if image.dtype == np.uint16:
        image = (image.astype(np.uint32) * 255 + 32767) // 65535
    return image.astype(np.uint8)


def harden(soft: np.ndarray) -> np.ndarray:
    """255 where coverage >= THRESHOLD, else 0 (uint8)."""
    return cv2.threshold(soft, THRESHOLD - 1, 255, cv2.THRESH_BINARY)[1]


def _check_size(soft: np.ndarray, info: MediaInfo, what: str, field: str) -> np.ndarray:
    h, w = soft.shape[:2]
    if (w, h) != (info.width, info.height):
        raise InvalidArgument(f"{what} is {w}x{h} but the source is {info.width}x{info.height}", field=field)
    return soft


@dataclass(frozen=True)
class KeyframeMask:
    """One mask drawn on one source frame (to be tracked through the clip)."""

    frame: int
    image: np.ndarray  # hard, uint8 (H, W)
    soft_image: np.ndarray | None = None

    def soft(self) -> np.ndarray:
        return self.image if self.soft_image is None else self.soft_image


@dataclass(frozen=True)
class KeyframeMasks:
    """The editor's mask images, each drawn on its own frame (frames distinct, in order)."""

    keys: tuple[KeyframeMask, ...]

    @property
    def frames(self) -> list[int]:
        return [k.frame for k in self.keys]

    def anchors(self) -> dict[int, np.ndarray]:
        """Frame -> hard mask (uint8 0/255), what a tracker restarts from."""
        return {k.frame: k.image for k in self.keys}


class PerFrameMasks:
    """A mask for every frame of the range, read lazily (implements ops' MaskProvider)."""

    def __init__(
        self,
        info: MediaInfo,
        frame_range: FrameRange,
        *,
        files: list[Path] | None = None,
        video: MediaInfo | None = None,
        field: str = "mask",
        pick: str = "",
    ) -> None:
        self.info, self.frame_range, self.field, self.pick = info, frame_range, field, pick
        self._files, self._video = files, video
        count = len(files) if files is not None else video.frame_count  # type: ignore[union-attr]
        # Whole-clip masks are indexed by source frame; range masks from the range start.
        self.offset = 0 if count == info.frame_count else frame_range.start
        self._reader: FrameReader | None = None
        # The last mask read: an op and its preview often ask for the same frame twice.
        self._last: tuple[int, np.ndarray] | None = None

    def __len__(self) -> int:
        return len(self.frame_range)

    def soft(self, frame: int) -> np.ndarray:
        if self._last is not None and self._last[0] == frame:
            return self._last[1]
        soft = self._read_soft(frame)
        soft.setflags(write=False)  # shared by the cache: nobody may paint on it
        self._last = (frame, soft)
        return soft

    def _read_soft(self, frame: int) -> np.ndarray:
        if frame not in self.frame_range:
            raise InvalidArgument(f"frame {frame} is outside the masked range {self.frame_range}", field=self.field)
        i = frame - self.offset
        if self._files is not None:
            soft = read_mask(self._files[i], field=self.field, pick=self.pick)
            return _check_size(soft, self.info, f"mask {self._files[i].name}", self.field)
        if self._reader is None:
            self._reader = FrameReader(self._video, field=self.field)  # type: ignore[arg-type]
        rgb = self._reader.frame(i)
        return _soft(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))

    def mask(self, frame: int) -> np.ndarray:
        return harden(self.soft(frame))

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None


def load_masks(
    path: str | os.PathLike[str],
    info: MediaInfo,
    frame_range: FrameRange,
    *,
    mask_frame: int | None = None,
    field: str = "mask",
    pick: str = "",
) -> PerFrameMasks | KeyframeMask:
    """Opens a mask argument and checks its size and count against the source and range.

    A single image is a keyframe mask on `mask_frame` (default: the range's first frame).
    `pick` names the object of a multi-object mask (`mask_image`); a multi-object mask
    without it is refused, listing its objects.
    """
    from .probe import check_readable

    p = check_readable(Path(path), field=field)
    if p.is_dir():
        files = sequence.list_frames(p, field=field)
        _check_count(len(files), info, frame_range, f"{p.name} holds {len(files)} mask images", field)
        pick = pin_pick(files[0], field=field, pick=pick)
        w, h = _image_size(files[0], file_version(files[0]), field, pick)
        _check_size(np.empty((h, w), np.uint8), info, f"mask {files[0].name}", field)
        return PerFrameMasks(info, frame_range, files=files, field=field, pick=pick)
    if p.suffix.lower() in sequence.EXTENSIONS:
        soft = _check_size(read_mask(p, field=field, pick=pick), info, "the mask", field)
        frame = frame_range.start if mask_frame is None else mask_frame
        if frame not in frame_range:
            raise InvalidArgument(f"mask frame {frame} is outside the range {frame_range}", field="mask_frame")
        return KeyframeMask(frame, harden(soft), soft)
    if pick:
        raise InvalidArgument("a matte video is read by its brightness: it has no objects to pick from",
                              field="mask_index")
    video = probe(p, field=field)
    _check_count(video.frame_count, info, frame_range, f"the matte {p.name} has {video.frame_count} frames", field)
    if (video.width, video.height) != (info.width, info.height):
        raise InvalidArgument(
            f"the matte is {video.width}x{video.height} but the source is {info.width}x{info.height}",
            field=field,
        )
    return PerFrameMasks(info, frame_range, video=video, field=field)


@functools.lru_cache(maxsize=64)
def _image_size(path: Path, version: tuple[int, int], field: str, pick: str) -> tuple[int, int]:
    """(w, h) of a mask image file, which is read as a mask (a multi-object one is refused now,
    not mid-job), decoded once per file version: every preview plans anew, and decoding a 1080p
    mask just to check its size cost as much as a third of a GPU preview."""
    h, w = read_mask(path, field=field, pick=pick).shape[:2]
    return w, h


def _check_count(count: int, info: MediaInfo, frame_range: FrameRange, what: str, field: str) -> None:
    if count not in (info.frame_count, len(frame_range)):
        raise InvalidArgument(
            f"{what}; expected {info.frame_count} (one per source frame) or {len(frame_range)} "
            f"(one per frame of the range {frame_range})",
            field=field,
        )
