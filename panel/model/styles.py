"""The style library: reference images the editor saved, by name, to restyle clips from.

A folder of PNGs (`<name>.png`), so a library can be copied between machines and read by any tool;
an image is re-encoded to PNG when saved (a JPEG, a TIFF or a 16-bit still all become one format
the engine reads), and the source image is never touched.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import cv2

#: a name is a file name on every system: letters, digits, spaces, - and _
_NAME = re.compile(r"[\w][\w \-]{0,62}")


@dataclass(frozen=True)
class Style:
    name: str
    path: Path


class StyleLibrary:
    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def styles(self) -> list[Style]:
        if not self.folder.is_dir():
            return []
        return [Style(p.stem, p) for p in sorted(self.folder.glob("*.png"), key=lambda p: p.stem.lower())]

    def get(self, name: str) -> Style:
        path = self.folder / f"{name}.png"
        if not path.is_file():
            raise KeyError(f"no style named {name!r} in the library")
        return Style(name, path)

    def save(self, image: Path, name: str, *, replace: bool = False) -> Style:
        """Adds `image` under `name`; ValueError says what is wrong (the name, the file, a clash)."""
        name = name.strip()
        if not _NAME.fullmatch(name):
            raise ValueError(f"style name {name!r}: use letters, digits, spaces, - and _ (at most 63)")
        pixels = cv2.imread(str(image), cv2.IMREAD_UNCHANGED)
        if pixels is None:
            raise ValueError(f"{Path(image).name} is not an image that can be read")
        path = self.folder / f"{name}.png"
        if path.exists() and not replace:
            raise ValueError(f"the library already has a style named {name!r}")
        self.folder.mkdir(parents=True, exist_ok=True)
        temp = self.folder / f".{name}.partial.png"
        if not cv2.imwrite(str(temp), pixels):
            raise ValueError(f"cannot write {temp}")
        os.replace(temp, path)  # whole or not at all
        return Style(name, path)

    def remove(self, name: str) -> None:
        self.get(name).path.unlink()
