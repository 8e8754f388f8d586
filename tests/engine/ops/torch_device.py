"""The torch device the ops' GPU-path tests run on: torch's CPU here and in CI, CUDA on a
GPU machine (`RETAKES_TEST_TORCH_DEVICE=cuda pytest tests/engine/ops`), where the same
tolerances then hold between the CPU path and the real GPU."""

import os

TORCH_DEVICE = os.environ.get("RETAKES_TEST_TORCH_DEVICE", "torch:cpu")
