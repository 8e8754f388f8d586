"""Fixtures for the bridge tests: a Resolve double scene per timeline rate."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.resolve_scenes import RATES, Scene, make_scene


@pytest.fixture(params=RATES, ids=[r[0] for r in RATES])
def scene(request, tmp_path: Path) -> Scene:
    _, rate, start_tc, drop, media_tc = request.param
    return make_scene(tmp_path, rate, start_tc, drop, media_tc)
