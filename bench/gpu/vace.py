"""Speed and memory of the generative video edits (Wan2.1 VACE 1.3B), with random weights (no download).

    python3 bench/gpu/vace.py --out bench/out/vace.json                    # the H200: published sizes
    python3 bench/gpu/vace.py --tiny --device cpu --out /tmp/vace.json      # any CPU: tiny sizes (a check)

Random weights at the published configuration measure the architecture's speed and memory, never
the quality of an edit. The configuration is Wan2.1-VACE-1.3B-diffusers' own: a transformer of
width 1536 (12 heads of 128), 30 layers, FFN 8960, VACE control blocks on layers 0, 2, ..., 28;
the Wan VAE (AutoencoderKLWan's defaults, the published ones); a UMT5-XXL text encoder (d_model
4096, 24 layers, 64 heads, FFN 10240). The tokenizer is built in code (one token per character):
with random weights the prompt's tokens do not matter, only the 512-token sequence length.

Parts, one or more per call (`--parts`, or VACE_PARTS in run.sh), each sized to fit the device's
10-minute limit on an H200:

- `step`: one denoising step (two transformer calls: classifier-free guidance) at 81 frames
  480x832, for each variant: fp32 + SDPA, bf16 + SDPA (flash attention where it applies), bf16 +
  the math kernel (attention as plain matmuls), bf16 + SDPA + torch.compile (compile time apart).
- `e2e`: the whole WanVACEPipeline at 81 frames 480x832 (5 s at 16 fps, the published anchor's
  clip: about 4 minutes and 8.2 GB on an RTX 4090), `--steps` steps, prompt encoding, VAE
  encode/decode included: bf16, bf16 + compile, bf16 + first-block step caching (diffusers'
  FirstBlockCacheConfig; with random weights how many steps it skips says nothing about real
  weights, so that row shows its cost and an upper bound only).
- `crop1080`: a 5 s 1080p clip (120 frames) with a moving mask through retakes' crop-and-stitch
  and windows (`engine.learned.video.run_windows`, the model at its 480x832 working area).
- `windows`: whole-frame restyle of 480x832 clips at two lengths (10 s and 30 s at 24 fps) through
  the windows: GPU peak and host (Python heap) peak at each, which should be the same (memory flat);
  few steps per window (`--window-steps`): this part measures memory, not speed.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import gc
import json
import platform
import tempfile
import time
import traceback
import tracemalloc
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import torch
from learned import peak_gib, reset_peak, sync  # this folder's own bench (run as a script)

PARTS = ("step", "e2e", "crop1080", "windows")
STEP_VARIANTS = ("fp32-sdpa", "bf16-sdpa", "bf16-math", "bf16-sdpa-compile")
E2E_VARIANTS = ("bf16-sdpa", "bf16-sdpa-compile", "bf16-fbcache")


@dataclass
class Row:
    part: str
    variant: str
    size: str
    frames: int
    steps: int
    seconds: float | None = None  # the part's unit: s/step for `step`, end to end otherwise
    seconds_per_step: float | None = None
    compile_seconds: float | None = None
    peak_gpu_gib: float | None = None
    peak_host_mib: float | None = None  # Python heap (tracemalloc) during the part
    windows: int | None = None
    note: str = ""
    error: str = ""
    runs: list[float] = field(default_factory=list)


def _rounded(gib: float | None) -> float | None:
    return None if gib is None else round(gib, 3)


# ------------------------------------------------------------------------------ the model, built in code


@dataclass(frozen=True)
class Sizes:
    frames: int
    height: int
    width: int
    clip_1080: tuple[int, int, int]  # frames, height, width of the crop-and-stitch clip
    window: int
    lengths: tuple[int, int]  # the windows part's two clip lengths
    window_size: tuple[int, int]


PUBLISHED = Sizes(81, 480, 832, (120, 1080, 1920), 81, (240, 720), (480, 832))
TINY = Sizes(9, 32, 32, (12, 64, 96), 5, (16, 40), (32, 32))


def tokenizer(max_length: int):
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    chars = [chr(c) for c in range(32, 127)]
    vocab = {"<pad>": 0, "</s>": 1, "<unk>": 2, **{c: i + 3 for i, c in enumerate(chars)}}
    core = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    core.pre_tokenizer = pre_tokenizers.Split("", "isolated")
    return PreTrainedTokenizerFast(tokenizer_object=core, pad_token="<pad>", eos_token="</s>", unk_token="<unk>",
                                   model_max_length=max_length)


def transformer(tiny: bool):
    from diffusers import WanVACETransformer3DModel

    if tiny:
        return WanVACETransformer3DModel(
            patch_size=(1, 2, 2), num_attention_heads=2, attention_head_dim=12, in_channels=16, out_channels=16,
            text_dim=32, freq_dim=256, ffn_dim=32, num_layers=3, cross_attn_norm=True,
            qk_norm="rms_norm_across_heads", rope_max_seq_len=32, vace_layers=[0, 2], vace_in_channels=96)
    # Wan-AI/Wan2.1-VACE-1.3B-diffusers, transformer/config.json
    return WanVACETransformer3DModel(
        patch_size=(1, 2, 2), num_attention_heads=12, attention_head_dim=128, in_channels=16, out_channels=16,
        text_dim=4096, freq_dim=256, ffn_dim=8960, num_layers=30, cross_attn_norm=True,
        qk_norm="rms_norm_across_heads", eps=1e-6, rope_max_seq_len=1024, vace_layers=list(range(0, 30, 2)),
        vace_in_channels=96)


def text_encoder(tiny: bool, vocab: int):
    from transformers import UMT5Config, UMT5EncoderModel

    if tiny:
        config = UMT5Config(vocab_size=vocab, d_model=32, d_kv=8, d_ff=37, num_layers=2, num_heads=4,
                            relative_attention_num_buckets=8, pad_token_id=0, eos_token_id=1)
    else:  # google/umt5-xxl (Wan's text_encoder/config.json)
        config = UMT5Config(vocab_size=256384, d_model=4096, d_kv=64, d_ff=10240, num_layers=24, num_heads=64,
                            relative_attention_num_buckets=32, relative_attention_max_distance=128,
                            feed_forward_proj="gated-gelu", pad_token_id=0, eos_token_id=1)
    return UMT5EncoderModel(config)


def vae(tiny: bool):
    from diffusers import AutoencoderKLWan

    if tiny:
        return AutoencoderKLWan(base_dim=3, z_dim=16, dim_mult=[1, 1, 1, 1], num_res_blocks=1,
                                temperal_downsample=[False, True, True])
    return AutoencoderKLWan()  # the published Wan2.1 VAE is the class's defaults


def pipeline(tiny: bool, device: str, dtype: torch.dtype):
    """A WanVACEPipeline with random weights, built on `device` (the 5.7B text encoder is made there
    directly: building it on the CPU first would take minutes and 23 GB of host memory)."""
    from diffusers import FlowMatchEulerDiscreteScheduler, WanVACEPipeline

    tok = tokenizer(64 if tiny else 512)
    with torch.device(device):
        torch.manual_seed(0)
        parts = {"transformer": transformer(tiny).to(dtype), "vae": vae(tiny).to(torch.float32),
                 "text_encoder": text_encoder(tiny, len(tok)).to(dtype)}
    pipe = WanVACEPipeline(tokenizer=tok, scheduler=FlowMatchEulerDiscreteScheduler(shift=3.0), **parts)
    pipe.set_progress_bar_config(disable=True)
    return pipe.to(device)


# ------------------------------------------------------------------------------------------ parts


def part_step(args, sizes: Sizes) -> list[Row]:
    rows = []
    lat_t, lat_h, lat_w = (sizes.frames - 1) // 4 + 1, sizes.height // 8, sizes.width // 8
    for variant in args.step_variants:
        dtype = torch.float32 if variant.startswith("fp32") else torch.bfloat16
        row = Row("step", variant, f"{sizes.width}x{sizes.height}", sizes.frames, 1)
        reset_peak(args.device)
        try:
            with torch.device(args.device):
                torch.manual_seed(0)
                model = transformer(args.tiny).to(dtype).eval()
                text_dim = model.config.text_dim
                x = torch.randn(1, 16, lat_t, lat_h, lat_w, dtype=dtype)
                control = torch.randn(1, 96, lat_t, lat_h, lat_w, dtype=dtype)
                text = torch.randn(1, 512 if not args.tiny else 16, text_dim, dtype=dtype)
                scale = torch.ones(len(model.config.vace_layers), dtype=dtype)
                t = torch.tensor([500.0])
            call = model
            if variant.endswith("compile"):
                call = torch.compile(model)

            inputs = {"hidden_states": x, "timestep": t, "encoder_hidden_states": text,
                      "control_hidden_states": control, "control_hidden_states_scale": scale}

            def step(call=call, inputs=inputs):
                for _ in range(2):  # classifier-free guidance: the conditional and unconditional passes
                    call(**inputs, return_dict=False)

            from torch.nn.attention import SDPBackend, sdpa_kernel

            # SDPA picks its kernel (flash or memory-efficient where they apply); "math" forces plain matmuls
            kernel = sdpa_kernel(SDPBackend.MATH) if variant.endswith("math") else contextlib.nullcontext()
            with torch.inference_mode(), kernel:
                started = time.perf_counter()
                step()
                sync(args.device)
                row.compile_seconds = round(time.perf_counter() - started, 3)
                step()
                sync(args.device)
                for _ in range(args.repeat):
                    started = time.perf_counter()
                    step()
                    sync(args.device)
                    row.runs.append(round(time.perf_counter() - started, 4))
            row.seconds = row.seconds_per_step = float(np.median(row.runs))
            row.note = f"{sum(p.numel() for p in model.parameters()):,} parameters"
            del model, call
        except Exception as error:  # noqa: BLE001 - a row says why it has no figure; the others still run
            row.error = f"{type(error).__name__}: {error}"
            traceback.print_exc()
        row.peak_gpu_gib = _rounded(peak_gib(args.device))
        rows.append(row)
    return rows


def _clip_frames(count: int, height: int, width: int):
    """A synthetic clip made on demand (never held whole): a gradient that drifts, so frames differ."""
    ys, xs = np.mgrid[0:height, 0:width]

    def frame(i: int) -> np.ndarray:
        out = np.empty((height, width, 3), np.uint8)
        out[..., 0] = (xs * 255 // max(1, width - 1) + i) % 256
        out[..., 1] = (ys * 255 // max(1, height - 1)) % 256
        out[..., 2] = (i * 3) % 256
        return out

    return frame


def _vace_model(pipe, steps: int, window: int):
    from retakes.engine.learned.vace import VaceModel, VaceSettings

    loaded = SimpleNamespace(model=pipe, layout=SimpleNamespace(class_name="WanVACEPipeline"),
                             entry=SimpleNamespace(name="random-weights"))
    return VaceModel(loaded, VaceSettings("a 1970s brick building, film grain", steps, 5.0, window=window))


def part_e2e(args, sizes: Sizes) -> list[Row]:
    from PIL import Image

    rows = []
    frame = _clip_frames(sizes.frames, sizes.height, sizes.width)
    video = [Image.fromarray(frame(i)) for i in range(sizes.frames)]
    mask = np.zeros((sizes.height, sizes.width), np.uint8)
    mask[sizes.height // 4: 3 * sizes.height // 4, sizes.width // 4: 3 * sizes.width // 4] = 255
    masks = [Image.fromarray(mask)] * sizes.frames
    for variant in args.e2e_variants:
        row = Row("e2e", variant, f"{sizes.width}x{sizes.height}", sizes.frames, args.steps)
        reset_peak(args.device)
        try:
            pipe = pipeline(args.tiny, args.device, torch.bfloat16 if "bf16" in variant else torch.float32)
            if variant.endswith("compile"):
                pipe.transformer.compile()
            if variant.endswith("fbcache"):
                from diffusers.hooks import FirstBlockCacheConfig

                pipe.transformer.enable_cache(FirstBlockCacheConfig(threshold=0.05))
                row.note = "random weights: the steps the cache skips say nothing about real weights"

            def run(steps: int, pipe=pipe) -> None:
                with torch.inference_mode():
                    pipe(prompt="a 1970s brick building", negative_prompt="blurry", video=video, mask=masks,
                         height=sizes.height, width=sizes.width, num_frames=sizes.frames, num_inference_steps=steps,
                         guidance_scale=5.0, generator=torch.Generator("cpu").manual_seed(0), output_type="np",
                         max_sequence_length=512 if not args.tiny else 16)
                sync(args.device)

            started = time.perf_counter()
            run(2)  # warm-up (and compilation)
            row.compile_seconds = round(time.perf_counter() - started, 3)
            reset_peak(args.device)
            started = time.perf_counter()
            run(args.steps)
            row.seconds = round(time.perf_counter() - started, 3)
            row.seconds_per_step = round(row.seconds / args.steps, 4)
            row.peak_gpu_gib = _rounded(peak_gib(args.device))
            del pipe
        except Exception as error:  # noqa: BLE001
            row.error = f"{type(error).__name__}: {error}"
            traceback.print_exc()
        rows.append(row)
    return rows


def _through_windows(args, pipe, part: str, count: int, height: int, width: int, *, moving_mask: bool,
                     steps: int, window: int) -> Row:
    from retakes.engine.learned.video import FrameInput, WindowSettings, plan_windows, run_windows

    frame = _clip_frames(count, height, width)

    def inputs(i: int) -> FrameInput:
        if not moving_mask:
            return FrameInput(frame(i), None)
        m = np.zeros((height, width), np.uint8)
        x = width // 3 + (i * width // 400)  # a 1080p object crossing about a third of the frame in 5 s
        m[height // 3: height // 3 + height // 4, x: x + width // 6] = 255
        return FrameInput(frame(i), m)

    model = _vace_model(pipe, steps, window)
    overlap = min(8, window // 2)
    row = Row(part, "bf16-sdpa", f"{width}x{height}", count, steps, windows=len(plan_windows(count, window, overlap)))
    reset_peak(args.device)
    tracemalloc.start()
    try:
        with tempfile.TemporaryDirectory(prefix="vace-bench-") as folder:
            started = time.perf_counter()
            stored = run_windows(model, 0, count, inputs, Path(folder), WindowSettings(overlap=overlap),
                                 whole_frame=not moving_mask)
            # read every frame back as the render does (crop-and-stitch's other half)
            for i in range(count):
                stored.final(i, frame(i))
            sync(args.device)
            row.seconds = round(time.perf_counter() - started, 3)
            row.seconds_per_step = round(row.seconds / (row.windows * steps), 4)
    except Exception as error:  # noqa: BLE001
        row.error = f"{type(error).__name__}: {error}"
        traceback.print_exc()
    row.peak_host_mib = round(tracemalloc.get_traced_memory()[1] / 2**20, 1)
    tracemalloc.stop()
    row.peak_gpu_gib = _rounded(peak_gib(args.device))
    return row


def part_crop1080(args, sizes: Sizes) -> list[Row]:
    pipe = pipeline(args.tiny, args.device, torch.bfloat16)
    count, height, width = sizes.clip_1080
    row = _through_windows(args, pipe, "crop1080", count, height, width, moving_mask=True, steps=args.steps,
                           window=sizes.window)
    row.note = "5 s of 1080p at 24 fps; the model sees the mask's box at its working area (480x832 px)"
    return [row]


def part_windows(args, sizes: Sizes) -> list[Row]:
    pipe = pipeline(args.tiny, args.device, torch.bfloat16)
    rows = []
    height, width = sizes.window_size
    for count in sizes.lengths:
        row = _through_windows(args, pipe, "windows", count, height, width, moving_mask=False,
                               steps=args.window_steps, window=sizes.window)
        row.note = f"{count / 24:g} s at 24 fps, whole frame; memory, not speed ({args.window_steps} steps/window)"
        rows.append(row)
    return rows


def table(rows: list[Row]) -> str:
    lines = ["| part | variant | size | frames | steps | s (end to end or /step) | s/step | compile s | GPU peak GiB "
             "| host peak MiB | windows | note |", "|" + "---|" * 12]
    for r in rows:
        cells = [r.part, r.variant, r.size, r.frames, r.steps, r.seconds, r.seconds_per_step, r.compile_seconds,
                 r.peak_gpu_gib, r.peak_host_mib, r.windows, r.error or r.note]
        lines.append("| " + " | ".join("" if c is None else str(c) for c in cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--tiny", action="store_true", help="tiny sizes (a CPU check that the script runs)")
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--parts", default=",".join(PARTS), help=f"comma-separated: {', '.join(PARTS)}")
    p.add_argument("--step-variants", default=",".join(STEP_VARIANTS))
    p.add_argument("--e2e-variants", default=",".join(E2E_VARIANTS))
    p.add_argument("--steps", type=int, default=20, help="denoising steps of e2e and crop1080")
    p.add_argument("--window-steps", type=int, default=4, help="steps per window of the windows part")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--out", type=Path, required=True)
    args = p.parse_args(argv)
    args.step_variants = [v for v in args.step_variants.split(",") if v]
    args.e2e_variants = [v for v in args.e2e_variants.split(",") if v]
    if args.tiny:
        args.steps, args.window_steps, args.repeat = min(args.steps, 2), min(args.window_steps, 2), 1
    sizes = TINY if args.tiny else PUBLISHED
    rows: list[Row] = []
    for part in [x for x in args.parts.split(",") if x]:
        if part not in PARTS:
            p.error(f"--parts: no part {part!r}; expected some of {', '.join(PARTS)}")
        print(f"== {part}", flush=True)
        rows += globals()[f"part_{part}"](args, sizes)
        gc.collect()
        _write(rows, args)  # after each part: a run cut off by a time limit keeps what it measured
    print(table(rows))
    return 1 if any(r.error for r in rows) else 0


def _write(rows: list[Row], args) -> None:
    result = {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "machine": {"platform": platform.platform(), "python": platform.python_version(),
                    "gpu": torch.cuda.get_device_name() if args.device.startswith("cuda") else "",
                    "device": args.device},
        "versions": {"torch": torch.__version__, "diffusers": __import__("diffusers").__version__,
                     "transformers": __import__("transformers").__version__},
        "tiny": args.tiny, "anchor": "Wan2.1-VACE-1.3B, 5 s 480p on an RTX 4090: about 240 s and 8.2 GB",
        "rows": [asdict(r) for r in rows],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    raise SystemExit(main())

