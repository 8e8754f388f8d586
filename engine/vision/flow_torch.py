"""Dense optical flow in torch, classical (no weights): for the GPU, batched over frame pairs.

The method is the combined local-global (CLG) flow of Bruhn, Weickert and Schnoerr 2005
("Lucas/Kanade meets Horn/Schunck"), solved coarse to fine with warping (Brox et al.
2004), with the improvements "Secrets of optical flow" (Sun, Roth and Black 2010) found to
matter most: a robust (Charbonnier) data term by iteratively reweighting it at each warp,
and a median filter of the flow after each warp. Every step is a handful of whole-image
tensor ops (convolutions, grid_sample, elementwise 2x2 solves), so a batch of pairs runs
as one stream of kernels; there is no per-pixel search and nothing sequential in pixels.

Why not a port of DIS: its inverse search is a sparse per-patch Gauss-Newton with
data-dependent early exits, which maps poorly onto batched tensor ops; CLG reaches DIS
MEDIUM's accuracy on the development clips (docs/BENCHMARKS.md, bench/quality.py) with
dense, regular work. Conventions are those of `vision.flow`: flow_ab (dx, dy) on a's grid,
in pixels, pixel x of a corresponds to x + flow_ab(x) in b.
"""

from __future__ import annotations

import contextlib
import logging
import math
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass

import torch
import torch.nn.functional as F

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CLGConfig:
    """Solver settings. The defaults were chosen on generated two-layer scenes with exact flow
    (a textured disc moving over a differently moving textured background: endpoint error
    overall and within 4 px of the motion boundary, DIS MEDIUM alongside) and then checked,
    not tuned, on davis-dev (docs/BENCHMARKS.md)."""

    #: smoothness weight against the data term (images in 0..255 code values)
    alpha: float = 30.0
    #: std (px) of the Gaussian integrating the structure tensor: the "local" in CLG
    rho: float = 1.0
    #: std (px) of the pre-smoothing of each pyramid level
    sigma: float = 0.7
    #: warps per pyramid level, and linear solver (Jacobi) sweeps per warp
    warps: int = 4
    iterations: int = 20
    #: the coarsest level is at least this many pixels on its shorter side
    min_size: int = 12
    #: Charbonnier epsilon (code values) of the robust data term
    epsilon: float = 2.0
    #: side of the median filter applied to the flow after each warp (0: none)
    median: int = 5
    #: image-driven smoothness: a neighbour across an intensity step of `edge` code values
    #: counts e^-1 as much (motion boundaries mostly lie on image edges); 0: uniform
    edge: float = 5.0


def _gauss_kernel(sigma: float, device, dtype) -> torch.Tensor:
    radius = max(1, int(math.ceil(2.5 * sigma)))
    x = torch.arange(-radius, radius + 1, device=device, dtype=dtype)
    k = torch.exp(-(x * x) / (2 * sigma * sigma))
    return k / k.sum()


def blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """Separable Gaussian blur of (N, C, H, W), edges replicated."""
    if sigma <= 0:
        return x
    c = x.shape[1]
    k = _gauss_kernel(sigma, x.device, x.dtype)
    r = k.numel() // 2
    x = F.conv2d(F.pad(x, (r, r, 0, 0), mode="replicate"), k.view(1, 1, 1, -1).expand(c, 1, 1, -1), groups=c)
    return F.conv2d(F.pad(x, (0, 0, r, r), mode="replicate"), k.view(1, 1, -1, 1).expand(c, 1, -1, 1), groups=c)


def _gradients(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Central differences of (N, 1, H, W), one-sided at the edges (replicated)."""
    p = F.pad(x, (1, 1, 1, 1), mode="replicate")
    return 0.5 * (p[..., 1:-1, 2:] - p[..., 1:-1, :-2]), 0.5 * (p[..., 2:, 1:-1] - p[..., :-2, 1:-1])


def _shifts(x: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """The right, left, down and up 4-neighbours of (N, C, H, W), edges replicated (Neumann)."""
    p = F.pad(x, (1, 1, 1, 1), mode="replicate")
    return p[..., 1:-1, 2:], p[..., 1:-1, :-2], p[..., 2:, 1:-1], p[..., :-2, 1:-1]


def _neighbour_weights(a: torch.Tensor, edge: float) -> torch.Tensor | None:
    """(N, 4, H, W) weights of the 4-neighbours (the order of `_shifts`), None for uniform."""
    if edge <= 0:
        return None
    return torch.cat([torch.exp(-(n - a).abs() / edge) for n in _shifts(a)], 1)


def _neighbour_mean(x: torch.Tensor, weights: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor | float]:
    """(weighted mean of the 4-neighbours of x, the weights' mean: how much smoothness applies)."""
    r, left, d, u = _shifts(x)
    if weights is None:
        return 0.25 * (r + left + d + u), 1.0
    wr, wl, wd, wu = (weights[:, i : i + 1] for i in range(4))
    total = wr + wl + wd + wu + 1e-6
    return (wr * r + wl * left + wd * d + wu * u) / total, (total * 0.25)[:, 0]


def _median(flow: torch.Tensor, size: int) -> torch.Tensor:
    if size <= 1:
        return flow
    n, c, h, w = flow.shape
    r = size // 2
    patches = F.unfold(F.pad(flow, (r, r, r, r), mode="replicate"), size)  # (N, C*size*size, H*W)
    # each pixel's window made contiguous first: the median over a strided dimension took a
    # third longer on an H200 (bench/gpu/median_speed.py), and the median was 30-45% of the flow
    windows = patches.view(n, c, size * size, h * w).transpose(2, 3).contiguous()
    return windows.median(dim=-1).values.view(n, c, h, w)


def warp_border(img: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
    """Backward warp of (N, C, H, W) by flow (N, 2, H, W), edges replicated (for the solver:
    a sample leaving the frame sees the edge, so the data term there is weak, not wrong)."""
    n, _, h, w = img.shape
    ys, xs = torch.meshgrid(
        torch.arange(h, device=img.device, dtype=img.dtype),
        torch.arange(w, device=img.device, dtype=img.dtype),
        indexing="ij",
    )
    gx = (xs + flow[:, 0]) * (2.0 / max(w - 1, 1)) - 1.0
    gy = (ys + flow[:, 1]) * (2.0 / max(h - 1, 1)) - 1.0
    return F.grid_sample(img, torch.stack((gx, gy), -1), mode="bilinear", padding_mode="border", align_corners=True)


def _pyramid(x: torch.Tensor, cfg: CLGConfig) -> list[torch.Tensor]:
    levels = [blur(x, cfg.sigma)]
    while min(levels[-1].shape[-2:]) >= 2 * cfg.min_size:
        h, w = levels[-1].shape[-2:]
        down = F.interpolate(levels[-1], size=((h + 1) // 2, (w + 1) // 2), mode="bilinear", antialias=True,
                             align_corners=False)  # fmt: skip
        levels.append(down)
    return levels


def _resample_flow(flow: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    h, w = flow.shape[-2:]
    out = F.interpolate(flow, size=size, mode="bilinear", align_corners=False)
    return torch.stack((out[:, 0] * (size[1] / w), out[:, 1] * (size[0] / h)), 1)


@torch.no_grad()
def clg_flow(a: torch.Tensor, b: torch.Tensor, cfg: CLGConfig | None = None) -> torch.Tensor:
    """flow_ab (N, 2, H, W) float32 for gray images a, b (N, 1, H, W) in 0..255, any device."""
    cfg = cfg or CLGConfig()
    a, b = a.float(), b.float()
    pa, pb = _pyramid(a, cfg), _pyramid(b, cfg)
    flow = torch.zeros((a.shape[0], 2, *pa[-1].shape[-2:]), device=a.device, dtype=a.dtype)
    for la, lb in zip(reversed(pa), reversed(pb), strict=True):
        if flow.shape[-2:] != la.shape[-2:]:
            flow = _resample_flow(flow, tuple(la.shape[-2:]))
        for _ in range(cfg.warps):
            flow = _refine(la, lb, flow, cfg)
    return flow


#: input shapes whose captured solver is kept per process (each holds its own memory pool)
CAPTURED_SHAPES = 4


class _CapturedCLG:
    """`clg_flow` for one input shape on one CUDA device, captured once as a CUDA graph.

    The solver is thousands of small kernels per batch (Jacobi sweeps at every warp of every
    level); launched one by one from Python, the launches, not the GPU, set its speed, and they
    hold the interpreter lock the render threads need. A replay launches them all in one call.
    """

    def __init__(self, shape: torch.Size, dtype: torch.dtype, device: torch.device, cfg: CLGConfig) -> None:
        self.a = torch.zeros(shape, dtype=dtype, device=device)
        self.b = torch.zeros(shape, dtype=dtype, device=device)
        with torch.cuda.device(device):
            side = torch.cuda.Stream(device)
            side.wait_stream(torch.cuda.current_stream(device))
            with torch.cuda.stream(side):  # a run outside the capture first: lazy library set-up is not capturable
                clg_flow(self.a, self.b, cfg)
            torch.cuda.current_stream(device).wait_stream(side)
            self.graph = torch.cuda.CUDAGraph()
            # thread_local: the render threads go on using the device while this thread captures
            with torch.cuda.graph(self.graph, capture_error_mode="thread_local"):
                self.flow = clg_flow(self.a, self.b, cfg)
        self.lock = threading.Lock()  # one set of input and output buffers: one replay at a time
        #: recorded after the last replay's output was copied out, on its caller's stream
        self._done: torch.cuda.Event | None = None

    def __call__(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        with self.lock:
            stream = torch.cuda.current_stream(self.a.device)
            if self._done is not None:
                # callers flow on streams of their own (`own_stream`): the last replay, maybe on
                # another thread's stream, must be done with the buffers before they are refilled
                stream.wait_event(self._done)
            self.a.copy_(a)
            self.b.copy_(b)
            self.graph.replay()
            flow = self.flow.clone()
            self._done = torch.cuda.Event()
            self._done.record(stream)
            return flow


_thread_streams = threading.local()


@contextlib.contextmanager
def own_stream(device: torch.device) -> Iterator[None]:
    """Runs the block on a CUDA stream of this thread's own (nothing off CUDA).

    On the device's default stream, the flow of a job's analysis and its render threads' work
    queue behind each other: every copy back to the host waits for all that was queued before
    it, so a render thread's frame waited for a whole flow solve, and the flow for the frames.
    torch's streams do not synchronise with the default one.
    """
    if device.type != "cuda":
        yield
        return
    streams = _thread_streams.__dict__.setdefault("by_device", {})
    stream = streams.get(device)
    if stream is None:
        stream = streams[device] = torch.cuda.Stream(device)
    with torch.cuda.stream(stream):
        yield


_captured: OrderedDict[tuple, _CapturedCLG | None] = OrderedDict()
_captured_lock = threading.Lock()


def batch_flow(a: torch.Tensor, b: torch.Tensor, cfg: CLGConfig | None = None) -> torch.Tensor:
    """`clg_flow`, replayed from a captured CUDA graph on a CUDA device (the same kernels, so the
    same result); run op by op elsewhere, or where the capture failed (logged once per shape)."""
    cfg = cfg or CLGConfig()
    if a.device.type != "cuda":
        return clg_flow(a, b, cfg)
    key = (tuple(a.shape), a.dtype, a.device, cfg)
    with _captured_lock:
        if key in _captured:
            _captured.move_to_end(key)
            solver = _captured[key]
        else:
            try:
                solver = _CapturedCLG(a.shape, a.dtype, a.device, cfg)
            except RuntimeError as exc:  # a driver or library that cannot capture: correct, only slower
                log.warning("optical flow on %s runs without a CUDA graph for %s: %s", a.device, tuple(a.shape), exc)
                solver = None
            _captured[key] = solver
            while len(_captured) > CAPTURED_SHAPES:
                _captured.popitem(last=False)
    return clg_flow(a, b, cfg) if solver is None else solver(a, b)


def _refine(a: torch.Tensor, b: torch.Tensor, flow: torch.Tensor, cfg: CLGConfig) -> torch.Tensor:
    """One warp: linearise the brightness constancy about `flow`, solve for the increment."""
    bw = warp_border(b, flow)
    ix, iy = _gradients(0.5 * (a + bw))
    it = bw - a
    # robust data term (IRLS): a pixel that does not fit (occluded, specular) counts less
    weight = 1.0 / torch.sqrt(it * it + cfg.epsilon**2)
    terms = torch.cat((ix * ix, ix * iy, iy * iy, ix * it, iy * it), 1) * weight
    j11, j12, j22, j13, j23 = blur(terms, cfg.rho).unbind(1)
    weights = _neighbour_weights(a, cfg.edge)
    _, share = _neighbour_mean(a, weights)
    alpha = cfg.alpha / cfg.epsilon * share  # the IRLS weight's scale: alpha stays meaningful in code values
    if not torch.is_tensor(alpha):
        alpha = torch.full_like(j11, alpha)
    a11, a22 = j11 + alpha, j22 + alpha
    det = a11 * a22 - j12 * j12
    # Jacobi sweeps on both components at once, in as few kernels as can be (on a GPU the coarse
    # levels are bound by kernel launches, not arithmetic): per pixel the 2x2 system
    # [a11 j12; j12 a22] d = alpha (mean(f) - f0) - (j13, j23), solved through its inverse.
    diag = torch.stack((a22 / det, a11 / det), 1)  # the inverse's diagonal, by component
    off = (-j12 / det)[:, None]
    rhs0 = alpha[:, None] * flow + torch.stack((j13, j23), 1)
    alpha = alpha[:, None]
    share_w = (weights / weights.sum(1, keepdim=True).clamp_min(1e-6)) if weights is not None else None
    f = flow
    for _ in range(cfg.iterations):
        r, left, d, u = _shifts(f)
        if share_w is None:
            mean = 0.25 * (r + left + d + u)
        else:
            mean = (torch.stack((r, left, d, u), 1) * share_w[:, :, None]).sum(1)
        res = torch.addcmul(-rhs0, alpha, mean)
        f = flow + torch.addcmul(diag * res, off, res.flip(1))
    return _median(f, cfg.median)


@torch.no_grad()
def occlusion_torch(flow_ab: torch.Tensor, flow_ba: torch.Tensor) -> torch.Tensor:
    """`vision.flow.occlusion` on the device: (N, H, W) bool, True where x of a has no
    consistent match in b (the same Sundaram et al. test, samples leaving the frame occluded)."""
    n, _, h, w = flow_ab.shape
    ys, xs = torch.meshgrid(
        torch.arange(h, device=flow_ab.device, dtype=flow_ab.dtype),
        torch.arange(w, device=flow_ab.device, dtype=flow_ab.dtype),
        indexing="ij",
    )
    mx, my = xs + flow_ab[:, 0], ys + flow_ab[:, 1]
    grid = torch.stack((mx * (2.0 / max(w - 1, 1)) - 1.0, my * (2.0 / max(h - 1, 1)) - 1.0), -1)
    back = F.grid_sample(flow_ba, grid, mode="bilinear", padding_mode="zeros", align_corners=True)
    fu, fv, bu, bv = flow_ab[:, 0], flow_ab[:, 1], back[:, 0], back[:, 1]
    lhs = (fu + bu) ** 2 + (fv + bv) ** 2
    rhs = 0.01 * (fu * fu + fv * fv + bu * bu + bv * bv) + 0.5
    outside = (mx < 0) | (mx > w - 1) | (my < 0) | (my > h - 1)
    return (lhs > rhs) | outside


#: the DIS presets' names, mapped to solver effort (fewer warps and sweeps: faster, rougher)
PRESETS = {
    "medium": CLGConfig(),
    "fast": CLGConfig(warps=2, iterations=12),
    "ultrafast": CLGConfig(warps=1, iterations=8),
}


def config_for(preset: str) -> CLGConfig:
    return PRESETS[preset]
