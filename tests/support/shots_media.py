"""A clip of three shots of one textured object (other size, angle, light, background), on disk."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from retakes.engine.vision.scenes import ShotsScene, hue_rotate, make_shots_scene

#: the editor's edit in the tests: the object's hue turned by this much (HSV), on REFERENCE_FRAME
HUE = 120.0
REFERENCE_FRAME = 5


@dataclass
class ShotsClip:
    scene: ShotsScene
    folder: Path  # the clip, a PNG sequence
    mask: Path  # the object's mask on REFERENCE_FRAME
    edited: Path  # REFERENCE_FRAME with the object's hue turned by HUE

    def truth(self, index: int) -> np.ndarray:
        """Frame `index` as the edit should leave it: the object's hue turned in its own light."""
        return hue_rotate(self.scene.frames[index], HUE, self.scene.masks[index])


def write_shots_clip(root: Path, **scene_args) -> ShotsClip:
    scene = make_shots_scene(**scene_args)
    folder = root / "clip"
    folder.mkdir(parents=True)
    for i, frame in enumerate(scene.frames):
        cv2.imwrite(str(folder / f"{i:05d}.png"), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    mask, edited = root / "mask.png", root / "edited.png"
    cv2.imwrite(str(mask), scene.masks[REFERENCE_FRAME])
    key = hue_rotate(scene.frames[REFERENCE_FRAME], HUE, scene.masks[REFERENCE_FRAME])
    cv2.imwrite(str(edited), cv2.cvtColor(key, cv2.COLOR_RGB2BGR))
    return ShotsClip(scene, folder, mask, edited)


def psnr_inside(a: np.ndarray, b: np.ndarray, mask: np.ndarray) -> float:
    inside = mask > 127
    mse = float(((a[inside].astype(np.float64) - b[inside]) ** 2).mean())
    return 10 * np.log10(255.0**2 / max(mse, 1e-12))
