"""Colour science shared by the colour ops: transfer functions, OKLab/OKLCh, white balance, exposure.

Every array function here takes either a numpy array or a torch tensor and answers in kind, so
the CPU path (numpy/OpenCV) and the GPU path (torch) evaluate the *same* formulas; the CPU path
then speeds them up with lookup tables built from these very functions. torch is optional (the
`gpu` extra): it is never imported here, a tensor is recognised only if torch is already loaded.

Conventions: RGB has sRGB/Rec.709 primaries and a D65 white; "linear" means scene-linear light,
1.0 = diffuse white; "encoded" means the sRGB transfer curve (what 8/16-bit frames hold).
Channel-last arrays, float32.
"""

from __future__ import annotations

import functools
import sys
from typing import Any

import cv2
import numpy as np

Array = Any  # numpy.ndarray or torch.Tensor

# --- matrices (float64 here; cast at use) -------------------------------------------------------

#: linear sRGB (D65) -> CIE XYZ, IEC 61966-2-1.
RGB_TO_XYZ = np.array(
    [[0.4124564, 0.3575761, 0.1804375], [0.2126729, 0.7151522, 0.0721750], [0.0193339, 0.1191920, 0.9503041]]
)
XYZ_TO_RGB = np.linalg.inv(RGB_TO_XYZ)
#: Bradford cone response (Lam 1985), the CAT used by ICC and most grading tools.
BRADFORD = np.array([[0.8951, 0.2664, -0.1614], [-0.7502, 1.7135, 0.0367], [0.0389, -0.0685, 1.0296]])
#: Rec.709 luma weights of linear light (the Y row of RGB_TO_XYZ).
LUMA = RGB_TO_XYZ[1]

# Björn Ottosson, "A perceptual color space for image processing" (2020).
OKLAB_M1 = np.array(
    [
        [0.4122214708, 0.5363325363, 0.0514459929],
        [0.2119034982, 0.6806995451, 0.1073969566],
        [0.0883024619, 0.2817188376, 0.6299787005],
    ]
)
OKLAB_M2 = np.array(
    [
        [0.2104542553, 0.7936177850, -0.0040720468],
        [1.9779984951, -2.4285922050, 0.4505937099],
        [0.0259040371, 0.7827717662, -0.8086757660],
    ]
)
OKLAB_M2_INV = np.array(
    [
        [1.0, 0.3963377774, 0.2158037573],
        [1.0, -0.1055613458, -0.0638541728],
        [1.0, -0.0894841775, -1.2914855480],
    ]
)
OKLAB_M1_INV = np.array(
    [
        [4.0767416621, -3.3077115913, 0.2309699292],
        [-1.2684380046, 2.6097574011, -0.3413193965],
        [-0.0041960863, -0.7034186147, 1.7076147010],
    ]
)

#: Temperature the footage is assumed to be balanced for (D65).
REFERENCE_KELVIN = 6504.0


# --- backend switch ----------------------------------------------------------------------------


def torch_of(x: Array):
    """The torch module if `x` is a tensor, else None (without importing torch)."""
    t = sys.modules.get("torch")
    return t if t is not None and isinstance(x, t.Tensor) else None


def torch_device(device: str):
    """Which torch device an op should use for `ctx.device`, or None for the numpy path.

    "cpu" -> numpy/OpenCV. "cuda", "cuda:N" -> torch on that GPU. "torch:cpu" -> the torch path on
    the CPU (tests and benchmarks use it to prove the two paths agree without a GPU).
    """
    if device == "cpu" or not device:
        return None
    import torch

    return torch.device(device.split(":", 1)[1] if device.startswith("torch:") else device)


def clip(x: Array, lo: float | None, hi: float | None) -> Array:
    t = torch_of(x)
    if t is not None:
        return x.clamp(lo, hi)
    return np.clip(x, lo, hi)


def where(cond: Array, a: Array, b: Array) -> Array:
    t = torch_of(cond)
    if t is not None:
        return t.where(cond, a, b)
    return np.where(cond, a, b).astype(np.float32, copy=False)


def cbrt(x: Array) -> Array:
    t = torch_of(x)
    if t is not None:
        return x.sign() * x.abs().pow(1.0 / 3.0)
    return np.cbrt(x)


def matmul3(x: Array, m: np.ndarray, offset: np.ndarray | None = None) -> Array:
    """`m @ pixel (+ offset)` for every pixel of a (..., 3) array."""
    t = torch_of(x)
    if t is not None:
        y = x @ t.as_tensor(m.T, dtype=x.dtype, device=x.device)
        return y if offset is None else y + t.as_tensor(offset, dtype=x.dtype, device=x.device)
    mm = (
        m.astype(np.float32)
        if offset is None
        else np.hstack([m, np.reshape(offset, (3, 1))]).astype(np.float32)
    )
    shape = x.shape
    # cv2.transform is ~5x faster than numpy's matmul for (H, W, 3) float32.
    flat = np.ascontiguousarray(x, dtype=np.float32).reshape(-1, 1, 3) if x.ndim != 3 else x
    return cv2.transform(np.ascontiguousarray(flat, dtype=np.float32), mm).reshape(shape)


# --- transfer functions -------------------------------------------------------------------------


def srgb_to_linear(v: Array) -> Array:
    """sRGB-encoded (0..1) -> linear light. Negative input stays on the linear toe."""
    lo = v / 12.92
    hi = ((clip(v, 0.04045, None) + 0.055) / 1.055) ** 2.4
    return where(v <= 0.04045, lo, hi)


def linear_to_srgb(x: Array) -> Array:
    lo = x * 12.92
    hi = 1.055 * clip(x, 0.0031308, None) ** (1.0 / 2.4) - 0.055
    return where(x <= 0.0031308, lo, hi)


def rec709_to_linear(v: Array) -> Array:
    """Inverse of the BT.709 camera OETF (scene light), for footage that is graded as such."""
    lo = v / 4.5
    hi = ((clip(v, 0.081, None) + 0.099) / 1.099) ** (1.0 / 0.45)
    return where(v < 0.081, lo, hi)


def linear_to_rec709(x: Array) -> Array:
    lo = x * 4.5
    hi = 1.099 * clip(x, 0.018, None) ** 0.45 - 0.099
    return where(x < 0.018, lo, hi)


# --- OKLab / OKLCh ------------------------------------------------------------------------------


def linear_to_oklab(rgb: Array) -> Array:
    return matmul3(cbrt(matmul3(rgb, OKLAB_M1)), OKLAB_M2)


def oklab_to_linear(lab: Array) -> Array:
    lms = matmul3(lab, OKLAB_M2_INV)
    return matmul3(lms * lms * lms, OKLAB_M1_INV)


def gamut_clip(lin: Array, L: Array) -> Array:
    """Brings linear RGB into [0, 1] by moving it towards the grey of the same OKLab L (linear L^3).

    Per-channel clipping of an out-of-gamut colour shifts its hue (a dark saturated yellow clips to
    orange); moving along the line to grey keeps lightness and most of the hue, and only loses chroma.
    The move is the largest k in [0, 1] with grey + k (lin - grey) inside [0, 1] on every channel,
    found from the pixel's largest and smallest channel.
    """
    t = torch_of(lin)
    g = clip(L, 0.0, 1.0)
    g = g * g * g
    if t is not None:
        mx, mn = lin.amax(-1), lin.amin(-1)
        k = t.minimum(t.where(mx > 1.0, (1.0 - g) / (mx - g), 1.0), t.where(mn < 0.0, g / (g - mn), 1.0))
        return clip(g[..., None] + clip(k, 0.0, 1.0)[..., None] * (lin - g[..., None]), 0.0, 1.0)
    # numpy: channel planes and elementwise ops (reductions over a last axis of 3 are slow in numpy).
    r, gr, b = lin[..., 0], lin[..., 1], lin[..., 2]
    mx, mn = np.maximum(np.maximum(r, gr), b), np.minimum(np.minimum(r, gr), b)
    with np.errstate(divide="ignore", invalid="ignore"):
        k = np.minimum(np.where(mx > 1.0, (1.0 - g) / (mx - g), 1.0), np.where(mn < 0.0, g / (g - mn), 1.0))
    k = np.clip(k, 0.0, 1.0, dtype=np.float32)[..., None]
    g3 = g[..., None]
    return np.clip(g3 + k * (lin - g3), 0.0, 1.0)


def oklab_to_oklch(lab: Array) -> tuple[Array, Array, Array]:
    """(L, C, h) with h in radians."""
    t = torch_of(lab)
    a, b = lab[..., 1], lab[..., 2]
    if t is not None:
        return lab[..., 0], t.hypot(a, b), t.atan2(b, a)
    return lab[..., 0], np.hypot(a, b), np.arctan2(b, a)


def oklch_to_oklab(L: Array, C: Array, h: Array) -> Array:
    t = torch_of(C)
    if t is not None:
        return t.stack([L, C * t.cos(h), C * t.sin(h)], dim=-1)
    return np.stack([L, C * np.cos(h), C * np.sin(h)], axis=-1).astype(np.float32, copy=False)


def srgb8_to_oklch(rgb: tuple[int, int, int]) -> tuple[float, float, float]:
    """An 8-bit sRGB colour (the '#RRGGBB' params) in OKLCh."""
    v = np.array(rgb, np.float64) / 255.0
    L, C, h = oklab_to_oklch(linear_to_oklab(srgb_to_linear(v)[None].astype(np.float32))[0])
    return float(L), float(C), float(h)


# --- white balance and exposure ------------------------------------------------------------------


def _planck_xy(k: float) -> tuple[float, float]:
    """Planckian locus, Kim et al. (2002) cubic spline, 1667..25000 K."""
    if k <= 4000:
        x = -0.2661239e9 / k**3 - 0.2343589e6 / k**2 + 0.8776956e3 / k + 0.179910
    else:
        x = -3.0258469e9 / k**3 + 2.1070379e6 / k**2 + 0.2226347e3 / k + 0.240390
    if k <= 2222:
        y = -1.1063814 * x**3 - 1.34811020 * x**2 + 2.18555832 * x - 0.20219683
    elif k <= 4000:
        y = -0.9549476 * x**3 - 1.37418593 * x**2 + 2.09137015 * x - 0.16748867
    else:
        y = 3.0817580 * x**3 - 5.87338670 * x**2 + 3.75112997 * x - 0.37001483
    return x, y


def _daylight_xy(k: float) -> tuple[float, float]:
    """CIE daylight locus (CIE 15:2004), defined from 4000 K; mildly extrapolated below."""
    if k <= 7000:
        x = -4.6070e9 / k**3 + 2.9678e6 / k**2 + 0.09911e3 / k + 0.244063
    else:
        x = -2.0064e9 / k**3 + 1.9018e6 / k**2 + 0.24748e3 / k + 0.237040
    return x, -3.0 * x * x + 2.87 * x - 0.275


def cct_to_xy(kelvin: float) -> tuple[float, float]:
    """Chromaticity of a light of correlated colour temperature `kelvin` (clamped to 1667..25000).

    Daylight locus from 4500 K up (so 6504 K is D65), Planckian (tungsten, fire) below 3500 K, blended
    in between so that a temperature slider never jumps.
    """
    k = float(np.clip(kelvin, 1667.0, 25000.0))
    w = float(np.clip((k - 3500.0) / 1000.0, 0.0, 1.0))
    px, py = _planck_xy(k)
    dx, dy = _daylight_xy(k)
    return (1 - w) * px + w * dx, (1 - w) * py + w * dy


def _xy_to_xyz(xy: tuple[float, float]) -> np.ndarray:
    x, y = xy
    return np.array([x / y, 1.0, (1.0 - x - y) / y])


def white_balance_matrix(from_kelvin: float, to_kelvin: float, strength: float = 1.0) -> np.ndarray:
    """3x3 linear-RGB matrix that turns a neutral lit by `from_kelvin` into one lit by `to_kelvin`.

    Von Kries scaling in Bradford LMS. relight(temperature=3200) uses from=6504 (the footage's
    white), to=3200: a grey card turns warm, as under tungsten; tungsten-to-daylight is the inverse.
    `strength` < 1 moves only part of the way (in log LMS), as a colourist would.
    """
    src = BRADFORD @ _xy_to_xyz(cct_to_xy(from_kelvin))
    dst = BRADFORD @ _xy_to_xyz(cct_to_xy(to_kelvin))
    gains = (dst / src) ** float(strength)
    return XYZ_TO_RGB @ np.linalg.inv(BRADFORD) @ np.diag(gains) @ BRADFORD @ RGB_TO_XYZ


def exposure_gain(ev: float) -> float:
    """Exposure is a gain on linear light: +1 EV doubles it."""
    return float(2.0 ** float(ev))


def saturation_matrix(s: float) -> np.ndarray:
    """Scales chroma about Rec.709 luminance in linear light (luminance unchanged)."""
    return (1.0 - s) * np.tile(LUMA, (3, 1)) + s * np.eye(3)


# --- frames ------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=4)
def decode_table(dtype_name: str) -> np.ndarray:
    """code value -> linear light, float32, for every code of an 8 or 16-bit frame."""
    full = np.iinfo(np.dtype(dtype_name)).max
    return srgb_to_linear(np.arange(full + 1, dtype=np.float64) / full).astype(np.float32)


def decode_linear(frame: np.ndarray) -> np.ndarray:
    """uint8/uint16 sRGB frame -> float32 linear light via a 1D LUT (exact per code value)."""
    table = decode_table(frame.dtype.name)
    if frame.dtype == np.uint8:
        return cv2.LUT(frame, table)
    return table[frame]


@functools.lru_cache(maxsize=4)
def encode_table(dtype_name: str) -> np.ndarray:
    """Linear light i / 65535 -> sRGB code value of an 8 or 16-bit frame."""
    full = np.iinfo(np.dtype(dtype_name)).max
    v = linear_to_srgb(np.arange(65536, dtype=np.float64) / 65535.0)
    return np.rint(v * full).astype(dtype_name)


def encode_codes(lin: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """float32 linear light (H, W, 3), clipped to 0..1 -> sRGB code values of `dtype`, via a LUT.

    Rounds linear light to 1/65535 first: under 0.05 of an 8-bit code (13 16-bit codes in the
    deepest blacks, where the curve is steepest). `lin` is overwritten.
    """
    np.multiply(lin, 65535.0, out=lin)
    np.add(lin, 0.5, out=lin)
    cv2.threshold(lin, 65535.0, 0, cv2.THRESH_TRUNC, dst=lin)
    cv2.threshold(lin, 0, 0, cv2.THRESH_TOZERO, dst=lin)
    return np.take(encode_table(np.dtype(dtype).name), lin.astype(np.uint16))


def to_unit_torch(frame: np.ndarray, device):
    """uint8/uint16 frame -> float32 tensor 0..1 on `device` (uploaded as integers: 1/4 the bytes)."""
    import torch

    full = float(np.iinfo(frame.dtype).max)
    t = torch.from_numpy(np.ascontiguousarray(frame)).to(device)
    return t.to(torch.float32) / full
