"""Masks -> soft alphas, and the invariant-keeping blend of an edit back into the source.

The alpha of a feathered mask is a Gaussian of the binary mask whose support is clamped to the
feather distance, so that beyond `feather` pixels outside the mask it is exactly 0 and the source
pixel comes back bit for bit (DESIGN invariant 1). Everything is computed inside the mask's bounding
box grown by the feather: for an object mask that is a fraction of a 1080p frame.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ..errors import InvalidArgument


@dataclass(frozen=True)
class Region:
    """A rectangle [y0, y1) x [x0, x1) of a frame."""

    y0: int
    y1: int
    x0: int
    x1: int

    @classmethod
    def full(cls, shape: tuple[int, ...]) -> Region:
        return cls(0, shape[0], 0, shape[1])

    @property
    def slices(self) -> tuple[slice, slice]:
        return slice(self.y0, self.y1), slice(self.x0, self.x1)

    def grow(self, margin: int, shape: tuple[int, ...]) -> Region:
        return Region(
            max(0, self.y0 - margin), min(shape[0], self.y1 + margin),
            max(0, self.x0 - margin), min(shape[1], self.x1 + margin),
        )  # fmt: skip


def check_mask(mask: np.ndarray | None, frame: np.ndarray, *, field: str = "mask") -> np.ndarray:
    """The mask as uint8 (H, W), or InvalidArgument naming `field` when it does not fit the frame."""
    if mask is None:
        raise InvalidArgument("this op needs a mask", field=field)
    m = np.asarray(mask)
    if m.ndim == 3:
        m = m[..., 0]
    if m.shape != frame.shape[:2]:
        raise InvalidArgument(
            f"mask is {m.shape[1]}x{m.shape[0]} but the frame is {frame.shape[1]}x{frame.shape[0]}",
            field=field,
        )
    if m.dtype != np.uint8:
        m = (m >= (np.iinfo(m.dtype).max + 1) // 2 if m.dtype.kind in "ui" else m >= 0.5).astype(
            np.uint8
        ) * 255
    return m


def soft_alpha(mask: np.ndarray, feather: float, *, invert: bool = False) -> tuple[np.ndarray, Region] | None:
    """Feathered alpha (float32 0..1) of a uint8 mask (>= 128 = inside) and the region it covers.

    Returns None when the (possibly inverted) mask is empty: nothing changes. Inside the region:
    alpha is exactly 1 deeper than `feather` inside the mask, exactly 0 farther than `feather`
    (Chebyshev distance) outside it, and a Gaussian ramp (sigma = feather/3) in between.
    """
    binary = (mask < 128) if invert else (mask >= 128)
    b8 = binary.view(np.uint8)
    x, y, w, h = cv2.boundingRect(b8)
    if w == 0 or h == 0:
        return None
    r = max(0, int(round(feather)))
    region = Region(y, y + h, x, x + w).grow(r + 1, mask.shape)
    crop = b8[region.slices]
    if r == 0:
        return crop.astype(np.float32), region
    k = 2 * r + 1
    # The crop has r + 1 empty pixels around the mask (or ends at the frame's edge), so the blur
    # sees the same neighbourhood as it would on the whole frame.
    alpha = cv2.GaussianBlur(crop.astype(np.float32), (k, k), r / 3.0, borderType=cv2.BORDER_REFLECT_101)
    rect = cv2.getStructuringElement(cv2.MORPH_RECT, (k, k))
    # Clamp: exact 0 beyond the feather distance (a blur tail may hold 1e-8s), exact 1 deep inside.
    alpha[cv2.dilate(crop, rect) == 0] = 0.0
    alpha[cv2.erode(crop, rect, borderType=cv2.BORDER_REPLICATE) == 1] = 1.0
    return alpha, region


def blend(source: np.ndarray, edited: np.ndarray, alpha: np.ndarray | None, region: Region) -> np.ndarray:
    """A copy of `source` with `edited` (code values, float or int, shape of the region) blended in.

    The rule of `base.composite`, restricted to a region: out = rint(src + (rint(edit) - src) * a).
    Where a == 0 this is src exactly (float32 holds every 16-bit code), so invariant 1 holds without a
    separate mask; where a == 1 it is the rounded edit.
    """
    out = source.copy()
    s = region.slices
    e = to_codes(edited, source.dtype)
    dst = out[s]
    if alpha is None:
        dst[...] = e
        return out
    # Most of the region's alpha is exactly 0 (nothing to do) or exactly 1 (the rounded edit: a masked
    # copy); only the feather band 0 < a < 1 needs the float blend, on its pixels alone.
    one = cv2.compare(alpha, 1.0, cv2.CMP_EQ)
    if e.flags.c_contiguous and dst.strides[1:] == e.strides[1:]:
        cv2.copyTo(e, one, dst)  # in place into the view (the same rows/pixel layout)
    else:
        np.copyto(dst, e, where=one.view(bool)[..., None])
    band = cv2.inRange(alpha, _ABOVE_ZERO, _BELOW_ONE)  # inclusive bounds: exactly 0 < a < 1
    pts = cv2.findNonZero(band)
    if pts is not None:
        # Flat pixel indices: one gather per array along axis 0, much cheaper than 2-D fancy indexing.
        pts = pts.reshape(-1, 2).astype(np.intp)
        local = pts[:, 1] * alpha.shape[1] + pts[:, 0]
        flat = out.reshape(-1, out.shape[2] if out.ndim == 3 else 1)
        at = (pts[:, 1] + region.y0) * out.shape[1] + (pts[:, 0] + region.x0)
        src = np.take(flat, at, axis=0).astype(np.float32)  # still the source there
        ec = np.take(np.ascontiguousarray(e).reshape(-1, flat.shape[1]), local, axis=0)
        a = np.take(np.ascontiguousarray(alpha).reshape(-1), local)[:, None]
        flat[at] = np.rint(src + (ec.astype(np.float32) - src) * a)
    return out


_ABOVE_ZERO = float(np.nextafter(np.float32(0), np.float32(1)))
_BELOW_ONE = float(np.nextafter(np.float32(1), np.float32(0)))


def to_codes(edited: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Edited code values (float or integer) as rounded, clipped codes of `dtype`."""
    if edited.dtype == dtype:
        return edited
    full = float(np.iinfo(dtype).max)
    return np.clip(np.rint(edited), 0, full).astype(dtype)


def blend_torch(source: np.ndarray, edited, alpha, region: Region) -> np.ndarray:
    """`blend` with a torch `edited` (code values) and `alpha` (or None); returns numpy."""
    import torch

    full = float(np.iinfo(source.dtype).max)
    s = region.slices
    e = edited.round().clamp(0, full)
    if alpha is not None:
        src = torch.from_numpy(np.ascontiguousarray(source[s])).to(e.device).to(torch.float32)
        e = (src + (e - src) * alpha[..., None]).round()
    out = source.copy()
    # int32 on the way back: torch has no float -> uint16 cast on every device.
    out[s] = e.to(torch.int32).cpu().numpy().astype(source.dtype)
    return out


def alpha_tensor(alpha: np.ndarray | None, device):
    """An alpha (or None) as a float32 tensor on `device`."""
    if alpha is None:
        return None
    import torch

    return torch.from_numpy(np.ascontiguousarray(alpha)).to(device)


def alpha_for(
    mask: np.ndarray | None, frame: np.ndarray, feather: float, *, required: bool, invert: bool = False
) -> tuple[np.ndarray | None, Region] | None:
    """The (alpha, region) an op edits in: the whole frame with alpha None when no mask is given and
    masks are optional; None when the mask is empty (the op returns the source)."""
    if mask is None and not required:
        return None, Region.full(frame.shape)
    m = check_mask(mask, frame)
    return soft_alpha(m, feather, invert=invert)


# --- edge-aware filters (numpy via OpenCV, or torch), shared by `background` and `restyle` ---------
# Both backends use reflect-101 borders and OpenCV's own Gaussian kernel, so they agree to float error.


def _torch_nchw(x):
    """(H, W) or (H, W, C) tensor -> (1, C, H, W) and a function undoing it."""
    if x.ndim == 2:
        return x[None, None], lambda y: y[0, 0]
    return x.permute(2, 0, 1)[None], lambda y: y[0].permute(1, 2, 0)


def box(x, r: int):
    """Mean over a (2r+1)^2 window."""
    from .color import torch_of

    t = torch_of(x)
    if t is None:
        return cv2.boxFilter(x, -1, (2 * r + 1, 2 * r + 1), borderType=cv2.BORDER_REFLECT_101)
    import torch.nn.functional as F

    y, back = _torch_nchw(x)
    y = F.pad(y, (r, r, r, r), mode="reflect")
    return back(F.avg_pool2d(y, 2 * r + 1, stride=1))


def gaussian(x, sigma: float):
    """Gaussian blur, kernel radius 3 sigma."""
    from .color import torch_of

    k = 2 * max(1, int(np.ceil(3 * sigma))) + 1
    t = torch_of(x)
    if t is None:
        return cv2.GaussianBlur(x, (k, k), sigma, borderType=cv2.BORDER_REFLECT_101)
    import torch.nn.functional as F

    w = t.as_tensor(cv2.getGaussianKernel(k, sigma, cv2.CV_32F)[:, 0], device=x.device)
    y, back = _torch_nchw(x)
    c = y.shape[1]
    r = k // 2
    y = F.pad(y, (r, r, r, r), mode="reflect")
    y = F.conv2d(y, w.view(1, 1, k, 1).expand(c, 1, k, 1), groups=c)
    y = F.conv2d(y, w.view(1, 1, 1, k).expand(c, 1, 1, k), groups=c)
    return back(y)


def resize(x, size: tuple[int, int]):
    """Bilinear resize of (H, W) or (H, W, C) to `size` = (w, h), half-pixel centres (both backends)."""
    from .color import torch_of

    t = torch_of(x)
    if t is None:
        return cv2.resize(x, size, interpolation=cv2.INTER_LINEAR)
    import torch.nn.functional as F

    y, back = _torch_nchw(x)
    return back(F.interpolate(y, size=(size[1], size[0]), mode="bilinear", align_corners=False))


def guided_filter(guide, src, r: int, eps: float, *, subsample: int = 1):
    """He, Sun and Tang's guided filter (ECCV 2010 / TPAMI 2013) with a grey guide, from box filters.

    `guide` (H, W), `src` (H, W) or (H, W, C), float32. The output is locally a linear function of
    the guide, so it follows the guide's edges: a hard matte guided by the frame takes fractional
    values across hair and motion blur; a frame guided by itself is smoothed but keeps its edges.
    `subsample` > 1 is the fast guided filter (He and Sun 2015): the linear coefficients are fitted at
    1/subsample resolution and applied to the full-resolution guide, s^2 times cheaper.
    """
    h, w = guide.shape[:2]
    g_full = guide
    if subsample > 1:
        small = (max(1, w // subsample), max(1, h // subsample))
        guide, src = resize(guide, small), resize(src, small)
        r = max(1, round(r / subsample))
    chan = src.ndim == 3
    g3 = guide[..., None] if chan else guide
    mean_i = box(guide, r)
    var_i = box(guide * guide, r) - mean_i * mean_i
    mean_i3 = mean_i[..., None] if chan else mean_i
    mean_p = box(src, r)
    cov_ip = box(g3 * src, r) - mean_i3 * mean_p
    a = cov_ip / ((var_i[..., None] if chan else var_i) + eps)
    b = mean_p - a * mean_i3
    mean_a, mean_b = box(a, r), box(b, r)
    if subsample > 1:
        mean_a, mean_b = resize(mean_a, (w, h)), resize(mean_b, (w, h))
    return mean_a * (g_full[..., None] if chan else g_full) + mean_b
