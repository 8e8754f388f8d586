"""Any length, native resolution: a video model's fixed window and working size, made to fit a clip.

Pure logic, no model: a video model takes a window of `4k + 1` frames at its working size; a clip
is longer and bigger. Three things answer that, each a function here, and `run_windows` composes
them around any model that follows `VideoModel` (Wan VACE in `learned.vace`; a stand-in in tests):

- **Windows with overlap.** The range is cut into windows of the model's length that overlap by
  `overlap` frames (the last window is moved back so it ends at the range's end, never padded
  unless the whole range is shorter than a window). A window's overlap frames are given to the
  model as *keep* frames: the previous window's output, mask 0, so the model continues it instead
  of starting again. At each join the new window's colours are matched to the previous output (a
  gain and offset per channel, measured inside the region on the keep frames, where the two should
  agree), then the overlap frames are blended linearly from the old output into the new.
- **Crop and stitch.** The model sees the box around the window's masks, grown by context and to
  the model's aspect, at its working size (`plan_video_crop`); its output is scaled back and
  composited through the feathered mask (`learned.crop.stitch`), so every pixel outside the
  feathered mask is the source's, bit for bit, at 1080p and 4K alike.
- **Resumable, flat memory.** Each finished window writes its frames (the box it changed, losslessly
  as PNG) into its own folder, published by one rename with a done marker; a killed job resumes at
  the first window without one. A window draws its noise from `seed + window index`, and its keep
  frames are always read back from disk, so a resumed run is byte-identical to an uninterrupted one.
  At most one window of frames is in memory, whatever the clip's length.
"""

from __future__ import annotations

import json
import math
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

from ..errors import InvalidArgument
from ..ops.feather import Region
from .crop import CONTEXT, MIN_CONTEXT, Crop, mask_to_model, stitch, to_model

DONE = "done"


def model_frames(count: int) -> int:
    """The smallest window of the form 4k + 1 that holds `count` frames (what Wan's VAE needs)."""
    if count < 1:
        raise ValueError(f"a window holds at least one frame, got {count}")
    return 4 * ((count - 1 + 3) // 4) + 1


@dataclass(frozen=True)
class Window:
    """Frames [start, end) of the range (offsets from its first frame); the first `keep` of them are
    the previous window's output, given to the model to continue."""

    index: int
    start: int
    end: int
    keep: int

    def __len__(self) -> int:
        return self.end - self.start


def plan_windows(count: int, length: int, overlap: int) -> list[Window]:
    """Windows of `length` frames over `count`, overlapping by at least `overlap`."""
    if length < 1 or (length - 1) % 4:
        raise InvalidArgument(f"expected a window length of 4k+1 frames, got {length}", field="params.window")
    if not 0 <= overlap < length:
        raise InvalidArgument(f"expected an overlap of 0 to {length - 1} frames, got {overlap}",
                              field="params.overlap")
    if count <= length:
        return [Window(0, 0, count, 0)] if count > 0 else []
    windows, start = [Window(0, 0, length, 0)], length - overlap
    while True:
        start = min(start, count - length)  # the last one moves back to end at the range's end
        prev = windows[-1]
        windows.append(Window(len(windows), start, start + length, prev.end - start))
        if start + length >= count:
            return windows
        start += length - overlap


def join_weights(keep: int) -> np.ndarray:
    """The new window's weight on each of its `keep` overlap frames: a linear ramp that reaches
    neither 0 nor 1 inside the overlap, so both windows contribute to every overlap frame."""
    return (np.arange(1, keep + 1, dtype=np.float32) / np.float32(keep + 1)) if keep else np.zeros(0, np.float32)


@dataclass(frozen=True)
class ColourMatch:
    """Per-channel `gain * x + offset` taking the new window's colours to the previous output's."""

    gain: np.ndarray
    offset: np.ndarray

    @classmethod
    def identity(cls, channels: int = 3) -> ColourMatch:
        return cls(np.ones(channels, np.float32), np.zeros(channels, np.float32))

    def apply(self, frames: np.ndarray) -> np.ndarray:
        return np.clip(frames * self.gain + self.offset, 0.0, 1.0).astype(np.float32)


#: how far a join's colour match may stretch a channel: a larger mismatch is the content changing,
#: not a colour shift, and stretching it would be worse than the seam
GAIN_LIMITS = (0.5, 2.0)
#: added to both spreads (of 1): below it a channel counts as flat
SPREAD_FLOOR = 0.02


def match_colour(new: np.ndarray, reference: np.ndarray, region: np.ndarray | None) -> ColourMatch:
    """Mean and spread of `new` (float (T, h, w, 3), 0..1) matched to `reference` inside `region`
    ((T, h, w) bool; None: everywhere). Fewer than 16 region pixels: no change."""
    if region is None:
        region = np.ones(new.shape[:3], bool)
    if region.sum() < 16:
        return ColourMatch.identity(new.shape[-1])
    a = new[region].astype(np.float64)
    b = reference[region].astype(np.float64)
    sa, sb = a.std(axis=0), b.std(axis=0)
    # a flat region has no spread to match: the regulariser makes its gain 1 and leaves the offset to work
    gain = np.clip((sb + SPREAD_FLOOR) / (sa + SPREAD_FLOOR), *GAIN_LIMITS)
    offset = b.mean(axis=0) - gain * a.mean(axis=0)
    return ColourMatch(gain.astype(np.float32), offset.astype(np.float32))


def plan_video_crop(shape: tuple[int, ...], mask: np.ndarray | None, *, multiple: int, working_area: int | None,
                    aspect: float | None, feather: float) -> Crop:
    """The box a window's model sees and the size it sees it at.

    `mask` (uint8, >= 128 inside: the union of the window's masks; None: the whole frame). The box
    grows by the feather and some context, then toward the model's aspect (`aspect`: width over
    height of its working size, turned to the box's own orientation) as far as the frame allows,
    and is scaled to `working_area` pixels (None: the box's own size), both sides multiples of
    `multiple`.
    """
    h, w = shape[:2]
    if mask is None:
        region = Region.full(shape)
    else:
        x, y, bw, bh = cv2.boundingRect((mask >= 128).view(np.uint8))
        if bw == 0 or bh == 0:
            raise ValueError("the mask is empty")
        margin = int(round(feather)) + 1 + max(MIN_CONTEXT, int(CONTEXT * max(bw, bh)))
        region = Region(y, y + bh, x, x + bw).grow(margin, shape)
        if aspect:
            region = _toward_aspect(region, aspect, shape)
    rw, rh = region.x1 - region.x0, region.y1 - region.y0
    scale = math.sqrt(working_area / (rw * rh)) if working_area else 1.0
    work_w = max(multiple, int(round(rw * scale / multiple)) * multiple)
    work_h = max(multiple, int(round(rh * scale / multiple)) * multiple)
    return Crop(region, work_w, work_h)


def _toward_aspect(region: Region, aspect: float, shape: tuple[int, ...]) -> Region:
    h, w = shape[:2]
    rw, rh = region.x1 - region.x0, region.y1 - region.y0
    target = aspect if rw >= rh else 1.0 / aspect  # a tall box is worked in the model's portrait orientation
    if rw / rh < target:
        want = min(w, int(round(rh * target)))
        x0 = min(max(0, region.x0 - (want - rw) // 2), w - want)
        return Region(region.y0, region.y1, x0, x0 + want)
    want = min(h, int(round(rw / target)))
    y0 = min(max(0, region.y0 - (want - rh) // 2), h - want)
    return Region(y0, y0 + want, region.x0, region.x1)


# ------------------------------------------------------------------------------------ the model seam


@dataclass
class ModelWindow:
    """One call of a video model: frames and masks at its working size, frame count 4k + 1."""

    video: np.ndarray  # uint8 (T, h, w, 3)
    mask: np.ndarray  # uint8 (T, h, w): 255 = generate, 0 = keep what `video` shows
    seed: int
    reference: np.ndarray | None = None  # uint8 (h, w, 3): a style or content reference image


class VideoModel(Protocol):
    """What `run_windows` needs of a model. `generate` returns float (T, h, w, 3) in 0..1, calls
    `step(done, total)` after each denoising step and lets engine.errors.Cancelled through."""

    @property
    def window(self) -> int: ...  # frames per call, 4k + 1

    @property
    def multiple(self) -> int: ...  # the sides' multiple (VAE x patch)

    @property
    def working_area(self) -> int | None: ...  # pixels it was trained at; None: the box's own size

    @property
    def aspect(self) -> float | None: ...  # width / height of its working size

    def generate(self, window: ModelWindow, step: Callable[[int, int], None]) -> np.ndarray: ...


@dataclass
class FrameInput:
    """One frame of the range as the op gives it."""

    #: what the output shows outside the region and what the model is shown (the source; for
    #: `remove`, the classical fill)
    base: np.ndarray
    #: uint8 0/255, 255 = generate here; None = the whole frame
    mask: np.ndarray | None
    #: a picture the model must keep on this frame (an edited keyframe), instead of generating it
    condition: np.ndarray | None = None
    #: where the output may differ from `base` at all (bool); None: wherever the feathered mask reaches
    limit: np.ndarray | None = None


@dataclass(frozen=True)
class WindowSettings:
    overlap: int = 8
    feather: float = 4.0
    #: px the model's mask is grown by beyond the editor's (at working size), so what the feather blends
    #: in is generated too
    grow: int = 2
    seed: int = 0
    #: 1: the model's output; below: mixed with what it was shown (restyle's strength)
    strength: float = 1.0
    reference: np.ndarray | None = None


@dataclass(frozen=True)
class WindowProgress:
    window: int
    windows: int
    step: int
    steps: int


def window_folder(folder: Path, index: int) -> Path:
    return folder / f"window-{index:05d}"


class StoredFrames:
    """What finished windows wrote: for each frame the box it changed, read back onto a base frame."""

    def __init__(self, folder: Path, windows: list[Window], start: int) -> None:
        self.folder, self.windows, self.start = folder, windows, start

    def owner(self, offset: int) -> Window:
        """The last window holding range offset `offset`: its version of a shared frame is the blended one."""
        return next(w for w in reversed(self.windows) if w.start <= offset < w.end)

    def done(self, window: Window) -> bool:
        return (window_folder(self.folder, window.index) / DONE).exists()

    def frame(self, window: Window, index: int, base: np.ndarray) -> np.ndarray:
        """Frame `index` (a source frame index) as `window` wrote it, over `base`."""
        where = window_folder(self.folder, window.index)
        boxes = json.loads((where / "boxes.json").read_text())
        out = base.copy()
        box = boxes.get(str(index))
        if box is None:
            return out
        y0, y1, x0, x1 = box
        patch = cv2.imread(str(where / f"{index:06d}.png"), cv2.IMREAD_UNCHANGED)
        if patch is None:
            raise FileNotFoundError(where / f"{index:06d}.png")
        out[y0:y1, x0:x1] = patch[..., ::-1] if patch.ndim == 3 else patch[..., None]
        return out

    def final(self, index: int, base: np.ndarray) -> np.ndarray:
        return self.frame(self.owner(index - self.start), index, base)


def _union(masks: list[np.ndarray | None]) -> np.ndarray | None:
    given = [m for m in masks if m is not None]
    if not given:
        return None
    out = np.zeros(given[0].shape, np.uint8)
    for m in given:
        out = np.maximum(out, np.where(m >= 128, 255, 0).astype(np.uint8))
    return out if out.any() else None  # masks that are all empty here (the object left the frame)


def _box_of(changed: np.ndarray) -> tuple[int, int, int, int] | None:
    x, y, w, h = cv2.boundingRect(changed.astype(np.uint8))
    return None if w == 0 or h == 0 else (y, y + h, x, x + w)


def run_windows(model: VideoModel, start: int, count: int, inputs: Callable[[int], FrameInput], folder: Path,
                settings: WindowSettings, *, whole_frame: bool = False,
                progress: Callable[[WindowProgress], None] = lambda p: None,
                check_cancelled: Callable[[], None] = lambda: None) -> StoredFrames:
    """Generates frames [start, start + count) window by window into `folder`; skips finished windows.

    `inputs(index)` gives a source frame's base, mask and condition. `whole_frame`: the region is
    the whole frame on every frame (masks are ignored). Returns the reader of what was written.
    """
    windows = plan_windows(count, model.window, min(settings.overlap, model.window - 1))
    folder.mkdir(parents=True, exist_ok=True)
    stored = StoredFrames(folder, windows, start)
    for window in windows:
        check_cancelled()
        if stored.done(window):
            continue
        _run_window(model, window, len(windows), start, inputs, stored, settings, whole_frame, progress,
                    check_cancelled)
    return stored


def _run_window(model: VideoModel, window: Window, windows: int, start: int, inputs: Callable[[int], FrameInput],
                stored: StoredFrames, settings: WindowSettings, whole_frame: bool,
                progress: Callable[[WindowProgress], None], check_cancelled: Callable[[], None]) -> None:
    indices = list(range(start + window.start, start + window.end))
    given = [inputs(i) for i in indices]
    masks = [None if whole_frame else g.mask for g in given]
    # the frames the model continues from: the previous window's output, read back from disk so a
    # resumed run sees exactly the bytes an uninterrupted one did
    previous = stored.windows[window.index - 1] if window.keep else None
    before = [stored.frame(previous, indices[k], given[k].base) for k in range(window.keep)] if previous else []
    region = None if whole_frame else _union(masks)
    result: dict[int, tuple[np.ndarray, tuple[int, int, int, int] | None]] = {}
    if whole_frame or region is not None:
        crop = plan_video_crop(given[0].base.shape, region, multiple=model.multiple,
                               working_area=model.working_area, aspect=model.aspect, feather=settings.feather)
        shown, want = [], []
        for k, g in enumerate(given):
            keep = before[k] if k < window.keep else g.condition
            shown.append(to_model(g.base if keep is None else keep, crop))
            if keep is not None:
                want.append(np.zeros((crop.work_height, crop.work_width), np.uint8))
            elif masks[k] is None:
                want.append(np.full((crop.work_height, crop.work_width), 255, np.uint8))
            else:
                want.append(mask_to_model(masks[k], crop, grow=settings.grow))
        frames = model_frames(len(shown))
        video = np.stack(shown + [shown[-1]] * (frames - len(shown)))
        wanted = np.stack(want + [want[-1]] * (frames - len(want)))
        reference = None if settings.reference is None else cv2.resize(
            settings.reference, (crop.work_width, crop.work_height), interpolation=cv2.INTER_AREA)
        out = model.generate(ModelWindow(video, wanted, settings.seed + window.index, reference),
                             lambda done, total: (progress(WindowProgress(window.index, windows, done, total)),
                                                  check_cancelled()))
        out = np.asarray(out, np.float32)[: len(shown)]
        if settings.strength < 1.0:
            out = settings.strength * out + (1.0 - settings.strength) * (video[: len(shown)] / np.float32(255))
        if window.keep:
            inside = wanted[: window.keep] == 0 if whole_frame else np.stack(
                [mask_to_model(m, crop) >= 128 if m is not None else np.ones(out.shape[1:3], bool)
                 for m in masks[: window.keep]])
            match = match_colour(out[: window.keep], video[: window.keep] / np.float32(255), inside)
            out = match.apply(out)
        weights = join_weights(window.keep)
        for k, (index, g) in enumerate(zip(indices, given, strict=True)):
            frame = stitch(g.base, out[k], crop, masks[k], settings.feather) if (whole_frame or masks[k] is not None
                                                                                 ) else g.base.copy()
            if g.limit is not None:
                frame = np.where(g.limit[..., None], frame, g.base)
            if k < window.keep:
                old = before[k]
                mixed = np.rint(old.astype(np.float32) * (1 - weights[k]) + frame.astype(np.float32) * weights[k])
                frame = np.where(old == frame, frame, mixed.astype(frame.dtype))
            result[index] = (frame, _box_of((frame != g.base).any(axis=2)))
    else:  # nothing to generate in this window: every frame is its base (or the previous output)
        for k, (index, g) in enumerate(zip(indices, given, strict=True)):
            frame = before[k] if k < window.keep else g.base
            result[index] = (frame, _box_of((frame != g.base).any(axis=2)))
    _publish(window_folder(stored.folder, window.index), result)


def _publish(where: Path, result: dict[int, tuple[np.ndarray, tuple[int, int, int, int] | None]]) -> None:
    """Writes a window's changed boxes into a temporary folder and renames it into place, marker last."""
    temp = where.with_name(where.name + ".partial")
    shutil.rmtree(temp, ignore_errors=True)
    temp.mkdir(parents=True)
    boxes = {}
    for index, (frame, box) in result.items():
        if box is None:
            continue
        y0, y1, x0, x1 = box
        patch = np.ascontiguousarray(frame[y0:y1, x0:x1, ::-1])
        if not cv2.imwrite(str(temp / f"{index:06d}.png"), patch):
            raise OSError(f"cannot write {temp / f'{index:06d}.png'}")
        boxes[str(index)] = list(box)
    (temp / "boxes.json").write_text(json.dumps(boxes))
    shutil.rmtree(where, ignore_errors=True)
    os.replace(temp, where)
    (where / DONE).touch()
