"""Send to review from the panel: the page starts off the GUI thread, its link is shown (clickable,
copyable), and what the reviewer decides on the page comes back into the versions table (issue 13,
item 20). The page is the real review server on a loopback socket, driven over real HTTP."""

from __future__ import annotations

import json
import shutil
import urllib.request
from urllib.parse import parse_qs, urlparse

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from retakes.bridge.versions import NewVersion, VersionStore
from tests.support.panel import wait_loaded


@pytest.fixture
def two_versions(qtbot, studio, demo_media, settings, tmp_path):
    studio.open_path(demo_media)
    wait_loaded(qtbot, studio)
    made = []
    with VersionStore.open(settings.versions_root) as store:
        for n in (1, 2):
            out = tmp_path / f"v{n}.mov"
            shutil.copy(demo_media, out)
            made.append(store.record(NewVersion(studio.session.clip, "recolor", str(out), {"hue": 30 * n})))
    studio.versions.refresh()
    qtbot.waitUntil(lambda: len(studio.versions.list) == 2, timeout=5000)
    return made


def row(view, version_id: int):
    return next(view.tree.topLevelItem(i) for i in range(view.tree.topLevelItemCount())
                if view.tree.topLevelItem(i).data(0, Qt.UserRole) == version_id)


def page(url: str, path: str, body: dict | None = None) -> dict:
    """What the review page's own script does: the API with the link's token in a header."""
    parts = urlparse(url)
    token = parse_qs(parts.query)["t"][0]
    request = urllib.request.Request(f"{parts.scheme}://{parts.netloc}{path}",
                                     data=None if body is None else json.dumps(body).encode(),
                                     headers={"X-Review-Token": token, "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as reply:
        return json.loads(reply.read())


def test_send_to_review_shows_the_link_and_brings_the_decision_back(qtbot, studio, two_versions) -> None:
    w, view = studio.window, studio.window.versions
    v1, v2 = two_versions
    assert not view.link.isVisible()
    view.select(v1.id)
    qtbot.mouseClick(view.review, Qt.LeftButton)
    qtbot.waitUntil(lambda: view.link.isVisible(), timeout=10000)
    url = view.links[v1.id]
    assert urlparse(url).hostname == "127.0.0.1" and "t=" in url  # loopback, with its token
    assert f'href="{url}"' in view.link.text() and view.link.openExternalLinks()  # a link a click opens
    qtbot.waitUntil(lambda: row(view, v1.id).text(1) == "in review", timeout=5000)
    assert url in w.statusBar().currentMessage()
    qtbot.mouseClick(view.copy_link, Qt.LeftButton)
    assert QGuiApplication.clipboard().text() == url

    clip = page(url, "/api/clip")  # the page really serves this clip's versions
    assert [v["label"] for v in clip["versions"]] == ["v001", "v002"]

    page(url, "/api/decision", {"version": str(v1.id), "decision": "approve"})  # the reviewer approves
    qtbot.waitUntil(lambda: row(view, v1.id).text(1) == "approved", timeout=10000)
    assert "v001 approved" in w.statusBar().currentMessage()

    view.select(v2.id)  # the second version goes to the same page, and is sent back with changes asked
    assert not view.link.isVisible()  # v002 has no link yet
    qtbot.mouseClick(view.review, Qt.LeftButton)
    qtbot.waitUntil(lambda: view.links.get(v2.id) == url, timeout=10000)
    qtbot.waitUntil(lambda: row(view, v2.id).text(1) == "in review", timeout=5000)
    page(url, "/api/decision", {"version": str(v2.id), "decision": "request_changes"})
    qtbot.waitUntil(lambda: row(view, v2.id).text(1) == "changes requested", timeout=10000)
    assert "v002 needs changes" in w.statusBar().currentMessage()
    qtbot.waitUntil(lambda: not studio.review.timer.isActive(), timeout=5000)  # nothing in review: no polling

    studio.versions.refresh()  # the links are the store's: they come back with the list
    qtbot.waitUntil(lambda: studio.versions.list[0].status == "approved", timeout=5000)
    view.select(v1.id)
    assert view.link.isVisible() and view.links[v1.id] == url
    assert not w.banner.isVisible(), w.banner.text.text()


@pytest.fixture
def fake_frameio():
    from tests.support.fake_frameio import FakeFrameio

    with FakeFrameio() as server:
        yield server


def test_send_to_review_pushes_to_frameio_when_it_is_set_up(qtbot, qapp, settings, demo_media, tmp_path,
                                                            fake_frameio, monkeypatch) -> None:
    from retakes.panel.studio import Studio

    fake = fake_frameio
    monkeypatch.setenv("RETAKES_FRAMEIO_CLIENT_ID", "cid")
    monkeypatch.setenv("RETAKES_FRAMEIO_CLIENT_SECRET", "secret")
    q = settings.q
    for key, value in (("account", fake.state.account_id), ("project", fake.state.project_id),
                       ("base_url", fake.base_url), ("ims_url", fake.base_url),
                       ("tokens", str(tmp_path / "cfg" / "tokens.json"))):
        q.setValue(f"review/frameio_{key}", value)
    studio = Studio(settings)
    qtbot.addWidget(studio.window)
    try:
        studio.open_path(demo_media)
        wait_loaded(qtbot, studio)
        out = tmp_path / "v1.mov"
        shutil.copy(demo_media, out)
        with VersionStore.open(settings.versions_root) as store:
            v1 = store.record(NewVersion(studio.session.clip, "recolor", str(out), {"hue": 30}))
        studio.versions.refresh()
        qtbot.waitUntil(lambda: len(studio.versions.list) == 1, timeout=5000)
        view = studio.window.versions
        qtbot.mouseClick(view.review, Qt.LeftButton)
        qtbot.waitUntil(lambda: v1.id in view.links or studio.window.banner.isVisible(), timeout=15000)
        assert not studio.window.banner.isVisible(), studio.window.banner.text.text()
        assert view.links[v1.id].startswith("https://f.io/"), view.links  # the share link Frame.io made
        assert len(fake.state.files) == 1  # the file went up
        qtbot.waitUntil(lambda: row(view, v1.id).text(1) == "in review", timeout=5000)
        studio.review.timer.setInterval(200)  # Frame.io is polled every 30 s; the reviewer is quicker here
        file_id = next(iter(fake.state.files))
        fake.state.set_status(file_id, "Approved")
        qtbot.waitUntil(lambda: row(view, v1.id).text(1) == "approved", timeout=10000)
    finally:
        studio.close()
