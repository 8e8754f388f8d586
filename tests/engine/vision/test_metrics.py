"""The benchmark metrics: PSNR and SSIM on known cases."""

import numpy as np

from retakes.engine.vision.metrics import psnr, ssim


def test_psnr_of_a_uniform_error_and_of_a_masked_region():
    a = np.full((20, 30, 3), 100, np.uint8)
    b = a.copy()
    b[:10] += 10  # squared error 100 on half the pixels
    assert abs(psnr(a, b) - 10 * np.log10(255**2 / 50)) < 1e-9
    top = np.zeros((20, 30), bool)
    top[:10] = True
    assert abs(psnr(a, b, top) - 10 * np.log10(255**2 / 100)) < 1e-9


def test_ssim_is_one_for_identical_images_and_near_zero_for_unrelated_ones():
    rng = np.random.default_rng(0)
    a = rng.integers(0, 256, (80, 80, 3), dtype=np.uint8)
    other = rng.integers(0, 256, (80, 80, 3), dtype=np.uint8)
    noisy = np.clip(a.astype(int) + rng.integers(-40, 41, a.shape), 0, 255).astype(np.uint8)
    assert abs(ssim(a, a, win=7) - 1.0) < 1e-9
    assert abs(ssim(a, other, win=7)) < 0.1
    assert ssim(a, other, win=7) < ssim(a, noisy, win=7) < 1.0
