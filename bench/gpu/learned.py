"""Speed and memory of the learned backends' architectures, with random weights (no download).

    python3 bench/gpu/learned.py --out bench/out/learned.json            # the H200: published sizes
    python3 bench/gpu/learned.py --tiny --out /tmp/learned.json           # any CPU: tiny sizes (a check)

What it builds, at the sizes users run (random weights: this measures the architecture's speed
and memory, never the quality of an edit):

- `sdxl-inpaint-unet`: the SDXL inpainting UNet (9 input channels, 2.6B parameters), one
  denoising step with classifier-free guidance (batch 2) at 1024x1024 (the keyframe's crop at the
  model's native size) and at 1920x1088 (a whole 1080p frame), plus the SDXL VAE's decode.
- `flux-fill-transformer`: the FLUX.1 Fill transformer (384 input channels, 12B parameters), one
  step (guidance-distilled: batch 1) at 1024x1024 and 1920x1088. `--no-flux` skips it.
- `sam2-base-plus`: SAM 2.1 Hiera base+ video (81M parameters) through retakes' own tracker
  (`engine.learned.sam2_tracker`, bounded memory bank), per frame on 1080p frames, at two clip
  lengths: its peak memory should be the same at both.

Each is run side by side in one process as: float32 with SDPA; bfloat16 with SDPA's default
kernel choice (flash attention where it applies); bfloat16 with the math kernel (attention as
plain matmuls: what SDPA saves); bfloat16 with SDPA and `torch.compile` (compile time recorded
apart). Seconds are the median of timed runs after warm-up, with the GPU synchronised; peak
memory is `torch.cuda.max_memory_allocated` for that variant alone. Results go to JSON and a
Markdown table on stdout.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import gc
import json
import platform
import statistics
import sys
import time
import traceback
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path

import numpy as np
import torch

VARIANTS = {
    "fp32-sdpa": ("float32", "default", False),
    "bf16-sdpa": ("bfloat16", "default", False),
    "bf16-math": ("bfloat16", "math", False),
    "bf16-sdpa-compile": ("bfloat16", "default", True),
}


@dataclass
class Row:
    model: str
    parameters: int
    size: str
    variant: str
    dtype: str
    attention: str
    compiled: bool
    unit: str = "s/step"
    seconds: float | None = None
    runs: list[float] = field(default_factory=list)
    compile_seconds: float | None = None
    peak_gib: float | None = None
    note: str = ""
    error: str = ""


def sync(device: str) -> None:
    """Waits for the GPU's queued work, so a timer reads the work and not its launch."""
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def reset_peak(device: str) -> None:
    """Frees what the last part left and restarts the GPU's peak-memory count."""
    gc.collect()
    if device.startswith("cuda"):
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()


def peak_gib(device: str) -> float | None:
    """The GPU's peak allocated memory since `reset_peak`, in GiB (None on the CPU)."""
    return torch.cuda.max_memory_allocated() / 2**30 if device.startswith("cuda") else None


@contextlib.contextmanager
def attention(kind: str):
    if kind == "math":
        from torch.nn.attention import SDPBackend, sdpa_kernel

        with sdpa_kernel(SDPBackend.MATH):
            yield
    else:
        yield


def timed(fn, device: str, warmup: int, repeat: int) -> tuple[list[float], float]:
    """(timed runs, seconds of the first call: compile + warm-up)."""
    start = time.perf_counter()
    with torch.inference_mode():
        fn()
        sync(device)
        first = time.perf_counter() - start
        for _ in range(max(0, warmup - 1)):
            fn()
        sync(device)
        runs = []
        for _ in range(repeat):
            t = time.perf_counter()
            fn()
            sync(device)
            runs.append(time.perf_counter() - t)
    return runs, first


def _params(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


# ---------------------------------------------------------------- builders (published configs)

def sdxl_inpaint_unet(tiny: bool):
    from diffusers import UNet2DConditionModel

    if tiny:
        return UNet2DConditionModel(
            sample_size=16, in_channels=9, out_channels=4, block_out_channels=(32, 64), layers_per_block=1,
            down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
            up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"), cross_attention_dim=32, attention_head_dim=8,
            addition_embed_type="text_time",
            addition_time_embed_dim=8, projection_class_embeddings_input_dim=80, use_linear_projection=True)
    # diffusers/stable-diffusion-xl-1.0-inpainting-0.1, unet/config.json
    return UNet2DConditionModel(
        sample_size=128, in_channels=9, out_channels=4, block_out_channels=(320, 640, 1280), layers_per_block=2,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"),
        transformer_layers_per_block=(1, 2, 10), attention_head_dim=(5, 10, 20), cross_attention_dim=2048,
        use_linear_projection=True, addition_embed_type="text_time", addition_time_embed_dim=256,
        projection_class_embeddings_input_dim=2816)


def sdxl_vae(tiny: bool):
    from diffusers import AutoencoderKL

    if tiny:
        return AutoencoderKL(block_out_channels=[32, 64], latent_channels=4, layers_per_block=1,
                             down_block_types=["DownEncoderBlock2D"] * 2, up_block_types=["UpDecoderBlock2D"] * 2)
    return AutoencoderKL(block_out_channels=[128, 256, 512, 512], latent_channels=4, layers_per_block=2,
                         down_block_types=["DownEncoderBlock2D"] * 4, up_block_types=["UpDecoderBlock2D"] * 4,
                         sample_size=1024, scaling_factor=0.13025)


def flux_fill(tiny: bool):
    from diffusers import FluxTransformer2DModel

    if tiny:
        return FluxTransformer2DModel(patch_size=1, in_channels=24, out_channels=4, num_layers=1, num_single_layers=1,
                                      attention_head_dim=16, num_attention_heads=2, joint_attention_dim=32,
                                      pooled_projection_dim=32, guidance_embeds=True, axes_dims_rope=(4, 6, 6))
    # black-forest-labs/FLUX.1-Fill-dev, transformer/config.json
    return FluxTransformer2DModel(patch_size=1, in_channels=384, out_channels=64, num_layers=19, num_single_layers=38,
                                  attention_head_dim=128, num_attention_heads=24, joint_attention_dim=4096,
                                  pooled_projection_dim=768, guidance_embeds=True, axes_dims_rope=(16, 56, 56))


def sam2_base_plus(tiny: bool):
    from transformers import Sam2VideoConfig, Sam2VideoModel

    if tiny:
        sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
        from tests.learned.tiny import sam2_config

        return Sam2VideoModel(sam2_config(64))
    from transformers import Sam2HieraDetConfig, Sam2VisionConfig

    # facebook/sam2.1-hiera-base-plus (sam2.1_hiera_b+.yaml): the Hiera B+ backbone, other parts as published
    backbone = Sam2HieraDetConfig(hidden_size=112, num_attention_heads=2, blocks_per_stage=[2, 3, 16, 3],
                                  embed_dim_per_stage=[112, 224, 448, 896], num_attention_heads_per_stage=[2, 4, 8, 16],
                                  window_size_per_stage=[8, 4, 14, 7], global_attention_blocks=[12, 16, 20],
                                  window_positional_embedding_background_size=[14, 14])
    vision = Sam2VisionConfig(backbone_config=backbone, backbone_channel_list=[896, 448, 224, 112])
    return Sam2VideoModel(Sam2VideoConfig(vision_config=vision))


# ---------------------------------------------------------------- cases

def _build(builder, tiny: bool, device: str, dtype: torch.dtype):
    torch.manual_seed(0)
    with torch.device(device):
        model = builder(tiny)
    return model.to(dtype=dtype).eval()


def run_unet(rows, args, device, sizes):
    name = "sdxl-inpaint-unet"
    for variant in args.variants:
        dtype_name, attn, compiled = VARIANTS[variant]
        dtype = getattr(torch, dtype_name)
        reset_peak(device)
        try:
            unet = _build(sdxl_inpaint_unet, args.tiny, device, dtype)
            params = _params(unet)
            call = torch.compile(unet) if compiled else unet
            for w, h in sizes:
                row = Row(name, params, f"{w}x{h}", variant, dtype_name, attn, compiled)
                lat = torch.randn(2, 9, h // 8, w // 8, device=device, dtype=dtype)
                text = torch.randn(2, 77, unet.config.cross_attention_dim, device=device, dtype=dtype)
                pooled = 1280 if not args.tiny else 32
                added = {"text_embeds": torch.randn(2, pooled, device=device, dtype=dtype),
                         "time_ids": torch.randn(2, 6, device=device, dtype=dtype)}
                t = torch.tensor([500.0] * 2, device=device)
                _measure(row, partial(call, lat, t, encoder_hidden_states=text, added_cond_kwargs=added), attn,
                         device, args)
                row.note = "one step, classifier-free guidance (batch 2)"
                rows.append(row)
            unet = call = None  # freed before the next variant is built
        except Exception as error:  # noqa: BLE001 - an OOM or a missing kernel is a result too
            rows.append(Row(name, 0, "", variant, dtype_name, attn, compiled, error=_err(error)))


def run_vae(rows, args, device, sizes):
    name = "sdxl-vae-decode"
    for variant in [v for v in args.variants if not VARIANTS[v][2]]:
        dtype_name, attn, compiled = VARIANTS[variant]
        dtype = getattr(torch, dtype_name)
        reset_peak(device)
        try:
            vae = _build(sdxl_vae, args.tiny, device, dtype)
            scale = 2 ** (len(vae.config.block_out_channels) - 1)
            for w, h in sizes[:1]:
                row = Row(name, _params(vae), f"{w}x{h}", variant, dtype_name, attn, compiled, unit="s/decode")
                z = torch.randn(1, 4, h // scale, w // scale, device=device, dtype=dtype)
                _measure(row, partial(vae.decode, z), attn, device, args)
                rows.append(row)
            vae = None
        except Exception as error:  # noqa: BLE001
            rows.append(Row(name, 0, "", variant, dtype_name, attn, compiled, error=_err(error)))


def run_flux(rows, args, device, sizes):
    name = "flux-fill-transformer"
    for variant in args.variants:
        dtype_name, attn, compiled = VARIANTS[variant]
        dtype = getattr(torch, dtype_name)
        reset_peak(device)
        try:
            model = _build(flux_fill, args.tiny, device, dtype)
            params = _params(model)
            call = torch.compile(model) if compiled else model
            cfg = model.config
            for w, h in sizes:
                row = Row(name, params, f"{w}x{h}", variant, dtype_name, attn, compiled)
                gh, gw = h // 16, w // 16  # latents at 1/8, packed 2x2
                seq, txt = gh * gw, (512 if not args.tiny else 8)
                x = torch.randn(1, seq, cfg.in_channels, device=device, dtype=dtype)
                enc = torch.randn(1, txt, cfg.joint_attention_dim, device=device, dtype=dtype)
                pooled = torch.randn(1, cfg.pooled_projection_dim, device=device, dtype=dtype)
                ids = torch.zeros(gh, gw, 3, device=device)
                ids[..., 1] = torch.arange(gh, device=device)[:, None]
                ids[..., 2] = torch.arange(gw, device=device)[None, :]
                img_ids, txt_ids = ids.reshape(-1, 3), torch.zeros(txt, 3, device=device)
                t = torch.tensor([0.5], device=device, dtype=dtype)
                g = torch.tensor([30.0], device=device, dtype=dtype)
                _measure(row, partial(call, hidden_states=x, encoder_hidden_states=enc, pooled_projections=pooled,
                                      timestep=t, img_ids=img_ids, txt_ids=txt_ids, guidance=g), attn, device, args)
                row.note = f"one step, {seq} image + {txt} text tokens"
                rows.append(row)
            model = call = None
        except Exception as error:  # noqa: BLE001
            rows.append(Row(name, 0, "", variant, dtype_name, attn, compiled, error=_err(error)))


class _Frames:
    """A FrameSource of moving noise at the frame size (what decoding would hand the tracker)."""

    def __init__(self, n: int, w: int, h: int) -> None:
        from retakes.engine.timecode import FrameRange

        self.n, self.w, self.h, self.range = n, w, h, FrameRange(0, n)
        self._base = np.random.default_rng(0).integers(0, 255, (h + n, w + n, 3), dtype=np.uint8)

    @property
    def frame_range(self):
        return self.range

    def frame(self, i: int) -> np.ndarray:
        return np.ascontiguousarray(self._base[i:i + self.h, i:i + self.w])

    def frames(self, r):
        for i in r:
            yield i, self.frame(i)


def run_sam2(rows, args, device, size):
    from retakes.engine.learned.sam2_tracker import Sam2Tracker, TrackStats

    name = "sam2-base-plus"
    w, h = size
    for variant in args.variants:
        dtype_name, attn, compiled = VARIANTS[variant]
        dtype = getattr(torch, dtype_name)
        reset_peak(device)
        try:
            model = _build(sam2_base_plus, args.tiny, device, dtype)
            if compiled:
                model.vision_encoder = torch.compile(model.vision_encoder)
            tracker = Sam2Tracker(model)
            key = np.zeros((h, w), np.uint8)
            key[h // 3:2 * h // 3, w // 3:2 * w // 3] = 255
            for n in args.sam_frames:
                row = Row(name, _params(model), f"{w}x{h}, {n} frames", variant, dtype_name, attn, compiled,
                          unit="s/frame")
                reset_peak(device)
                stats = TrackStats()
                frames = _Frames(n, w, h)
                with attention(attn):
                    start = time.perf_counter()
                    times, last = [], start
                    for _ in tracker.track(frames, frames.frame_range, {0: key}, stats=stats):
                        sync(device)
                        now = time.perf_counter()
                        times.append(now - last)
                        last = now
                skip = min(len(times) - 1, max(1, len(times) // 5))  # the first frames (and compiles) apart
                row.runs = times[skip:]
                row.seconds = statistics.median(row.runs)
                row.compile_seconds = sum(times[:skip]) if compiled else None
                row.peak_gib = peak_gib(device)
                row.note = f"session held {stats.peak_held_bytes / 2**20:.1f} MiB at most"
                rows.append(row)
            model = tracker = None
        except Exception as error:  # noqa: BLE001
            rows.append(Row(name, 0, "", variant, dtype_name, attn, compiled, unit="s/frame", error=_err(error)))


def _measure(row: Row, fn, attn: str, device: str, args) -> None:
    with attention(attn):
        runs, first = timed(fn, device, args.warmup, args.repeat)
    row.runs = runs
    row.seconds = statistics.median(runs)
    row.compile_seconds = first if row.compiled else None
    row.peak_gib = peak_gib(device)


def _err(error: BaseException) -> str:
    return f"{type(error).__name__}: {str(error).splitlines()[0][:200] if str(error) else ''}"


def table(rows: list[Row]) -> str:
    out = ["| model | size | variant | seconds | compile s | peak GiB | note |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        sec = f"{r.seconds:.4f} {r.unit}" if r.seconds is not None else f"failed: {r.error}"
        comp = f"{r.compile_seconds:.1f}" if r.compile_seconds is not None else ""
        peak = f"{r.peak_gib:.2f}" if r.peak_gib is not None else ""
        out.append(f"| {r.model} ({r.parameters / 1e6:.0f}M) | {r.size} | {r.variant} | {sec} | {comp} | {peak} | "
                   f"{r.note} |")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--tiny", action="store_true", help="tiny configurations on the CPU (checks the script runs)")
    p.add_argument("--device", help="default: cuda when there is one, else cpu")
    p.add_argument("--variants", help=f"comma-separated, of {', '.join(VARIANTS)} (default: all on a GPU, "
                                      "no compile on the CPU)")
    p.add_argument("--no-flux", action="store_true", help="skip the 12B Flux Fill transformer")
    p.add_argument("--only", help="comma-separated subset of unet,vae,flux,sam2")
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--sam-frames", default="30,120", help="clip lengths for the tracker (memory at each)")
    p.add_argument("--out", type=Path, help="write the results as JSON here")
    args = p.parse_args(argv)
    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    default = list(VARIANTS) if device.startswith("cuda") else ["fp32-sdpa", "bf16-sdpa", "bf16-math"]
    args.variants = args.variants.split(",") if args.variants else default
    unknown = [v for v in args.variants if v not in VARIANTS]
    if unknown:
        p.error(f"--variants: unknown {unknown[0]!r}; expected {', '.join(VARIANTS)}")
    args.sam_frames = [int(n) for n in args.sam_frames.split(",")]
    if args.tiny:
        args.warmup, args.repeat = 1, 2
        args.sam_frames = [min(n, 12) for n in args.sam_frames[:1]] + [24] if len(args.sam_frames) > 1 else [12]
    only = set(args.only.split(",")) if args.only else {"unet", "vae", "flux", "sam2"}
    if args.no_flux:
        only.discard("flux")
    sizes = [(64, 64), (96, 64)] if args.tiny else [(1024, 1024), (1920, 1088)]
    frame = (96, 64) if args.tiny else (1920, 1080)
    rows: list[Row] = []
    torch.backends.cuda.matmul.allow_tf32 = False  # float32 means float32 here
    for part, fn, arg in (("unet", run_unet, sizes), ("vae", run_vae, sizes), ("flux", run_flux, sizes),
                          ("sam2", run_sam2, frame)):
        if part in only:
            started = time.perf_counter()
            try:
                fn(rows, args, device, arg)
            except Exception:  # noqa: BLE001 - keep what the other parts measured
                traceback.print_exc()
            print(f"{part}: {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
            _write(rows, args, argv, device)  # after each part: a run cut off by a time limit keeps it
    print(table(rows))
    return 0 if any(r.seconds is not None for r in rows) else 1


def _write(rows: list[Row], args, argv: list[str] | None, device: str) -> None:
    import diffusers
    import transformers

    result = {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.node()}, {torch.cuda.get_device_name() if device.startswith('cuda') else 'CPU'}",
        "command": " ".join([Path(sys.argv[0]).name, *(argv if argv is not None else sys.argv[1:])]),
        "versions": {"python": platform.python_version(), "torch": torch.__version__,
                     "diffusers": diffusers.__version__, "transformers": transformers.__version__},
        "note": "random weights: speed and memory of the architectures, not the quality of any edit",
        "rows": [asdict(r) for r in rows],
    }
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    sys.exit(main())
