"""Finding the editor's object in another shot: appearance matching, then a segmentation.

The object was masked on one frame of one shot (the reference). In another shot it may be seen
bigger or smaller, turned, and under other light, and nothing connects the two frames in time,
so a tracker cannot carry it there. A `Matcher` proposes its mask in a frame of that other shot.

The classical matcher (`FeatureMatcher`):
1. local features (SIFT: scale and rotation invariant, gradient-normalised so it shrugs off a
   change of exposure) inside the reference mask, matched to the whole target frame with Lowe's
   ratio test; a RANSAC homography (or a similarity, with few matches) maps the reference mask
   onto the target;
2. when features find too little (a smooth object, a tiny one), colour statistics instead: the
   object's histogram of chromaticity against its surroundings', back-projected on the target
   (chromaticity, not RGB, so a brighter or darker shot still matches), largest blob kept;
3. either way GrabCut refines the first guess against the target's own colours, with the
   guess's core as sure object and far outside as sure background.

`MATCHERS` is the seam for other ways of doing step 1: a learned tracker's image features when
its weights are in the model store (`engine.models`) register a factory under another name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import cv2
import numpy as np

#: below this many RANSAC inliers a feature match is not trusted
MIN_INLIERS = 8
#: features are found on frames enlarged to at least this width (small proxies have too few)
FEATURE_WIDTH = 480


@dataclass(frozen=True)
class Match:
    """A proposed mask for the object in a target frame."""

    #: uint8 (H, W), 255 = object
    mask: np.ndarray
    #: 0..1: how sure the matcher is (inlier share for features; histogram agreement for colour)
    score: float
    #: "features" | "colour" | "none": what found it, so the editor knows what to check
    method: str


class Matcher(Protocol):
    name: str

    def find(self, reference: np.ndarray, reference_mask: np.ndarray, target: np.ndarray) -> Match:
        """The object of `reference_mask` (uint8, > 127 = object) in `reference`, found in `target`."""
        ...


def _to8(frame: np.ndarray) -> np.ndarray:
    return frame if frame.dtype == np.uint8 else (frame >> 8).astype(np.uint8)


def _scale_for(frame: np.ndarray) -> float:
    return max(1.0, FEATURE_WIDTH / frame.shape[1])


def _chromaticity(rgb8: np.ndarray) -> np.ndarray:
    """(H, W, 2) r/(r+g+b), g/(r+g+b) in 0..1: unchanged by a change of exposure."""
    f = rgb8.astype(np.float32) + 1.0
    s = f.sum(-1, keepdims=True)
    return (f[..., :2] / s).astype(np.float32)


@dataclass
class FeatureMatcher:
    """SIFT + RANSAC homography, colour back-projection as the fallback, GrabCut refinement."""

    name: str = "classical"
    ratio: float = 0.8
    grabcut_iterations: int = 4

    def find(self, reference: np.ndarray, reference_mask: np.ndarray, target: np.ndarray) -> Match:
        ref, tgt = _to8(reference), _to8(target)
        inside = reference_mask > 127
        if not inside.any():
            return Match(np.zeros(tgt.shape[:2], np.uint8), 0.0, "none")
        guess, score, method = self._by_features(ref, inside, tgt)
        if guess is None:
            guess, score, method = self._by_colour(ref, inside, tgt)
        if guess is None or not guess.any():
            return Match(np.zeros(tgt.shape[:2], np.uint8), 0.0, "none")
        refined = self._grabcut(tgt, guess)
        return Match(refined, score, method)

    # -- step 1: features ---------------------------------------------------------------------
    def _by_features(self, ref, inside, tgt) -> tuple[np.ndarray | None, float, str]:
        sift = cv2.SIFT_create()
        sr, st = _scale_for(ref), _scale_for(tgt)
        big_ref = cv2.resize(ref, None, fx=sr, fy=sr, interpolation=cv2.INTER_CUBIC)
        big_tgt = cv2.resize(tgt, None, fx=st, fy=st, interpolation=cv2.INTER_CUBIC)
        big_mask = cv2.resize(inside.astype(np.uint8) * 255, big_ref.shape[1::-1], interpolation=cv2.INTER_NEAREST)
        kr, dr = sift.detectAndCompute(cv2.cvtColor(big_ref, cv2.COLOR_RGB2GRAY), big_mask)
        kt, dt = sift.detectAndCompute(cv2.cvtColor(big_tgt, cv2.COLOR_RGB2GRAY), None)
        if dr is None or dt is None or len(kr) < 4 or len(kt) < 4:
            return None, 0.0, "features"
        pairs = cv2.BFMatcher(cv2.NORM_L2).knnMatch(dr, dt, k=2)
        good = [p[0] for p in pairs if len(p) == 2 and p[0].distance < self.ratio * p[1].distance]
        if len(good) < MIN_INLIERS:
            return None, 0.0, "features"
        src = np.float32([kr[m.queryIdx].pt for m in good]) / sr
        dst = np.float32([kt[m.trainIdx].pt for m in good]) / st
        h, w = tgt.shape[:2]
        homography, keep = cv2.findHomography(src, dst, cv2.RANSAC, 3.0 / st * 2)
        if homography is not None and int(keep.sum()) >= max(MIN_INLIERS, 12) and _sane(homography):
            warped = cv2.warpPerspective(inside.astype(np.uint8) * 255, homography, (w, h), flags=cv2.INTER_LINEAR)
            return warped > 127, float(keep.sum()) / len(good), "features"
        affine, keep = cv2.estimateAffinePartial2D(src, dst, method=cv2.RANSAC, ransacReprojThreshold=3.0)
        if affine is None or int(keep.sum()) < MIN_INLIERS:
            return None, 0.0, "features"
        warped = cv2.warpAffine(inside.astype(np.uint8) * 255, affine, (w, h), flags=cv2.INTER_LINEAR)
        return warped > 127, float(keep.sum()) / len(good), "features"

    # -- step 2: colour -----------------------------------------------------------------------
    def _by_colour(self, ref, inside, tgt) -> tuple[np.ndarray | None, float, str]:
        bins, rng = [32, 32], [0.0, 1.0, 0.0, 1.0]
        cr, ct = _chromaticity(ref), _chromaticity(tgt)
        obj = cv2.calcHist([cr], [0, 1], inside.astype(np.uint8), bins, rng)
        bg = cv2.calcHist([cr], [0, 1], (~inside).astype(np.uint8), bins, rng)
        obj /= max(float(obj.sum()), 1.0)
        bg /= max(float(bg.sum()), 1.0)
        # likelihood ratio: colours the object has and its surroundings have not
        ratio = np.clip(obj / (obj + bg + 1e-6), 0, 1).astype(np.float32)
        prob = cv2.calcBackProject([ct], [0, 1], ratio, rng, scale=1)
        prob = cv2.GaussianBlur(prob, (5, 5), 0)
        hit = (prob > 0.5).astype(np.uint8)
        n, labels, stats, _ = cv2.connectedComponentsWithStats(hit, connectivity=8)
        if n < 2:
            return None, 0.0, "colour"
        best = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
        blob = labels == best
        got = cv2.calcHist([ct], [0, 1], blob.astype(np.uint8), bins, rng)
        got /= max(float(got.sum()), 1.0)
        agreement = float(np.minimum(got, obj).sum())  # histogram intersection, 0..1
        return blob, agreement, "colour"

    # -- step 3: GrabCut ----------------------------------------------------------------------
    def _grabcut(self, tgt: np.ndarray, guess: np.ndarray) -> np.ndarray:
        h, w = guess.shape
        ys, xs = np.nonzero(guess)
        size = max(ys.max() - ys.min() + 1, xs.max() - xs.min() + 1)
        r = max(1, int(round(0.08 * size)))
        k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))
        g8 = guess.astype(np.uint8)
        core = cv2.erode(g8, k) > 0
        near = cv2.dilate(g8, k, iterations=2) > 0
        labels = np.full((h, w), cv2.GC_BGD, np.uint8)
        labels[near] = cv2.GC_PR_BGD
        labels[guess] = cv2.GC_PR_FGD
        labels[core] = cv2.GC_FGD
        if not (labels == cv2.GC_BGD).any() or not core.any():
            return g8 * 255  # nothing sure to learn the background (or object) from: keep the guess
        bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
        cv2.grabCut(np.ascontiguousarray(tgt), labels, None, bgd, fgd, self.grabcut_iterations,
                    cv2.GC_INIT_WITH_MASK)
        out = (labels == cv2.GC_FGD) | (labels == cv2.GC_PR_FGD)
        return out.astype(np.uint8) * 255


def _sane(homography: np.ndarray) -> bool:
    """Not a degenerate or mirroring homography (RANSAC on few points can return one)."""
    a = homography[:2, :2] / homography[2, 2]
    det = float(np.linalg.det(a))
    return 0.02 < det < 50.0 and abs(float(homography[2, 0])) + abs(float(homography[2, 1])) < 0.01


#: matchers by name; `auto` picks the first of `PREFERENCE` that is available
MATCHERS: dict[str, Callable[[], Matcher]] = {"classical": FeatureMatcher}
#: a learned backend inserts itself before "classical" when it registers (weights present)
PREFERENCE: list[str] = ["classical"]


def make_matcher(name: str = "auto") -> Matcher:
    from ..errors import InvalidArgument

    if name == "auto":
        name = next(n for n in PREFERENCE if n in MATCHERS)
    if name not in MATCHERS:
        raise InvalidArgument(f"no matcher {name!r}; this engine has: auto, {', '.join(sorted(MATCHERS))}",
                              field="matcher")
    return MATCHERS[name]()


def iou(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of two masks (> 127 = inside); 1.0 when both are empty."""
    a, b = a > 127, b > 127
    union = int((a | b).sum())
    return 1.0 if union == 0 else int((a & b).sum()) / union
