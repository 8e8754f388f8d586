"""Fixtures shared by every room's tests."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest


@pytest.fixture
def short_tmp():
    """A temp folder with a short path: Unix socket paths must stay under ~100 bytes."""
    with tempfile.TemporaryDirectory(prefix="rtk-", dir="/tmp" if os.name != "nt" else None) as tmp:
        yield Path(tmp)
