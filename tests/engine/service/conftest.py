"""A real engine on a real socket, running in a background thread's event loop."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.engines import EngineHandle, running_engine


@pytest.fixture
def engine(short_tmp) -> Iterator[EngineHandle]:
    with running_engine(short_tmp / "state", tcp=True, chunk_frames=8) as handle:
        yield handle
