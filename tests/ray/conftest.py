"""One local Ray per test module (its start takes seconds): 2 CPUs, on loopback, no dashboard, no usage stats."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

# Read when Ray is imported: Linux binds a Ray node to its network address unless told it is a
# one-machine Ray, and the suite stays on loopback (tests/netguard.py). No usage stats are sent.
os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"
os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
# The tests' clusters are on loopback and their own: no token, so none is read from or written
# to the user's ~/.ray (shared by everything on this machine that runs Ray).
os.environ["RAY_AUTH_MODE"] = "disabled"
ray = pytest.importorskip("ray", reason="the ray extra is not installed")


@pytest.fixture(scope="module")
def local_ray() -> Iterator[str]:
    """Yields the address of a local Ray of 2 CPUs; engines in this process use it as it is,
    engines in child processes connect to the address."""
    assert ray.__version__  # imported above, after the environment was set
    ray.init(address="local", num_cpus=2, include_dashboard=False, namespace="retakes", log_to_driver=False,
             configure_logging=False)
    try:
        yield ray.get_runtime_context().gcs_address
    finally:
        ray.shutdown()
