"""`background`: replace everything outside the subject mask with a still or moving plate.

The editor's mask is binary; hair and motion blur are not. The subject's alpha is the mask refined by
a guided filter guided by the frame's luma, inside a band of `edge_softness` pixels around the mask
edge: there it takes fractional values that follow the image's own edges. Deeper inside the subject
alpha is exactly 1 and the source pixel is returned bit for bit; farther outside it is exactly 0 (pure
plate). Optional light wrap lets the plate's light spill over the subject's edge, only where 0 < alpha < 1.

Plates are read with OpenCV directly (images, or videos frame by frame in step with the clip, looping
when shorter), fitted to the frame by `cover` (scale to fill, centre crop) or `stretch`.
"""

from __future__ import annotations

import functools
from pathlib import Path

import cv2
import numpy as np

from ..errors import CorruptMedia, MediaNotFound
from ..media.paths import file_version
from . import register
from .base import EditContext, MaskUse, Op, OpSpec, ParamSpec, ParamType
from .color import torch_device
from .feather import Region, check_mask, gaussian, guided_filter

FIELD = "params.plate"
#: Regularisation of the matte's guided filter (guide in 0..1): small, so the matte follows edges.
MATTE_EPS = 1e-3


def fit(plate: np.ndarray, size: tuple[int, int], mode: str) -> np.ndarray:
    """Resize a plate (H, W, 3) to `size` = (w, h) by `cover` or `stretch`."""
    w, h = size
    ph, pw = plate.shape[:2]
    if mode == "cover" and (pw, ph) != (w, h):
        s = max(w / pw, h / ph)
        cw, ch = min(pw, int(np.ceil(w / s))), min(ph, int(np.ceil(h / s)))
        x0, y0 = (pw - cw) // 2, (ph - ch) // 2
        plate = plate[y0 : y0 + ch, x0 : x0 + cw]
    if plate.shape[:2] == (h, w):
        return plate
    shrink = plate.shape[0] > h
    return cv2.resize(plate, (w, h), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR)


class Plate:
    """An image or a video, as float32 RGB code-unit frames (0..1) of the clip's size."""

    def __init__(self, path: str, size: tuple[int, int], mode: str) -> None:
        self.path, self.size, self.mode = Path(path), size, mode
        if not self.path.is_file():
            raise MediaNotFound(f"no plate at {path}", field=FIELD)
        self._still: np.ndarray | None = None
        self._cap: cv2.VideoCapture | None = None
        self._pos = 0  # index of the frame the capture reads next
        self._length: int | None = None  # known once the video has been read to its end
        self._cache: tuple[int, np.ndarray] | None = None
        self._version = file_version(self.path)
        self._still = _fitted_still(str(self.path), self._version, size, mode)
        if self._still is not None:
            return
        self._open()
        first = self.frame(0)
        if first is None:
            raise CorruptMedia(f"cannot read {path} as an image or a video", field=FIELD)

    def _open(self) -> None:
        if self._cap is not None:
            self._cap.release()
        self._cap = cv2.VideoCapture(str(self.path))
        self._pos = 0
        if not self._cap.isOpened():
            raise CorruptMedia(f"cannot read {self.path} as an image or a video", field=FIELD)

    def _prepare(self, img: np.ndarray) -> np.ndarray:
        return _to_plate(img, self.size, self.mode)

    @property
    def is_still(self) -> bool:
        return self._still is not None

    def codes(self, n: int, dtype: np.dtype) -> tuple[np.ndarray, np.ndarray]:
        """Frame `n` as (float32 code values of `dtype`, the same as `dtype`); read-only for stills."""
        if self._still is not None:
            return _still_codes(str(self.path), self._version, self.size, self.mode, np.dtype(dtype).str)
        return _codes(self.frame(n), np.dtype(dtype))

    def frame(self, n: int) -> np.ndarray | None:
        """Plate frame `n` (0 = the clip's first frame), looping a shorter video."""
        if self._still is not None:
            return self._still
        if self._length is not None:
            n %= self._length
        if self._cache is not None and self._cache[0] == n:
            return self._cache[1]
        if n < self._pos:
            self._open()
        img = None
        while self._pos <= n:
            ok, img = self._cap.read()
            if not ok:
                if self._pos == 0:
                    return None
                self._length = self._pos
                return self.frame(n % self._length)
            self._pos += 1
        rgb = self._prepare(img)
        self._cache = (n, rgb)
        return rgb


def _to_plate(img: np.ndarray, size: tuple[int, int], mode: str) -> np.ndarray:
    """An OpenCV image (gray, BGR or BGRA, any depth) as a fitted float32 RGB plate in 0..1."""
    if img.ndim == 2:
        img = cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
    if img.shape[2] == 4:
        img = img[..., :3]
    full = float(np.iinfo(img.dtype).max) if img.dtype.kind in "ui" else 1.0
    rgb = cv2.cvtColor(np.ascontiguousarray(img), cv2.COLOR_BGR2RGB).astype(np.float32) / np.float32(full)
    return fit(rgb, size, mode)


@functools.lru_cache(maxsize=2)
def _fitted_still(path: str, version: tuple[int, int], size: tuple[int, int], mode: str) -> np.ndarray | None:
    """A still plate read and fitted once per file version: every preview builds a new op, and
    reading, fitting and converting a 1080p plate cost more than the rest of a GPU preview.
    None when the file is not an image (it may be a video). Read-only: it is shared."""
    img = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    if img is None:
        return None
    plate = _to_plate(img, size, mode)
    plate.flags.writeable = False
    return plate


def _codes(plate: np.ndarray, dtype: np.dtype) -> tuple[np.ndarray, np.ndarray]:
    """(float32 code values, the same in `dtype`) of a plate frame in 0..1."""
    codes = np.rint(plate * np.float32(np.iinfo(dtype).max))
    return codes, codes.astype(dtype)


@functools.lru_cache(maxsize=2)
def _still_codes(path: str, version: tuple[int, int], size: tuple[int, int], mode: str, dtype: str):
    """`_codes` of a cached still plate, computed once; shared, read-only."""
    codes, narrow = _codes(_fitted_still(path, version, size, mode), np.dtype(dtype))
    codes.flags.writeable = narrow.flags.writeable = False
    return codes, narrow


def subject_alpha(
    frame: np.ndarray, mask: np.ndarray, softness: float, device=None
) -> tuple[np.ndarray, Region] | None:
    """Alpha of the subject (1 inside) in a region around it; outside the region alpha is 0.

    With a torch `device` the guided filter (the costly part) runs there and the alpha is a
    tensor on it; the band's bookkeeping (erode/dilate of the binary mask) stays on the CPU.
    """
    binary = (mask >= 128).view(np.uint8)
    x, y, w, h = cv2.boundingRect(binary)
    if w == 0:
        return None
    r = max(0, int(round(softness)))
    region = Region(y, y + h, x, x + w).grow(2 * r + 1, mask.shape)
    crop = binary[region.slices]
    if r == 0:
        return crop.astype(np.float32), region
    full = float(np.iinfo(frame.dtype).max)
    luma = cv2.cvtColor(frame[region.slices], cv2.COLOR_RGB2GRAY).astype(np.float32) / np.float32(full)
    rect = cv2.getStructuringElement(cv2.MORPH_RECT, (2 * r + 1, 2 * r + 1))
    inside = cv2.erode(crop, rect, borderType=cv2.BORDER_REPLICATE) == 1
    outside = cv2.dilate(crop, rect) == 0
    guide, matte = luma, crop.astype(np.float32)
    if device is not None:
        import torch

        guide, matte = (torch.from_numpy(a).to(device) for a in (guide, matte))
        inside, outside = (torch.from_numpy(a).to(device) for a in (inside, outside))
    alpha = guided_filter(guide, matte, r, MATTE_EPS).clip(0.0, 1.0)
    # The band: the refined matte decides only within r px of the editor's edge.
    alpha[inside] = 1.0
    alpha[outside] = 0.0
    return alpha, region


@register
class Background(Op):
    spec = OpSpec(
        name="background",
        summary="Replace everything outside the subject mask with an image or a video plate.",
        params=(
            ParamSpec("plate", ParamType.PATH, "Image or video to put behind the subject.", required=True),
            ParamSpec("fit", ParamType.CHOICE, "How the plate fills the frame.", default="cover",
                      choices=("cover", "stretch")),
            ParamSpec("edge_softness", ParamType.NUMBER, "Width of the edge band the matte is refined in.",
                      default=6.0, minimum=0, maximum=100, unit=" px"),
            ParamSpec("light_wrap", ParamType.NUMBER, "How much plate light spills over the subject's edge.",
                      default=0.0, minimum=0, maximum=1),
        ),
        mask=MaskUse.REQUIRED,
        analysis_params=(),  # tracking the mask images reads no param
    )  # fmt: skip

    def __init__(self) -> None:
        self._plate: Plate | None = None
        self._codes: tuple[int, tuple[np.ndarray, np.ndarray]] | None = None  # last plate frame, see Plate.codes

    def plate_codes(self, index: int, frame: np.ndarray, ctx: EditContext) -> tuple[np.ndarray, np.ndarray]:
        """Plate frame for clip frame `index`: (float32 code values, the same in the frame's dtype)."""
        plate = self.plate(frame, ctx)
        n = 0 if plate.is_still else index - ctx.frame_range.start
        if self._codes is None or self._codes[0] != n:
            self._codes = (n, plate.codes(n, frame.dtype))
        return self._codes[1]

    def plate(self, frame: np.ndarray, ctx: EditContext) -> Plate:
        if self._plate is None:
            h, w = frame.shape[:2]
            self._plate = Plate(ctx.params["plate"], (w, h), ctx.params.get("fit") or "cover")
        return self._plate

    def prepare(self, ctx: EditContext) -> None:
        # Fail before the first frame is written when the plate is missing or unreadable.
        self.plate(ctx.source.frame(ctx.frame_range.start), ctx)

    def render(self, index: int, frame: np.ndarray, ctx: EditContext) -> np.ndarray:
        mask = check_mask(ctx.masks.mask(index) if ctx.masks is not None else None, frame)
        codes, narrow = self.plate_codes(index, frame, ctx)
        device = torch_device(ctx.device)
        got = subject_alpha(frame, mask, ctx.params.get("edge_softness") or 0.0, device)
        out = narrow.copy()
        if got is None:
            return out
        alpha, region = got
        src = frame[region.slices]
        bg = codes[region.slices]
        wrap = float(ctx.params.get("light_wrap") or 0.0)
        full = float(np.iinfo(frame.dtype).max)
        if device is None:
            lit = gaussian(bg, 8.0) if wrap > 0 else None
            out[region.slices] = composite_matte(src.astype(np.float32), bg, alpha, lit, wrap).clip(0.0, full)
            return out
        import torch

        def t(a):
            return torch.from_numpy(np.ascontiguousarray(a)).to(device)

        bg_t = t(bg)
        lit_t = gaussian(bg_t, 8.0) if wrap > 0 else None
        alpha_t = alpha if isinstance(alpha, torch.Tensor) else t(alpha)
        res = composite_matte(t(src).to(torch.float32), bg_t, alpha_t, lit_t, wrap).clamp_(0.0, full)
        # read back in the narrowest integer type that holds the codes: the copy is the costly part
        wire = torch.uint8 if frame.dtype == np.uint8 else torch.int32
        out[region.slices] = res.to(wire).cpu().numpy()
        return out


def composite_matte(src, bg, alpha, lit, wrap: float):
    """rint(src + (bg - src)(1 - a) + wrap a (1 - a)(lit - src)), code values; numpy or torch.

    At a == 1 both terms vanish exactly (the source, bit for bit); at a == 0 it is the plate.
    The light-wrap term lives only where 0 < a < 1 and peaks at a = 0.5.
    """
    a = alpha[..., None]
    res = src + (bg - src) * (1.0 - a)
    if lit is not None:
        res = res + (4.0 * wrap) * a * (1.0 - a) * (lit - src)
    return np.rint(res) if isinstance(res, np.ndarray) else res.round()
