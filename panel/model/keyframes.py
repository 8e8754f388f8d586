"""Edited keyframes: the editor's own version of a source frame, made in any image editor.

The panel exports the source frame at full depth (16-bit PNG for a deep source), the editor
changes it elsewhere, and the edited file comes back attached to that source frame. An image
of another size would be refused by the engine after a round trip; it is refused here first,
in the same words an editor would use.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from retakes.engine.media import FrameReader, MediaInfo

EDITED_SUFFIXES = (".png", ".tif", ".tiff", ".jpg", ".jpeg")
FILE_FILTER = "Images (*.png *.tif *.tiff *.jpg *.jpeg)"


def image_size(path: str | Path) -> tuple[int, int]:
    """(width, height) of an image file; ValueError in words when it is not one."""
    path = Path(path)
    if path.suffix.lower() not in EDITED_SUFFIXES:
        raise ValueError(f"{path.name} is not a PNG, TIFF or JPEG image")
    if not path.is_file():
        raise ValueError(f"{path} does not exist")
    image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if image is None:
        raise ValueError(f"{path.name} can't be read as an image")
    return image.shape[1], image.shape[0]


def check_edited(path: str | Path, width: int, height: int) -> None:
    """Raises ValueError unless the image is exactly the clip's frame size."""
    w, h = image_size(path)
    if (w, h) != (width, height):
        raise ValueError(f"{Path(path).name} is the wrong size: expected {width}×{height} (the clip's frames), "
                         f"got {w}×{h}. Edit the exported frame without resizing or cropping it.")


def read_edited(path: str | Path) -> np.ndarray:
    """The edited image as RGB at its own depth, for the viewer (worker thread).

    Grey, BGRA and 16-bit files all come back as (h, w, 3) RGB: an image editor may save any
    of them, and the viewer should show what the engine will be sent, not refuse it.
    """
    image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if image is None:
        raise ValueError(f"{Path(path).name} can't be read as an image (moved or deleted since it was loaded?)")
    if image.dtype.kind == "f":  # a float TIFF: 0..1 scene values, shown clipped like any 8-bit viewer would
        image = (np.clip(image, 0.0, 1.0) * 255).astype(np.uint8)
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2RGB)
    return cv2.cvtColor(image, cv2.COLOR_BGRA2RGB if image.shape[2] == 4 else cv2.COLOR_BGR2RGB)


def export_name(clip_name: str, frame: int) -> str:
    return f"{Path(clip_name).stem}_frame{frame:06d}.png"


def export_frame(info: MediaInfo, frame: int, path: str | Path) -> Path:
    """Writes source frame `frame` as a PNG at the source's depth (worker thread)."""
    path = Path(path)
    with FrameReader(info) as reader:
        rgb = reader.frame(frame)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(path), cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2BGR)):
        raise OSError(f"could not write {path}")
    return path
