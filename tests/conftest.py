"""Fixtures shared by every room's tests."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from tests import netguard

_SITE = Path(__file__).with_name("netguard_site")


def pytest_configure(config) -> None:
    """No test reaches the network (tests/netguard.py), nor any process a test starts."""
    netguard.install()
    os.environ["RETAKES_NETGUARD"] = str(Path(netguard.__file__).absolute())
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(_SITE), os.environ.get("PYTHONPATH")) if p)


@pytest.fixture(autouse=True)
def _no_network():
    """Fails the test when anything it ran tried to leave loopback, even if the error was swallowed."""
    netguard.refused.clear()
    yield
    if netguard.refused:
        tried = "; ".join(netguard.refused)
        netguard.refused.clear()
        pytest.fail(f"the test tried to reach the network: {tried}")


@pytest.fixture
def short_tmp():
    """A temp folder with a short path: Unix socket paths must stay under ~100 bytes."""
    with tempfile.TemporaryDirectory(prefix="rtk-", dir="/tmp" if os.name != "nt" else None) as tmp:
        yield Path(tmp)
