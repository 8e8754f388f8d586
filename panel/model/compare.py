"""Compare two frames: side by side, wipe, difference, toggle. Pure numpy, no widgets."""

from __future__ import annotations

import numpy as np

MODES = ("side", "wipe", "difference", "toggle")
DIFF_GAIN = 4.0  # small changes must be visible; 1/4 of full scale saturates


def _same_size(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if a.shape == b.shape:
        return b
    import cv2

    return cv2.resize(b, (a.shape[1], a.shape[0]), interpolation=cv2.INTER_AREA)


def difference(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The original dimmed in grey, with every changed pixel lit in orange by how much it changed."""
    b = _same_size(a, b)
    delta = np.abs(a.astype(np.int16) - b.astype(np.int16)).max(axis=2).astype(np.float32) / 255.0
    heat = np.clip(delta * DIFF_GAIN, 0, 1)[..., None]
    grey = a.astype(np.float32).mean(axis=2, keepdims=True) * 0.35
    orange = np.array([255, 150, 40], np.float32)
    return np.clip(grey * (1 - heat) + orange * heat, 0, 255).astype(np.uint8)


def compose(a: np.ndarray, b: np.ndarray, mode: str, *, wipe: float = 0.5, show_b: bool = True) -> np.ndarray:
    """`a` is the left/before side, `b` the right/after side."""
    if mode not in MODES:
        raise ValueError(f"compare mode must be one of {MODES}")
    b = _same_size(a, b)
    if mode == "side":
        gap = np.full((a.shape[0], max(2, a.shape[1] // 160), 3), 18, np.uint8)
        return np.hstack([a, gap, b])
    if mode == "wipe":
        x = int(round(np.clip(wipe, 0, 1) * a.shape[1]))
        out = b.copy()
        out[:, :x] = a[:, :x]
        return out
    if mode == "difference":
        return difference(a, b)
    return b if show_b else a
