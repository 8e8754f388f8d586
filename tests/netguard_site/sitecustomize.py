"""Installs the test suite's network guard in every Python process a test starts (see tests/netguard.py)."""

import importlib.util
import os

_path = os.environ.get("RETAKES_NETGUARD")
if _path:
    _spec = importlib.util.spec_from_file_location("retakes_test_netguard", _path)
    _guard = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(_guard)
    _guard.install()
    import sys

    sys.modules["retakes_test_netguard"] = _guard
