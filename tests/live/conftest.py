"""Live contract tests against a running DaVinci Resolve. Not collected unless RETAKES_LIVE_RESOLVE=1.

They check, on the real application, the behaviour the Resolve double in
`retakes.bridge.resolve.double` imitates. Set up: Resolve open with a project, a timeline
starting at 01:00:00:00, and one plain video clip (not retimed) selected or under the playhead.
Connection: the in-app agent if it runs (Workspace > Scripts > retakes), else Studio's external
scripting. RETAKES_LIVE_WRITE=1 also runs the placement test, which adds a track, a bin and a
media-pool item and removes them again; RETAKES_LIVE_VERSION names the media file it places
(at least as long as the selected clip).
"""

from __future__ import annotations

import os

import pytest

LIVE = os.environ.get("RETAKES_LIVE_RESOLVE") == "1"
collect_ignore_glob = [] if LIVE else ["test_*.py"]


def pytest_collection_modifyitems(config, items) -> None:
    for item in items:
        if "tests/live" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.live)
            if not LIVE:
                item.add_marker(pytest.mark.skip(reason="set RETAKES_LIVE_RESOLVE=1 with Resolve running"))


@pytest.fixture(scope="session")
def resolve():
    from retakes.bridge.agent.client import connect_resolve

    return connect_resolve(timeout=30)
