"""One mask image file as coverage 0..255, and the objects of a multi-object mask.

How a mask image is read:
- white on black (grey levels are soft edges): its brightness, or its alpha channel when it
  has one that varies. Coverage >= 128 of 255 is the object.
- a palette PNG whose colours are not all grey (DAVIS annotations, most roto tools' ID
  mattes): each palette index is an object, index 0 (and any black entry) the background.
- any other colour image: each flat colour is an object, black the background (colours are
  compared to within 4 of 255 per channel, so a lightly compressed file keeps its objects;
  a colour on fewer than 16 pixels or 0.05 % of the frame is an edge blend, not an object).
One object: it is the mask. Several: refused, listing them, unless `pick` names one (a
palette index "N"; for other images "N", the N-th colour listed, or "#RRGGBB"). A picked
object absent from an image gives an empty mask (the object is off screen on that frame).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av
import cv2
import numpy as np

from ..errors import CorruptMedia, InvalidArgument
from . import sequence
from .paths import atomic_temp_path, publish

#: more objects than this and the image is a picture, not a mask
MAX_OBJECTS = 32
#: channel values within this of each other read as grey (compression noise on a grey mask)
GREY_TOLERANCE = 24
#: below this (every channel, of 255) a pixel is the background of a colour mask
BLACK = 32
#: colours are compared in steps of this (of 255): rounding absorbs light compression noise
_STEP = 8


@dataclass(frozen=True)
class MaskObject:
    """One object of a multi-object mask: what `pick` names it by, its colour, its size."""

    key: int  # palette index, or the quantised colour packed as 0xRRGGBB steps
    name: str  # "index 3" or "#FF0000"
    colour: tuple[int, int, int]
    pixels: int

    def __str__(self) -> str:
        if self.name.startswith("index"):
            return f"{self.name} ({_hex(self.colour)}, {self.pixels:,} px)"
        return f"{self.name} ({self.pixels:,} px)"


def read_mask(path: Path, *, field: str = "mask", pick: str = "") -> np.ndarray:
    """uint8 (H, W) coverage 0..255 of one mask image file (see the module docstring)."""
    if _is_palette_png(path):
        labelled = _read_palette(path, field)
        if labelled is not None:
            indices, palette = labelled
            objects, keys = _palette_objects(indices, palette)
            return _choose(objects, keys, path.name, field, pick, palette=True)
    return soft_of(sequence.read_image(path, field=field), path.name, field=field, pick=pick)


def write_png_atomically(path: Path, image: np.ndarray) -> None:
    """Writes `image` as a PNG at `path` whole or not at all: a mask a render may read while the
    analysis that writes it goes on, or one a crash must not leave half-written."""
    temp = atomic_temp_path(path)
    if not cv2.imwrite(str(temp), image):
        raise OSError(f"cannot write {temp}")
    publish(temp, path)


def pin_pick(path: Path, *, field: str = "mask", pick: str = "") -> str:
    """`pick` as it names one object on every frame of a folder: a colour image's "N" (the N-th
    colour of this, the first, image) becomes that colour, "#RRGGBB"."""
    if not pick.strip().isdigit() or _is_palette_png(path) and _read_palette(path, field) is not None:
        return pick
    image = sequence.read_image(path, field=field)
    if _alpha_varies(image):
        return pick  # soft_of says why there is nothing to pick
    objects, _ = _colour_objects(_bgr8(image))
    return _hex(objects[_picked(objects, path.name, pick, False, index=True)].colour)


def soft_of(image: np.ndarray, name: str, *, field: str = "mask", pick: str = "") -> np.ndarray:
    """An image as OpenCV reads it (BGR/BGRA/grey, any depth) -> coverage 0..255."""
    if _alpha_varies(image):
        if pick:
            raise InvalidArgument(f"{name} is a mask by its alpha channel: it has no objects to pick from",
                                  field="mask_index")
        return _to_8bit(image[..., 3])
    if not pick and (image.ndim == 2 or image.shape[2] == 1):
        return _to_8bit(image.reshape(image.shape[:2]))
    bgr8 = _bgr8(image)
    if not pick and _is_grey(bgr8):
        return _to_8bit(cv2.cvtColor(np.ascontiguousarray(image[..., :3]), cv2.COLOR_BGR2GRAY))
    objects, keys = _colour_objects(bgr8)
    if not objects and not pick:  # no flat colour anywhere: a dark picture, read by brightness
        return cv2.cvtColor(bgr8, cv2.COLOR_BGR2GRAY)
    return _choose(objects, keys, name, field, pick)


def _alpha_varies(image: np.ndarray) -> bool:
    return image.ndim == 3 and image.shape[2] == 4 and image[..., 3].min() < image[..., 3].max()


def _bgr8(image: np.ndarray) -> np.ndarray:
    if image.ndim == 2 or image.shape[2] == 1:
        grey = _to_8bit(image.reshape(image.shape[:2]))
        return np.dstack([grey] * 3)
    return _to_8bit(np.ascontiguousarray(image[..., :3]))


def _to_8bit(image: np.ndarray) -> np.ndarray:
    if image.dtype == np.uint16:
        return ((image.astype(np.uint32) * 255 + 32767) // 65535).astype(np.uint8)
    if image.dtype.kind == "f":
        return np.rint(np.clip(image, 0, 1) * 255).astype(np.uint8)
    return image.astype(np.uint8)


def _is_grey(bgr8: np.ndarray) -> bool:
    chroma = bgr8.max(axis=2).astype(np.int16) - bgr8.min(axis=2)
    return int(np.count_nonzero(chroma > GREY_TOLERANCE)) <= chroma.size // 1000


def _is_palette_png(path: Path) -> bool:
    """PNG colour type 3 (indexed), read from the header."""
    if path.suffix.lower() != ".png":
        return False
    try:
        with open(path, "rb") as f:
            head = f.read(26)
    except OSError:
        return False  # read_image says what is wrong with it
    return len(head) == 26 and head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR" and head[25] == 3


def _read_palette(path: Path, field: str) -> tuple[np.ndarray, np.ndarray] | None:
    """(indices (H, W) uint8, palette (256, 3) RGB) of a palette PNG, through FFmpeg (OpenCV
    expands the palette to colours); None when every colour it uses is grey: read as grey."""
    try:
        with av.open(str(path)) as container:
            frame = next(container.decode(video=0))
            if frame.format.name != "pal8":
                return None
            indices, argb = frame.to_ndarray()  # the palette comes as ARGB (PyAV's documentation)
    except (av.error.FFmpegError, StopIteration):
        raise CorruptMedia(f"{path.name} is not an image that can be decoded", field=field) from None
    palette = np.ascontiguousarray(argb[:, 1:4])
    used = palette[np.unique(indices)]
    if (used.max(axis=1).astype(int) - used.min(axis=1) <= GREY_TOLERANCE).all():
        return None
    return np.ascontiguousarray(indices), palette


def _palette_objects(indices: np.ndarray, palette: np.ndarray) -> tuple[list[MaskObject], np.ndarray]:
    counts = np.bincount(indices.ravel(), minlength=256)
    objects = [
        MaskObject(int(i), f"index {i}", tuple(int(c) for c in palette[i]), int(counts[i]))
        for i in np.flatnonzero(counts)
        if i != 0 and palette[i].max() >= BLACK
    ]
    return objects, indices


def _colour_objects(bgr8: np.ndarray) -> tuple[list[MaskObject], np.ndarray]:
    """The flat colours of a colour mask (by colour, lowest first) and each pixel's colour key."""
    q = ((bgr8.astype(np.int32) + _STEP // 2) // _STEP).clip(0, 255 // _STEP + 1)
    keys = (q[..., 2] << 12) | (q[..., 1] << 6) | q[..., 0]  # R, G, B steps
    keys[bgr8.max(axis=2) < BLACK] = -1
    values, counts = np.unique(keys[keys >= 0], return_counts=True)
    floor = max(16, keys.size // 2000)
    objects = []
    for key, count in zip(values, counts, strict=True):
        if count >= floor:
            rgb = tuple(min(255, int(v) * _STEP) for v in ((key >> 12) & 63, (key >> 6) & 63, key & 63))
            objects.append(MaskObject(int(key), _hex(rgb), rgb, int(count)))
    return objects, keys


def _choose(objects: list[MaskObject], keys: np.ndarray, name: str, field: str, pick: str,
            *, palette: bool = False) -> np.ndarray:
    if len(objects) > MAX_OBJECTS and not palette:
        raise InvalidArgument(
            f"{name} has {len(objects)} colours: a mask is white on black (grey: soft edges), or one flat "
            f"colour per object (at most {MAX_OBJECTS})",
            field=field,
        )
    if pick:
        key = _picked(objects, name, pick, palette)
        if key is None:
            return np.zeros(keys.shape, np.uint8)
    elif len(objects) > 1:
        kind = "a palette mask" if palette else "a colour mask"
        how = "N (its palette index)" if palette else "N (the N-th colour listed) or '#RRGGBB'"
        listed = "; ".join(str(o) if palette else f"{n} = {o}" for n, o in enumerate(objects, 1))
        raise InvalidArgument(
            f"{name} is {kind} with {len(objects)} objects: {listed}; pick one with --mask-index {how}",
            field=field,
        )
    elif objects:
        key = objects[0].key
    else:
        return np.zeros(keys.shape, np.uint8)
    return np.where(keys == key, 255, 0).astype(np.uint8)


def _picked(objects: list[MaskObject], name: str, pick: str, palette: bool, *, index: bool = False) -> int | None:
    """The key `pick` names (None: an object not on this image); with `index`, its place in `objects`."""
    text = pick.strip()
    listed = ", ".join(o.name for o in objects) or "none"
    if text.startswith("#") and len(text) == 7:
        try:
            rgb = tuple(int(text[i : i + 2], 16) for i in (1, 3, 5))
        except ValueError:
            rgb = None
        if rgb is not None:
            if palette:
                return next((o.key for o in objects if o.colour == rgb), None)
            r, g, b = ((v + _STEP // 2) // _STEP for v in rgb)
            return (r << 12) | (g << 6) | b
    if text.isdigit():
        n = int(text)
        if palette:
            if 0 < n < 256:
                return n
        elif 1 <= n <= len(objects):
            return n - 1 if index else objects[n - 1].key
        raise InvalidArgument(
            f"{name} has no object {n}; its objects: {listed}" if objects else f"{name} has no objects",
            field="mask_index",
        )
    raise InvalidArgument(f"expected a number N or a colour '#RRGGBB', got {pick!r}", field="mask_index")


def _hex(rgb: tuple[int, int, int]) -> str:
    return "#{:02X}{:02X}{:02X}".format(*rgb)
