"""Image-sequence directories: which files are frames, in what order, and reading one.

Frames are ordered by the last number in their file name ("shot_0009.png" before
"shot_0010.png"), not alphabetically, so unpadded numbering ("f9", "f10") works too.
OpenCV reads them (IMREAD_UNCHANGED keeps 16-bit PNG/TIFF at 16 bits); EXR is read
where the installed OpenCV was built with it and OPENCV_IO_ENABLE_OPENEXR is set. DPX
(film scans, DI plates), which OpenCV cannot read, is read through FFmpeg.
"""

from __future__ import annotations

import re
from pathlib import Path

import av
import av.error
import cv2
import numpy as np

from ..errors import CorruptMedia, InvalidArgument, MediaUnreadable

EXTENSIONS = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".exr", ".dpx")
_NUMBER = re.compile(r"(\d+)")


def frame_number(path: Path) -> int | None:
    numbers = _NUMBER.findall(path.stem)
    return int(numbers[-1]) if numbers else None


def list_frames(directory: Path, *, field: str = "source") -> list[Path]:
    """The directory's frame files sorted by frame number; raises when there are none."""
    try:
        candidates = [
            p for p in directory.iterdir() if p.suffix.lower() in EXTENSIONS and not p.name.startswith(".")
        ]
    except PermissionError:
        raise MediaUnreadable(f"{directory} cannot be listed (check its permissions)", field=field) from None
    numbered = [(frame_number(p), p) for p in candidates]
    numbered = [(n, p) for n, p in numbered if n is not None]
    if not numbered:
        raise CorruptMedia(
            f"{directory} holds no numbered image frames ({', '.join(EXTENSIONS)})", field=field
        )
    numbered.sort(key=lambda np_: (np_[0], np_[1].name))
    for (a, pa), (b, pb) in zip(numbered, numbered[1:], strict=False):
        if a == b:
            raise InvalidArgument(f"{pa.name} and {pb.name} both claim frame number {a}", field=field)
    return [p for _, p in numbered]


def read_image(path: Path, *, field: str = "source") -> np.ndarray:
    """The file as OpenCV stores it (BGR/BGRA/gray, any depth); raises CorruptMedia."""
    if path.suffix.lower() == ".dpx":
        return _read_dpx(path, field)
    try:
        data = np.fromfile(str(path), dtype=np.uint8)
    except PermissionError:
        raise MediaUnreadable(f"{path} cannot be read (check its permissions)", field=field) from None
    except FileNotFoundError:
        raise CorruptMedia(f"{path.name} disappeared while reading", field=field) from None
    image = cv2.imdecode(data, cv2.IMREAD_UNCHANGED) if data.size else None
    if image is None:
        raise CorruptMedia(f"{path.name} is not an image that can be decoded", field=field)
    return image


def _read_dpx(path: Path, field: str) -> np.ndarray:
    """A DPX frame (film scans, DI plates; OpenCV has no DPX reader) through FFmpeg, in
    OpenCV's channel order: 8-bit files as uint8, deeper ones (10, 12, 16 bits) as uint16."""
    try:
        with av.open(str(path)) as container:
            frame = next(container.decode(video=0))
    except PermissionError:
        raise MediaUnreadable(f"{path} cannot be read (check its permissions)", field=field) from None
    except (av.error.FFmpegError, StopIteration):
        raise CorruptMedia(f"{path.name} is not a DPX image that can be decoded", field=field) from None
    deep = max(c.bits for c in frame.format.components) > 8
    rgb = frame.to_ndarray(format="rgb48le" if deep else "rgb24")
    return np.ascontiguousarray(rgb[..., ::-1])


def read_frame(path: Path, *, field: str = "source", alpha: bool = False) -> np.ndarray:
    """An RGB frame: uint8 (H, W, 3) for 8-bit files, uint16 for deeper ones; with `alpha`,
    RGBA (H, W, 4), opaque where the file has no alpha.

    Float images (EXR) are clipped to 0..1 and scaled to uint16, which keeps 16 bits of
    display-referred precision; scene-linear values above 1.0 are not preserved.
    """
    return as_rgb(read_image(path, field=field), path.name, field=field, alpha=alpha)


def as_rgb(image: np.ndarray, name: str, *, field: str = "source", alpha: bool = False) -> np.ndarray:
    """An image as `read_image` gives it, as `read_frame` returns it."""
    if image.dtype in (np.float32, np.float64, np.float16):
        image = np.rint(np.clip(image, 0.0, 1.0) * 65535.0).astype(np.uint16)
    elif image.dtype not in (np.uint8, np.uint16):
        raise CorruptMedia(f"{name} has unsupported sample type {image.dtype}", field=field)
    if image.ndim == 2:
        image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    if alpha:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2RGBA if image.shape[2] == 4 else cv2.COLOR_BGR2RGBA)
    return cv2.cvtColor(image, cv2.COLOR_BGRA2RGB if image.shape[2] == 4 else cv2.COLOR_BGR2RGB)


def has_alpha(image: np.ndarray) -> bool:
    """Whether an image as `read_image` gives it has an alpha channel."""
    return image.ndim == 3 and image.shape[2] == 4
