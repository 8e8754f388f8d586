"""Synthetic clips with exact ground truth, and in-memory frame/mask sources.

A textured object moves (and turns slightly, under a moving light) over a textured
background that pans. Because the clip is composed in code, the object's mask is exact
on every frame, and so is the clean background behind it: tests and `bench/quality.py`
measure tracking, propagation and removal against truth, not against another method.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import cv2
import numpy as np

from ..timecode import FrameRange


def texture(rng: np.random.Generator, h: int, w: int, scales=(4, 16, 48)) -> np.ndarray:
    """Smooth multi-scale coloured noise, float32 (h, w, 3) in 0..1."""
    out = np.zeros((h, w, 3), np.float32)
    for s in scales:
        small = rng.random((max(2, h // s), max(2, w // s), 3)).astype(np.float32)
        out += cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC) / len(scales)
    return np.clip(out, 0, 1)


@dataclass
class Scene:
    frames: list[np.ndarray]
    masks: list[np.ndarray]
    #: the background alone, as each frame would show it without the object
    backgrounds: list[np.ndarray]


def make_scene(
    width: int = 128,
    height: int = 96,
    n: int = 16,
    *,
    seed: int = 0,
    pan: tuple[float, float] = (1.5, 0.5),
    speed: tuple[float, float] = (2.0, 1.0),
    size: float = 0.28,
) -> Scene:
    """A textured blob moving over a panning textured background, exact masks."""
    rng = np.random.default_rng(seed)
    margin = int(abs(pan[0]) * n + abs(pan[1]) * n) + 8
    big = texture(rng, height + 2 * margin, width + 2 * margin)
    big = 0.15 + 0.7 * big  # mid-tones: room for edits in both directions
    hue = rng.uniform(0, 360)
    obj_tex = texture(rng, height, width, scales=(3, 8))
    base = np.array(cv2.cvtColor(np.float32([[[hue, 0.7, 0.85]]]), cv2.COLOR_HSV2RGB)[0, 0])
    obj_rgb = np.clip(base * (0.55 + 0.6 * obj_tex), 0, 1)
    # a random star-ish blob: polygon of noisy radii
    r0 = size * min(width, height) / 2
    ang = np.linspace(0, 2 * np.pi, 24, endpoint=False)
    rad = r0 * (1 + 0.25 * rng.standard_normal(24).clip(-1.5, 1.5))
    poly = np.stack([np.cos(ang) * rad, np.sin(ang) * rad], 1)
    frames, masks, bgs = [], [], []
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    for t in range(n):
        ox, oy = margin + pan[0] * t, margin + pan[1] * t
        m_bg = np.float32([[1, 0, ox], [0, 1, oy]])
        bg = cv2.warpAffine(big, m_bg, (width, height), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP)
        cx = width * 0.3 + speed[0] * t
        cy = height * 0.45 + speed[1] * t
        theta = 0.02 * t
        rot = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
        pts = (poly @ rot.T + [cx, cy]).astype(np.int32)
        mask = np.zeros((height, width), np.uint8)
        cv2.fillPoly(mask, [pts], 255)
        # object texture moves with the object; a light sweeps across it over time
        m_obj = np.float32([[1, 0, cx - width * 0.3], [0, 1, cy - height * 0.45]])
        tex = cv2.warpAffine(obj_rgb, m_obj, (width, height), borderMode=cv2.BORDER_REFLECT)
        light = 0.8 + 0.35 * np.cos((xx - cx) / width * 3 + 0.15 * t)[..., None]
        obj = np.clip(tex * light, 0, 1)
        frame = np.where(mask[..., None] > 0, obj, bg)
        frames.append(np.rint(frame * 255).astype(np.uint8))
        masks.append(mask)
        bgs.append(np.rint(bg * 255).astype(np.uint8))
    return Scene(frames, masks, bgs)


def with_pole(scene: Scene, *, x0: float, speed: float, width: int, seed: int = 7) -> Scene:
    """The scene with a vertical pole in front of everything, moving `speed` px a frame from `x0`:
    where it crosses the object, the object is hidden (its true mask excludes the pole). What
    loses a tracker: an occluder that sweeps across the subject."""
    rng = np.random.default_rng(seed)
    h, w = scene.frames[0].shape[:2]
    grain = rng.random((h, 1, 1)) * 30  # a little texture along the pole, so flow sees it move
    colour = np.clip(np.float32([90, 80, 70]) + grain, 0, 255).astype(np.uint8)
    frames, masks, bgs = [], [], []
    for t, (frame, mask, bg) in enumerate(zip(scene.frames, scene.masks, scene.backgrounds, strict=True)):
        lo, hi = max(0, int(round(x0 + speed * t))), min(w, int(round(x0 + speed * t)) + width)
        frame, mask, bg = frame.copy(), mask.copy(), bg.copy()
        if lo < hi:
            frame[:, lo:hi] = colour
            bg[:, lo:hi] = colour
            mask[:, lo:hi] = 0
        frames.append(frame)
        masks.append(mask)
        bgs.append(bg)
    return Scene(frames, masks, bgs)


def hue_rotate(rgb: np.ndarray, degrees: float, mask: np.ndarray | None = None) -> np.ndarray:
    """HSV hue rotation (the propagation benchmark's ground-truth edit), inside `mask`."""
    hsv = cv2.cvtColor(rgb.astype(np.float32) / 255.0, cv2.COLOR_RGB2HSV)
    hsv[..., 0] = (hsv[..., 0] + degrees) % 360.0
    out = np.rint(np.clip(cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB), 0, 1) * 255).astype(np.uint8)
    if mask is None:
        return out
    return np.where(mask[..., None] > 127, out, rgb)


@dataclass
class ArraySource:
    """A FrameSource over frames held in memory (tests, benchmarks), frame i = list[i - start]."""

    data: list[np.ndarray]
    start: int = 0
    reads: list[int] = field(default_factory=list)

    @property
    def frame_range(self) -> FrameRange:
        return FrameRange(self.start, self.start + len(self.data))

    def frame(self, index: int) -> np.ndarray:
        self.reads.append(index)
        return self.data[index - self.start]

    def frames(self, frames: FrameRange) -> Iterator[tuple[int, np.ndarray]]:
        for i in frames:
            yield i, self.frame(i)


@dataclass
class ArrayMasks:
    """A MaskProvider over per-frame masks (dict or list indexed from `start`)."""

    data: dict[int, np.ndarray]

    def mask(self, frame: int) -> np.ndarray:
        return self.data[frame]


def free_form_mask(rng: np.random.Generator, height: int, width: int, *, strokes: int = 4) -> np.ndarray:
    """Random brush strokes (the generative_inpainting / FuseFormer style), uint8 0/255."""
    mask = np.zeros((height, width), np.uint8)
    for _ in range(strokes):
        x, y = rng.uniform(0.2, 0.8) * width, rng.uniform(0.2, 0.8) * height
        brush = int(rng.uniform(0.03, 0.07) * width) + 1
        for _ in range(int(rng.integers(3, 7))):
            angle = rng.uniform(0, 2 * np.pi)
            length = rng.uniform(0.05, 0.15) * width
            nx = float(np.clip(x + length * np.cos(angle), 0, width - 1))
            ny = float(np.clip(y + length * np.sin(angle), 0, height - 1))
            cv2.line(mask, (int(x), int(y)), (int(nx), int(ny)), 255, brush)
            x, y = nx, ny
    return mask


@dataclass(frozen=True)
class ShotLook:
    """How one shot shows the object: its size, turn and place, and the shot's light."""

    scale: float
    angle: float  # degrees
    centre: tuple[float, float]  # fraction of the frame
    gain: tuple[float, float, float]  # the light's colour and strength, per channel
    drift: tuple[float, float] = (0.6, 0.3)  # px a frame the object moves within the shot


DEFAULT_LOOKS = (
    ShotLook(1.0, 0.0, (0.45, 0.5), (1.0, 1.0, 1.0)),
    ShotLook(0.7, 25.0, (0.6, 0.45), (0.75, 0.72, 0.66)),
    ShotLook(1.25, -15.0, (0.4, 0.55), (1.12, 1.08, 1.0)),
)


@dataclass
class ShotsScene(Scene):
    #: first frame of each shot after the first (a dissolve's middle frame)
    cuts: list[int] = field(default_factory=list)
    #: the object's true colours unlit, as the shot's light multiplies them (for ground truth)
    looks: tuple[ShotLook, ...] = ()


def make_shots_scene(
    width: int = 128,
    height: int = 96,
    frames_per_shot: int = 10,
    *,
    looks: tuple[ShotLook, ...] = DEFAULT_LOOKS,
    seed: int = 3,
    dissolve: int = 0,
) -> ShotsScene:
    """One textured object filmed in several shots (different size, angle, light and background),
    joined by hard cuts, or by dissolves of `dissolve` frames. Exact masks (0 on a dissolve's
    frames, where the object is half there) and the cut frames."""
    rng = np.random.default_rng(seed)
    side = int(min(width, height) * 0.5)
    tex = texture(rng, side, side, scales=(2, 4, 9))
    hue = rng.uniform(0, 360)
    base = np.array(cv2.cvtColor(np.float32([[[hue, 0.65, 0.8]]]), cv2.COLOR_HSV2RGB)[0, 0])
    obj = np.clip(base * (0.35 + 0.9 * tex), 0, 1).astype(np.float32)
    # a few dark marks: corners for the feature matcher, as a printed logo gives a real object
    for _ in range(10):
        x, y = rng.integers(4, side - 4, 2)
        cv2.circle(obj, (int(x), int(y)), int(rng.integers(1, 3)), (0.1, 0.08, 0.05), -1)
    ang = np.linspace(0, 2 * np.pi, 10, endpoint=False)
    rad = side * 0.45 * (1 + 0.12 * rng.standard_normal(10).clip(-1.5, 1.5))
    poly = np.stack([side / 2 + np.cos(ang) * rad, side / 2 + np.sin(ang) * rad], 1).astype(np.int32)
    shape = np.zeros((side, side), np.uint8)
    cv2.fillPoly(shape, [poly], 255)
    clean_frames, clean_masks = [], []
    for s, look in enumerate(looks):
        bg = texture(np.random.default_rng(seed * 31 + s), height, width)
        bg = (0.15 + 0.7 * bg) * np.float32(rng.uniform(0.6, 1.1, 3))
        shot_frames, shot_masks = [], []
        for t in range(frames_per_shot):
            cx = look.centre[0] * width + look.drift[0] * t
            cy = look.centre[1] * height + look.drift[1] * t
            m = cv2.getRotationMatrix2D((side / 2, side / 2), look.angle, look.scale)
            m[:, 2] += (cx - side / 2, cy - side / 2)
            o = cv2.warpAffine(obj, m, (width, height), flags=cv2.INTER_LINEAR)
            a = cv2.warpAffine(shape, m, (width, height), flags=cv2.INTER_LINEAR) > 127
            lit = np.clip(o * np.float32(look.gain), 0, 1)
            frame = np.where(a[..., None], lit, np.clip(bg * np.float32(look.gain), 0, 1))
            shot_frames.append(np.rint(frame * 255).astype(np.uint8))
            shot_masks.append(a.astype(np.uint8) * 255)
        clean_frames.append(shot_frames)
        clean_masks.append(shot_masks)
    frames, masks, cuts = list(clean_frames[0]), list(clean_masks[0]), []
    for s in range(1, len(looks)):
        if dissolve:
            # the last `dissolve` frames of the shot before mix into the first of this one
            a_frames = frames[-dissolve:]
            mixed = []
            for i in range(dissolve):
                w = (i + 1) / (dissolve + 1)
                mixed.append(np.rint(a_frames[i] * (1 - w) + clean_frames[s][i] * w).astype(np.uint8))
            start = len(frames) - dissolve
            frames[start:] = mixed
            masks[start:] = [np.zeros((height, width), np.uint8)] * dissolve
            cuts.append(start + dissolve // 2)
            frames += clean_frames[s][dissolve:]
            masks += clean_masks[s][dissolve:]
        else:
            cuts.append(len(frames))
            frames += clean_frames[s]
            masks += clean_masks[s]
    return ShotsScene(frames, masks, [np.zeros_like(f) for f in frames], cuts=cuts, looks=looks)
