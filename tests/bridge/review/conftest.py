"""Fixtures for review tests: the fake Frame.io, an API client signed in against it, stores."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from retakes.bridge.review.auth import AuthConfig, FrameioAuth, TokenStore
from retakes.bridge.review.frameio_api import FrameioApi
from retakes.bridge.review.ledger import ReviewLedger
from retakes.bridge.review.versions import MemoryVersions, ReviewVersion
from retakes.engine.timecode import FrameRate
from tests.support.fake_frameio import FakeFrameio
from tests.support.timeline_double import DoubleTimeline


@pytest.fixture
def fake():
    with FakeFrameio() as server:
        server.state.part_size = 4096
        yield server


@pytest.fixture
def auth(fake, tmp_path) -> FrameioAuth:
    config = AuthConfig(client_id="cid", client_secret="secret", kind="s2s", ims_base_url=fake.base_url)
    return FrameioAuth(config, TokenStore(tmp_path / "cfg" / "tokens.json"))


@pytest.fixture
def api(fake, auth) -> FrameioApi:
    return FrameioApi(auth, fake.state.account_id, base_url=fake.base_url, timeout=10)


@pytest.fixture
def ledger(tmp_path) -> ReviewLedger:
    led = ReviewLedger(tmp_path / "review.sqlite")
    yield led
    led.close()


@pytest.fixture
def timeline() -> DoubleTimeline:
    return DoubleTimeline(rate=Fraction(24))


def pytest_configure(config):
    # The SDK's generated models touch pydantic v1 names; not ours to fix, and noisy.
    config.addinivalue_line("filterwarnings", "ignore::DeprecationWarning:frameio.*")
    config.addinivalue_line("filterwarnings", "ignore:The `__fields__` attribute is deprecated")


@pytest.fixture(scope="session")
def clip_files(tmp_path_factory) -> dict[str, Path]:
    from tests.support.review_media import write_clip

    root = tmp_path_factory.mktemp("clips")
    files = {"orig": write_clip(root / "orig.mp4", 30, version=False)}
    for i in (1, 2):
        files[f"v{i}"] = write_clip(root / f"shot010_v{i:03d}.mp4", 30, version=True)
    return files


@pytest.fixture
def review_site(tmp_path, ledger, timeline, clip_files):
    """A running review server over one clip: original + two versions on the timeline double."""
    import threading

    from retakes.bridge.review.frames import FrameCache
    from retakes.bridge.review.handoff import NotesPath
    from retakes.bridge.review.server import ReviewApp, make_server, new_token, token_digest
    from retakes.bridge.review.versions import OriginalMedia

    frames = 30
    store = MemoryVersions()
    orig = clip_files["orig"]
    store.add_original(OriginalMedia("shot010", orig, FrameRate.parse("24"), frames, 0, "01:00:00:00"))
    items = {}
    for i in (1, 2):
        media = clip_files[f"v{i}"]
        store.add(
            ReviewVersion(
                f"ver-{i}",
                "shot010",
                i,
                media,
                FrameRate.parse("24"),
                frames,
                "01:00:00:00",
                status="in review",
                lineage=f"v{i:03d} <- original: recolor --color '#1E8CDC'\nfrom orig.mp4, frames 0:30",
                item_id=f"item-v{i}",
                clip_name="shot010.mp4",
            )
        )
        items[f"ver-{i}"] = timeline.place(f"item-v{i}", track=i + 1, start=0, duration=frames)
    token = new_token()
    statuses = []
    app = ReviewApp(
        "shot010", NotesPath(store, ledger, timeline), FrameCache(tmp_path / "cache"), token_digest(token),
        on_status=lambda vid, status: statuses.append((vid, status)),
    )
    server = make_server(app, "127.0.0.1", 0)
    t = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    t.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    yield type(
        "Site",
        (),
        {
            "base": base,
            "token": token,
            "statuses": statuses,
            "port": server.server_address[1],
            "store": store,
            "items": items,
            "ledger": ledger,
            "url": f"{base}/?t={token}",
        },
    )
    server.shutdown()
    server.server_close()
