"""Quality of track / propagate / remove, measured against exact ground truth (issue 3).

Protocol (to be copied into docs/BENCHMARKS.md):
- removal: frames resized to 432x240 (INTER_LINEAR); one stationary free-form mask per
  clip (random strokes, seed = clip index), dilated with a 3x3 cross, 4 iterations; the
  op's own dilation is off (grow=0); PSNR and SSIM (Gaussian-free uniform 65x65 window,
  as skimage win_size=65, data_range 255, mean over RGB) of the whole frame against the
  original, frame-averaged. Not comparable to E2FGVI/ProPainter tables (their masks differ).
- propagation: ground truth = HSV hue rotation by 90 degrees of the object on every frame
  (true per-frame mask); propagate is given only the edited first frame (no mask); PSNR
  inside the true object and over the whole frame, frames 1.. averaged.
- tracking: mean J (IoU) of `track` from the first frame's true mask, frames 1.. .
- temporal stability: E_warp (fast_blind_video_consistency formula, DIS flow instead of
  FlowNet2, occlusion + motion boundary excluded) of the propagate output and of the source;
  for removal, the same inside the hole only (where the output differs from the source).
Runs on synthetic scenes (engine.vision.scenes) and on ../shared/media/davis-dev if present.
Usage: python bench/quality.py [--json out.json] [--quick] [--only remove,track,...] [--clips a,b]
                              [--flows dis,torch]
(--flows: which flow backends, each measured in the same run: dis is the CPU path, torch the GPU
path (vision.flow_torch and the ops' torch code) run on --torch-device, "cpu" where there is no GPU;
torch's results go to the JSON's name with _torch before the suffix.)
(--only / --clips run a subset with the same protocol, for iterating; their results are merged into the
existing JSON, entries not run are kept.)
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import cv2
import numpy as np

from retakes.engine.ops import get_op
from retakes.engine.ops.base import EditContext
from retakes.engine.ops.track import track_masks
from retakes.engine.vision.flow import FlowEstimator, gray, unreliable, warp
from retakes.engine.vision.metrics import psnr, ssim
from retakes.engine.vision.scenes import ArrayMasks, ArraySource, free_form_mask, hue_rotate, make_scene

DAVIS = Path(__file__).resolve().parents[1] / ".." / "shared" / "media" / "davis-dev"


def e_warp(frames: list[np.ndarray], est: FlowEstimator, region: np.ndarray | None = None) -> float:
    """Mean squared warping error between consecutive frames (0..1 RGB), over `region` if given."""
    errs = []
    for t in range(len(frames) - 1):
        a, b = frames[t], frames[t + 1]
        fw = est.flow(gray(a), gray(b))
        bw = est.flow(gray(b), gray(a))
        keep = ~unreliable(fw, bw) if region is None else ~unreliable(fw, bw) & region
        wb = warp(b.astype(np.float32) / 255, fw)
        d = ((a.astype(np.float32) / 255 - wb) ** 2).sum(-1)
        errs.append(d[keep].sum() / max(3 * keep.sum(), 1) if keep.any() else d.mean() / 3)
    return float(np.mean(errs))


def load_davis(clip: Path):
    frames = [cv2.cvtColor(cv2.imread(str(p)), cv2.COLOR_BGR2RGB) for p in sorted((clip / "frames").glob("*.jpg"))]
    masks = [cv2.imread(str(p), cv2.IMREAD_GRAYSCALE) for p in sorted((clip / "masks").glob("*.png"))]
    return frames, [((m > 127) * 255).astype(np.uint8) for m in masks]


def bench_track(frames, masks, device: str = "cpu") -> float:
    src = ArraySource(frames)
    est = FlowEstimator.from_params({}, 960, device)
    got = dict(track_masks(src, src.frame_range, 0, masks[0], None, estimator=est))
    js = [((got[i] > 127) & (masks[i] > 127)).sum() / max(((got[i] > 127) | (masks[i] > 127)).sum(), 1)
          for i in range(1, len(frames))]  # fmt: skip
    return float(np.mean(js))


def bench_propagate(frames, masks, device: str = "cpu") -> dict:
    truth = [hue_rotate(f, 90, m) for f, m in zip(frames, masks, strict=True)]
    src = ArraySource(frames)
    ctx = EditContext(src, src.frame_range, {}, keyframes={0: truth[0]}, device=device)
    op = get_op("propagate")()
    t = time.perf_counter()
    op.prepare(ctx)
    out = [op.render(i, f, ctx) for i, f in src.frames(src.frame_range)]
    ms = (time.perf_counter() - t) / len(frames) * 1000
    est = FlowEstimator("medium", 640)
    return {
        "psnr_object": float(np.mean([psnr(out[i], truth[i], masks[i] > 127) for i in range(1, len(frames))])),
        "psnr_frame": float(np.mean([psnr(out[i], truth[i]) for i in range(1, len(frames))])),
        "ewarp_out": e_warp(out, est),
        "ewarp_src": e_warp(frames, est),
        "ms_per_frame": ms,
    }


def bench_remove(frames, seed: int, targets=None, device: str = "cpu") -> dict:
    small = [cv2.resize(f, (432, 240), interpolation=cv2.INTER_LINEAR) for f in frames]
    truth = small if targets is None else [cv2.resize(f, (432, 240)) for f in targets]
    m = free_form_mask(np.random.default_rng(seed), 240, 432)
    cross = cv2.getStructuringElement(cv2.MORPH_CROSS, (3, 3))
    m = cv2.dilate((m > 0).astype(np.uint8), cross, iterations=4) * 255
    src = ArraySource(small)
    ctx = EditContext(src, src.frame_range, {"grow": 0}, masks=ArrayMasks(dict.fromkeys(range(len(small)), m)),
                      device=device)
    op = get_op("remove")()
    op.prepare(ctx)
    out = [op.render(i, f, ctx) for i, f in src.frames(src.frame_range)]
    est = FlowEstimator("medium", 960)
    return {
        "psnr": float(np.mean([psnr(o, g) for o, g in zip(out, truth, strict=True)])),
        "ssim": float(np.mean([ssim(o, g) for o, g in zip(out, truth, strict=True)])),
        "hole_fraction": float((m > 0).mean()),
        # temporal stability inside the hole, where the output differs from the source
        "ewarp_hole_out": e_warp(out, est, m > 0),
        "ewarp_hole_src": e_warp(truth, est, m > 0),
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", default="bench/quality.json")
    ap.add_argument("--quick", action="store_true", help="synthetic scenes only")
    ap.add_argument("--only", default="track,propagate,remove", help="comma list of benches to run")
    ap.add_argument("--clips", default="", help="comma list of clip names (default: all)")
    ap.add_argument("--flows", default="dis", help="comma list of flow backends: dis (CPU path), torch (GPU path)")
    ap.add_argument("--torch-device", default="cpu", help="where the torch path runs (cpu, cuda)")
    ap.add_argument("--davis", type=Path, default=DAVIS, help="the davis-dev folder (default: ../shared/media/)")
    args = ap.parse_args(argv)
    only = set(args.only.split(","))
    wanted = set(filter(None, args.clips.split(",")))
    clips = {}
    for s in range(3):
        sc = make_scene(432, 240, 30, seed=s)
        clips[f"synthetic-{s}"] = (sc.frames, sc.masks)
    if args.davis.exists() and not args.quick:
        for d in sorted(args.davis.iterdir()):
            clips[d.name] = load_davis(d)
    for flow in args.flows.split(","):
        device = "cpu" if flow == "dis" else f"torch:{args.torch_device}" if args.torch_device == "cpu" \
            else args.torch_device
        out = Path(args.json) if flow == "dis" else Path(args.json).with_name(f"{Path(args.json).stem}_{flow}.json")
        print(f"== flow {flow} (device {device}) -> {out}")
        run(clips, only, wanted, device, out)
    return 0


def run(clips: dict, only: set, wanted: set, device: str, out: Path) -> None:
    results = {}
    print(f"{'clip':14} {'J':>6} {'P-obj':>7} {'P-frm':>7} {'Ew-out':>8} {'Ew-src':>8} {'rm-PSNR':>8} {'rm-SSIM':>8}"
          f" {'rm-Ew-out':>9} {'rm-Ew-src':>9}")  # fmt: skip
    nan = float("nan")
    for n, (name, (frames, masks)) in enumerate(clips.items()):  # n (the mask seed) is kept for subsets
        if wanted and name not in wanted:
            continue
        r = {}
        if "track" in only:
            r["track_J"] = bench_track(frames, masks, device)
        if "propagate" in only:
            r["propagate"] = bench_propagate(frames, masks, device)
        if "remove" in only:
            t = time.perf_counter()
            r["remove"] = bench_remove(frames, n, device=device)
            r["remove"]["ms_per_frame"] = (time.perf_counter() - t) / len(frames) * 1000
        results[name] = r
        p = r.get("propagate", dict.fromkeys(("psnr_object", "psnr_frame", "ewarp_out", "ewarp_src"), nan))
        rm = r.get("remove", dict.fromkeys(("psnr", "ssim", "ewarp_hole_out", "ewarp_hole_src"), nan))
        print(f"{name:14} {r.get('track_J', nan):6.3f} {p['psnr_object']:7.2f} {p['psnr_frame']:7.2f} "
              f"{p['ewarp_out']:8.5f} {p['ewarp_src']:8.5f} {rm['psnr']:8.2f} {rm['ssim']:8.4f} "
              f"{rm['ewarp_hole_out']:9.5f} {rm['ewarp_hole_src']:9.5f}")  # fmt: skip
        sys.stdout.flush()
    if "remove" in only:
        rms = [r["remove"] for r in results.values()]
        real = [r["remove"] for k, r in results.items() if not k.startswith("synthetic")]
        real = real or [{"psnr": nan, "ssim": nan}]

        def mean(rs, key):
            return np.mean([r[key] for r in rs])

        print(f"{'remove mean':14} PSNR {mean(rms, 'psnr'):.2f} SSIM {mean(rms, 'ssim'):.4f}  "
              f"davis-dev: PSNR {mean(real, 'psnr'):.2f} SSIM {mean(real, 'ssim'):.4f}")  # fmt: skip
    merged = json.loads(out.read_text()) if out.exists() else {}
    for name, r in results.items():
        merged.setdefault(name, {}).update(r)
    out.write_text(json.dumps(merged, indent=2))


if __name__ == "__main__":
    raise SystemExit(main())
