"""Tiny model folders (tests/learned/tiny.py), built once per session."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def tiny(tmp_path_factory) -> dict[str, Path]:
    from .tiny import build_inpaint, build_instruct, build_sam2

    root = tmp_path_factory.mktemp("tiny-models")
    return {"inpaint": build_inpaint(root / "inpaint"), "instruct": build_instruct(root / "instruct"),
            "sam2": build_sam2(root / "sam2")}


@pytest.fixture(scope="module")
def one_thread():
    """torch in this process on one thread, for the module (see `retakes`)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
