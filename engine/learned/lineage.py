"""A keyframe's lineage, carried inside its PNG (a tEXt chunk keyed "retakes").

The edited keyframe travels on to `propagate` and into a version; the file itself says which
model (by manifest digest), prompt, seed and steps made it, so the edit can be reproduced.
"""

from __future__ import annotations

import json
import struct
import zlib

import cv2
import numpy as np

KEY = b"retakes"


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def encode_png(image: np.ndarray, lineage: dict) -> bytes:
    """RGB uint8/uint16 -> PNG bytes with `lineage` as JSON in a tEXt chunk before IEND."""
    ok, data = cv2.imencode(".png", cv2.cvtColor(image, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_PNG_COMPRESSION, 3])
    if not ok:
        raise RuntimeError("PNG encoding failed")
    png = data.tobytes()
    iend = png.rindex(b"IEND") - 4  # the chunk starts with its 4-byte length
    text = KEY + b"\0" + json.dumps(lineage, sort_keys=True).encode("latin-1", errors="replace")
    return png[:iend] + _chunk(b"tEXt", text) + png[iend:]


def read_lineage(png: bytes) -> dict | None:
    """The lineage JSON of a PNG written by `encode_png`, or None."""
    pos = 8
    while pos + 8 <= len(png):
        (length,) = struct.unpack(">I", png[pos:pos + 4])
        kind = png[pos + 4:pos + 8]
        data = png[pos + 8:pos + 8 + length]
        if kind == b"tEXt" and data.startswith(KEY + b"\0"):
            return json.loads(data[len(KEY) + 1:].decode("latin-1"))
        pos += 12 + length
    return None
