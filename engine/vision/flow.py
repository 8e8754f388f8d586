"""Dense optical flow and what is built on it: consistency, warping, chaining.

Conventions (used by every module in `vision`):
- A flow field is float32 (H, W, 2), (dx, dy) in pixels of the grid it lives on.
- `flow_ab` lives on frame a: pixel x of a corresponds to x + flow_ab(x) in b.
- Warping is *backward*: `warp(img_b, flow_ab)` samples b at x + flow_ab(x) and so
  returns an image on a's grid. Nothing is ever splatted forward (no holes, no races).

Flow is estimated with OpenCV's DIS (Kroeger et al. 2016: MEDIUM ~0.6 px EPE on
Middlebury, engine.md section 2) at a working resolution capped in width, because DIS
cost grows with pixel count while editing ops only need the flow to be locally right.
On a torch device (a job's GPU) the estimator uses `flow_torch`'s classical CLG flow
instead, batched over pairs, with the occlusion test on the device too: DIS runs on the
CPU only, where it competes with decode and encode for the cores. The CPU path is DIS,
unchanged; the two agree within the tolerances tests/engine/vision/test_flow_torch.py states.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import cv2
import numpy as np

PRESETS = {
    "fast": cv2.DISOPTICAL_FLOW_PRESET_FAST,
    "medium": cv2.DISOPTICAL_FLOW_PRESET_MEDIUM,
    "ultrafast": cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST,
}


def working_size(width: int, height: int, max_width: int) -> tuple[int, int]:
    """(w, h) no wider than `max_width`, aspect kept; never upscales."""
    if width <= max_width:
        return width, height
    scale = max_width / width
    return max_width, max(8, int(round(height * scale)))


@dataclass
class FlowEstimator:
    """Flow between frames, at a working resolution (`max_width` wide at most): OpenCV's DIS,
    or with `device` (a torch device: "cuda:0", or "cpu" to run the GPU path on the CPU)
    `flow_torch`'s CLG flow on that device."""

    preset: str = "medium"
    max_width: int = 960
    #: None: DIS on the CPU (the reference path); else the torch device the flow runs on
    device: str | None = None
    #: one DIS object per thread: it keeps per-call buffers, so it cannot be shared
    _local: threading.local = field(default_factory=threading.local, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.preset not in PRESETS:
            raise ValueError(f"unknown DIS preset {self.preset!r}; one of {', '.join(PRESETS)}")

    @classmethod
    def from_params(cls, params: dict, default_width: int, device: str | None = None) -> FlowEstimator:
        """From an op's `preset` and `flow_width` parameters (None: the defaults) and the job's
        device ("cpu" or None: DIS; a torch device such as "cuda:0" or "torch:cpu": torch flow)."""
        return cls(params.get("preset") or "medium", int(params.get("flow_width") or default_width),
                   torch_device(device))

    @property
    def backend(self) -> str:
        """"dis" or "torch": which estimator computes the flow (cache keys include it)."""
        return "dis" if self.device is None else "torch"

    def size_for(self, frame: np.ndarray) -> tuple[int, int]:
        h, w = frame.shape[:2]
        return working_size(w, h, self.max_width)

    def small(self, frame: np.ndarray) -> np.ndarray:
        """The frame at working resolution, RGB uint8 (what flow and trackers look at)."""
        if frame.dtype != np.uint8:  # 16-bit sources: flow only needs 8 bits of structure
            frame = (frame >> 8).astype(np.uint8)
        w, h = self.size_for(frame)
        if (w, h) == (frame.shape[1], frame.shape[0]):
            return frame
        return cv2.resize(frame, (w, h), interpolation=cv2.INTER_AREA)

    def flow(self, gray_a: np.ndarray, gray_b: np.ndarray) -> np.ndarray:
        """flow_ab on a's grid, from two uint8 gray images of the working size. Thread-safe."""
        if self.device is not None:
            return self.flows([(gray_a, gray_b)])[0]
        dis = getattr(self._local, "dis", None)
        if dis is None:
            dis = self._local.dis = cv2.DISOpticalFlow_create(PRESETS[self.preset])
        return dis.calc(gray_a, gray_b, None)

    def flows(self, pairs: list[tuple[np.ndarray, np.ndarray]]) -> list[np.ndarray]:
        """flow_ab for each (gray_a, gray_b) pair of one size; on a torch device in one batch."""
        if self.device is None:
            return [self.flow(a, b) for a, b in pairs]
        with self._own_stream():
            return [f.permute(1, 2, 0).cpu().numpy() for f in self._torch_flows(pairs)]

    def flows_and_occlusion(
        self, gray_a: np.ndarray, gray_b: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(flow_ab, flow_ba, `occlusion(flow_ab, flow_ba)`): on a torch device both flows run as
        one batch and the test runs there too; only the results come back."""
        if self.device is None:
            ab, ba = self.flow(gray_a, gray_b), self.flow(gray_b, gray_a)
            return ab, ba, occlusion(ab, ba)
        from .flow_torch import occlusion_torch

        with self._own_stream():
            both = self._torch_flows([(gray_a, gray_b), (gray_b, gray_a)])
            occluded = occlusion_torch(both[:1], both[1:])[0]
            ab, ba = both.permute(0, 2, 3, 1).cpu().numpy()
            return ab, ba, occluded.cpu().numpy()

    def _own_stream(self):
        """The torch flow's work, uploads and copies back on a CUDA stream of the calling thread's
        own (flow_torch.own_stream)."""
        import torch

        from .flow_torch import own_stream

        return own_stream(torch.device(self.device))

    def _torch_flows(self, pairs: list[tuple[np.ndarray, np.ndarray]]):
        """(N, 2, H, W) tensor on the device: the gray images go up as uint8 (a quarter of float)."""
        import torch

        from .flow_torch import batch_flow, config_for

        dev = torch.device(self.device)
        a = torch.from_numpy(np.stack([p[0] for p in pairs])).to(dev)[:, None]
        b = torch.from_numpy(np.stack([p[1] for p in pairs])).to(dev)[:, None]
        return batch_flow(a, b, config_for(self.preset))


def gray(rgb: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)


def resize_flow(flow: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Flow resampled to `size` = (w, h), vectors rescaled to the new pixel units."""
    h, w = flow.shape[:2]
    if (w, h) == size:
        return flow
    out = cv2.resize(flow, size, interpolation=cv2.INTER_LINEAR)
    out[..., 0] *= size[0] / w
    out[..., 1] *= size[1] / h
    return out


def _maps(flow: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    h, w = flow.shape[:2]
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    return gx + flow[..., 0], gy + flow[..., 1]


def warp(img: np.ndarray, flow: np.ndarray, *, interpolation: int = cv2.INTER_LINEAR, fill: float = 0.0) -> np.ndarray:
    """Backward warp with cv2.remap: out(x) = img(x + flow(x)); outside samples get `fill`."""
    mx, my = _maps(flow)
    return cv2.remap(img, mx, my, interpolation, borderMode=cv2.BORDER_CONSTANT, borderValue=fill)


def warp_torch(img, flow, *, mode: str = "bilinear"):
    """Backward warp with torch grid_sample; same convention and result as `warp`.

    img: tensor (N, C, H, W) float; flow: tensor (N, H, W, 2). Zero outside the image,
    align_corners=True so that pixel centres map exactly as in cv2.remap.
    """
    import torch

    n, _, h, w = img.shape
    ys, xs = torch.meshgrid(
        torch.arange(h, dtype=flow.dtype, device=flow.device),
        torch.arange(w, dtype=flow.dtype, device=flow.device),
        indexing="ij",
    )
    gx = (xs + flow[..., 0]) * (2.0 / max(w - 1, 1)) - 1.0
    gy = (ys + flow[..., 1]) * (2.0 / max(h - 1, 1)) - 1.0
    grid = torch.stack((gx, gy), dim=-1)
    return torch.nn.functional.grid_sample(img, grid, mode=mode, padding_mode="zeros", align_corners=True)


def chain(flow_ab: np.ndarray, flow_bc: np.ndarray) -> np.ndarray:
    """flow_ac(x) = flow_ab(x) + flow_bc(x + flow_ab(x)), on a's grid."""
    return flow_ab + warp(flow_bc, flow_ab, fill=0.0)


def occlusion(flow_ab: np.ndarray, flow_ba: np.ndarray) -> np.ndarray:
    """Forward-backward check on a's grid: True where x of a has no consistent match in b.

    The exact test of fast_blind_video_consistency `detect_occlusion` (Sundaram et al.):
    |w_f + w_b(x + w_f)|^2 > 0.01 (|w_f|^2 + |w_b(x + w_f)|^2) + 0.5,
    with w_f = flow_ab and w_b = flow_ba. Samples leaving the frame count as occluded.
    """
    mx, my = _maps(flow_ab)
    back = cv2.remap(flow_ba, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0.0)
    fu, fv, bu, bv = flow_ab[..., 0], flow_ab[..., 1], back[..., 0], back[..., 1]
    # per component rather than .sum(-1): a reduction over a length-2 axis is numpy's slow case
    lhs = (fu + bu) ** 2 + (fv + bv) ** 2
    rhs = 0.01 * (fu * fu + fv * fv + bu * bu + bv * bv) + 0.5
    h, w = fu.shape
    outside = (mx < 0) | (mx > w - 1) | (my < 0) | (my > h - 1)
    return (lhs > rhs) | outside


def motion_boundary(flow: np.ndarray) -> np.ndarray:
    """|grad u|^2 + |grad v|^2 > 0.01 |w|^2 + 0.002 (same source as `occlusion`)."""
    u, v = flow[..., 0], flow[..., 1]
    ux = np.zeros_like(u)
    uy = np.zeros_like(u)
    vx = np.zeros_like(v)
    vy = np.zeros_like(v)
    # forward differences, as in detect_occlusion
    ux[:, :-1] = u[:, 1:] - u[:, :-1]
    uy[:-1] = u[1:] - u[:-1]
    vx[:, :-1] = v[:, 1:] - v[:, :-1]
    vy[:-1] = v[1:] - v[:-1]
    return ux**2 + uy**2 + vx**2 + vy**2 > 0.01 * (u**2 + v**2) + 0.002


def unreliable(flow_ab: np.ndarray, flow_ba: np.ndarray) -> np.ndarray:
    """Occlusion OR motion boundary: the mask fast_blind_video_consistency excludes."""
    return occlusion(flow_ab, flow_ba) | motion_boundary(flow_ab)


def remap_torch(img, map_x, map_y, *, mode: str = "bilinear"):
    """cv2.remap's semantics on torch: img (N, C, H, W), maps (N, h, w) in img pixels."""
    import torch

    h, w = img.shape[-2:]
    grid = torch.stack((map_x * (2.0 / max(w - 1, 1)) - 1.0, map_y * (2.0 / max(h - 1, 1)) - 1.0), dim=-1)
    return torch.nn.functional.grid_sample(img, grid, mode=mode, padding_mode="zeros", align_corners=True)


def torch_device(device: str | None) -> str | None:
    """None for the numpy/OpenCV path ("cpu"); else the torch device ("cuda:0", "torch:cpu" -> "cpu")."""
    if not device or device == "cpu":
        return None
    return device.removeprefix("torch:")
