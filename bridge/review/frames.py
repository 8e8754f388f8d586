"""Per-frame JPEGs of a version (or of the original range) for the local review page.

Why stills and not a <video>: browsers seek a video to a *time*, land on the nearest decodable
frame, and round differently per engine (Chromium, Safari and Firefox disagree by a frame at
23.976). Serving frame N as its own image makes "frame N" mean exactly the Nth decoded frame
on every browser; playback is the page showing frame floor(t * rate) from preloaded images.
Review shots are seconds long, so a few hundred JPEGs per version are cheap.

Decoding is sequential with PyAV (no seeking, so no keyframe rounding either), done once per
media on first request and cached on disk under a key of the media's path, size and mtime;
a re-rendered version gets a new key. A PNG-sequence version (a folder, as `retakes edit -o
DIR` writes) or an image-sequence source is read frame file by frame file, in the engine's
own order (frames sorted by the number in their names).
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from pathlib import Path

import av
import cv2
import numpy as np

from retakes.engine.media import sequence

JPEG_QUALITY = 90
MAX_WIDTH = 1920  # bigger frames are scaled down for the browser; the count never changes


@dataclass(frozen=True)
class FrameSource:
    media_path: Path
    first_frame: int  # media frame of the range's frame 0
    frame_count: int


class FrameCache:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def _key(self, src: FrameSource) -> str:
        st = src.media_path.stat()
        raw = f"{src.media_path.resolve()}|{st.st_size}|{st.st_mtime_ns}|{src.first_frame}|{src.frame_count}"
        return hashlib.sha256(raw.encode()).hexdigest()[:24]

    def frame(self, src: FrameSource, index: int) -> bytes:
        """JPEG bytes of frame `index` (0-based within the source range)."""
        if not 0 <= index < src.frame_count:
            raise IndexError(f"frame {index} outside 0..{src.frame_count - 1}")
        key = self._key(src)
        folder = self.root / key
        path = folder / f"{index:06d}.jpg"
        if not path.exists():
            with self._guard:
                lock = self._locks.setdefault(key, threading.Lock())
            with lock:  # one decode per media, however many browsers ask at once
                if not (folder / "complete").exists():
                    self._extract(src, folder)
        return path.read_bytes()

    def _extract(self, src: FrameSource, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        written = 0
        for n, image in enumerate(_images(src)):
            h, w = image.shape[:2]
            if w > MAX_WIDTH:
                image = cv2.resize(image, (MAX_WIDTH, round(h * MAX_WIDTH / w)), interpolation=cv2.INTER_AREA)
            ok, jpg = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
            if not ok:
                raise RuntimeError(f"could not encode frame {src.first_frame + n} of {src.media_path}")
            tmp = folder / f".{written:06d}.tmp"
            tmp.write_bytes(jpg.tobytes())
            tmp.replace(folder / f"{written:06d}.jpg")  # readers never see half a JPEG
            written += 1
        if written < src.frame_count:
            raise RuntimeError(
                f"{src.media_path} has only {written} frames from {src.first_frame}, "
                f"expected {src.frame_count}"
            )
        (folder / "complete").touch()


def _images(src: FrameSource):
    """The range's frames as 8-bit BGR images, in order."""
    if src.media_path.is_dir():
        files = sequence.list_frames(src.media_path)[src.first_frame : src.first_frame + src.frame_count]
        for f in files:
            rgb = sequence.as_rgb(sequence.read_image(f), f.name)
            if rgb.dtype == np.uint16:
                rgb = (rgb >> 8).astype(np.uint8)
            yield cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
        return
    with av.open(str(src.media_path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        written = 0
        for n, frame in enumerate(container.decode(stream)):
            if n < src.first_frame:
                continue
            if written >= src.frame_count:
                break
            yield frame.to_ndarray(format="bgr24")
            written += 1
