"""Tiny synthetic clips for review tests: each frame's index is readable from its pixels."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

W, H = 640, 360


def frame_image(n: int, *, version: bool) -> np.ndarray:
    y, x = np.mgrid[0:H, 0:W]
    img = np.zeros((H, W, 3), np.uint8)
    img[..., 0] = (40 + 60 * y / H).astype(np.uint8)  # a dusk sky
    img[..., 1] = (30 + 40 * y / H).astype(np.uint8)
    img[..., 2] = (20 + 30 * y / H).astype(np.uint8)
    img[int(H * 0.72) :] = (38, 44, 40)  # road
    cx = 60 + n * 12
    color = (40, 60, 220) if not version else (220, 140, 30)  # red car (BGR) -> recolored blue
    cv2.rectangle(img, (cx, int(H * 0.55)), (cx + 140, int(H * 0.72)), color, -1)
    cv2.rectangle(img, (cx + 30, int(H * 0.45)), (cx + 110, int(H * 0.56)), color, -1)
    cv2.rectangle(img, (cx + 40, int(H * 0.47)), (cx + 100, int(H * 0.55)), (90, 80, 70), -1)
    cv2.circle(img, (cx + 30, int(H * 0.73)), 16, (20, 20, 20), -1)
    cv2.circle(img, (cx + 110, int(H * 0.73)), 16, (20, 20, 20), -1)
    # The frame index as a big flat block in the corner: gray level 8*n decodes back robustly.
    img[8:40, W - 40 : W - 8] = min(255, 8 * n)  # top-right corner
    return img


def frame_index_of(jpeg: bytes) -> int:
    img = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    return round(float(img[14:34, W - 34 : W - 14].mean()) / 8)


def write_clip(path: Path, frames: int, *, version: bool, rate: Fraction = Fraction(24)) -> Path:
    with av.open(str(path), "w") as out:
        stream = out.add_stream("mpeg4", rate=rate)
        stream.width, stream.height, stream.pix_fmt = W, H, "yuv420p"
        stream.codec_context.qmax = 3  # near-lossless, so the index block survives
        for n in range(frames):
            vf = av.VideoFrame.from_ndarray(frame_image(n, version=version), format="bgr24")
            for packet in stream.encode(vf):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path
