"""Multi-shot consistency on real footage: DAVIS clips cut into shots (issue 17).

Protocol (copied into docs/BENCHMARKS.md):
- each davis-dev clip (frames resized to 432x240, INTER_AREA; masks INTER_NEAREST) is cut into
  three shots from NON-adjacent segments of it: with L = n // 5 frames, segments [0, L), [2L, 3L)
  and [4L, 5L) joined by hard cuts (the object has moved, turned and changed size between them;
  the camera too). Shot 3 is also graded: per-channel gains (1.15, 1.0, 0.82) and a contrast
  lift, a different light. A second version joins shots 1 and 2 with a 6-frame dissolve;
- boundaries: found by `vision.shots.detect_shots`, compared with the true cut frames (a
  dissolve's true frame is its middle; "exact" = at that frame, +-1 reported separately);
- proposals: the object's true mask on shot 1's middle frame is the editor's reference; the
  matcher (`vision.match`, classical) proposes the mask on shots 2 and 3's middle frames; IoU
  against the true masks there;
- the edit: the reference frame with the object's hue turned 90 degrees (HSV, true mask) is the
  editor's edited keyframe; the `shots` op (proposals accepted as they are, each tracked through
  its shot) carries it to every frame. PSNR inside the true object against the same hue
  rotation of each frame (for the graded shot the "truth" is the hue rotation of the graded
  pixels, an approximation: a hue rotation and a colour gain do not commute exactly); mean IoU of
  the shot's tracked masks against the true masks; pixels changed outside the tracked region
  (must be 0).
Usage: python bench/multishot.py [--json out.json] [--clips a,b]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from retakes.engine.ops.base import EditContext
from retakes.engine.ops.multishot import MultiShot
from retakes.engine.shots import plan_from
from retakes.engine.timecode import FrameRange
from retakes.engine.vision.match import FeatureMatcher, iou
from retakes.engine.vision.scenes import ArraySource, hue_rotate
from retakes.engine.vision.shots import detect_shots

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine  # noqa: E402

DAVIS = Path(__file__).resolve().parents[1] / ".." / "shared" / "media" / "davis-dev"
SIZE = (432, 240)
GAIN = np.float32([1.15, 1.0, 0.82])
DISSOLVE = 6


def load(clip: str) -> tuple[list[np.ndarray], list[np.ndarray]]:
    folder = DAVIS / clip
    frames, masks = [], []
    for path in sorted((folder / "frames").glob("*.jpg")):
        bgr = cv2.imread(str(path))
        frames.append(cv2.resize(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), SIZE, interpolation=cv2.INTER_AREA))
        m = cv2.imread(str(folder / "masks" / f"{path.stem}.png"), cv2.IMREAD_GRAYSCALE)
        masks.append(np.where(cv2.resize(m, SIZE, interpolation=cv2.INTER_NEAREST) > 0, 255, 0).astype(np.uint8))
    return frames, masks


def graded(frame: np.ndarray) -> np.ndarray:
    f = frame.astype(np.float32) / 255.0
    f = np.clip((f - 0.5) * 1.12 + 0.5, 0, 1) * GAIN
    return np.rint(np.clip(f, 0, 1) * 255).astype(np.uint8)


def cut_into_shots(frames, masks, *, dissolve: int = 0):
    """(frames, masks, true boundary frames, true shot ranges) of the three-shot edit of a clip."""
    n = len(frames)
    seg = n // 5
    parts = [(0, seg), (2 * seg, 3 * seg), (4 * seg, 5 * seg)]
    out_f, out_m, cuts = [], [], []
    for s, (a, b) in enumerate(parts):
        fr = [graded(f) for f in frames[a:b]] if s == 2 else list(frames[a:b])
        mk = list(masks[a:b])
        if s == 1 and dissolve:
            start = len(out_f) - dissolve
            for i in range(dissolve):
                w = (i + 1) / (dissolve + 1)
                out_f[start + i] = np.rint(out_f[start + i] * (1 - w) + fr[i] * w).astype(np.uint8)
                out_m[start + i] = np.zeros_like(mk[i])  # half an object: no truth there
            cuts.append(start + dissolve // 2)
            out_f += fr[dissolve:]
            out_m += mk[dissolve:]
        else:
            if s:
                cuts.append(len(out_f))
            out_f += fr
            out_m += mk
    return out_f, out_m, cuts


def run_clip(clip: str) -> dict:
    frames, masks = load(clip)
    result: dict = {"clip": clip, "frames": len(frames)}
    for dissolve in (0, DISSOLVE):
        f, m, cuts = cut_into_shots(frames, masks, dissolve=dissolve)
        found = detect_shots(enumerate(f), FrameRange(0, len(f)))
        got = [b.frame for b in found.boundaries]
        key = "dissolve" if dissolve else "cuts"
        result[f"boundaries_{key}"] = {"true": cuts, "found": got, "kinds": [b.kind for b in found.boundaries],
                                       "exact": sum(c in got for c in cuts),
                                       "within_1": sum(any(abs(c - g) <= 1 for g in got) for c in cuts),
                                       "false": sum(all(abs(c - g) > 1 for c in cuts) for g in got)}
    f, m, cuts = cut_into_shots(frames, masks)
    n = len(f)
    found = detect_shots(enumerate(f), FrameRange(0, n))
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        # the true shots, so a missed cut does not confound the matching and edit figures
        from retakes.engine.vision.shots import Boundary, ShotList

        true = ShotList(FrameRange(0, n), tuple(Boundary(c, "cut", 1.0, FrameRange(c, c + 1)) for c in cuts))
        plan = plan_from(true, root / "clip")
        plan.path = root / "plan.json"
        ref_shot = plan.shots[0]
        ref = (ref_shot.start + ref_shot.end) // 2
        matcher = FeatureMatcher()
        proposals = []
        started = time.perf_counter()
        for shot in plan.shots:
            frame = (shot.start + shot.end) // 2
            if shot is ref_shot:
                mask, status, method = m[ref], "reference", "editor"
            else:
                got = matcher.find(f[ref], m[ref], f[frame])
                mask, status, method = got.mask, "accepted", got.method
                proposals.append({"shot": shot.index, "iou": round(iou(mask, m[frame]), 3), "method": method,
                                  "score": round(got.score, 3)})
            cv2.imwrite(str(root / f"s{shot.index}.png"), mask)
            shot.mask, shot.frame, shot.status, shot.method = f"s{shot.index}.png", frame, status, method
        match_s = time.perf_counter() - started
        plan.save(root / "plan.json")
        edited = hue_rotate(f[ref], 90, m[ref])
        op = MultiShot()
        ctx = EditContext(ArraySource(f), FrameRange(0, n),
                          {"plan": str(root / "plan.json"), "color": None, "hue": None, "strength": 1.0,
                           "feather": 2.0}, keyframes={ref: edited}, workdir=root / "work")
        started = time.perf_counter()
        op.prepare(ctx)
        out = [op.render(i, fr, ctx) for i, fr in enumerate(f)]
        apply_s = time.perf_counter() - started
        shots = []
        for w in op._work:
            ps, ious, outside_changed = [], [], 0
            for i in w.shot.frame_range:
                truth = hue_rotate(f[i], 90, m[i])
                inside = m[i] > 127
                if inside.any():
                    mse = float(((out[i][inside].astype(np.float64) - truth[inside]) ** 2).mean())
                    ps.append(10 * np.log10(255.0**2 / max(mse, 1e-12)))
                tracked = op._mask(w, i)
                ious.append(iou(tracked, m[i]))
                region = cv2.dilate(tracked, np.ones((9, 9), np.uint8)) > 0  # the feathered region
                outside_changed += int(np.any(out[i] != f[i], axis=-1)[~region].sum())
            shots.append({"shot": w.shot.index, "psnr_in_object": round(float(np.mean(ps)), 2),
                          "tracked_iou": round(float(np.mean(ious)), 3), "changed_outside": outside_changed})
    result.update(proposals=proposals, shots=shots, match_s=round(match_s, 2), apply_s=round(apply_s, 2),
                  detected_in_edit=[b.frame for b in found.boundaries])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", type=Path)
    parser.add_argument("--clips", default="")
    args = parser.parse_args()
    clips = args.clips.split(",") if args.clips else sorted(p.name for p in DAVIS.iterdir() if (p / "masks").is_dir())
    results = {"machine": machine(), "date": time.strftime("%Y-%m-%d"), "clips": [run_clip(c) for c in clips]}
    print(json.dumps(results, indent=1))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
