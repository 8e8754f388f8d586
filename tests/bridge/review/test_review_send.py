""""Send to review" as the panel calls it: a local page (its link, approval coming back) or Frame.io."""

from __future__ import annotations

import json
import os
from fractions import Fraction
from pathlib import Path

import httpx
import opentimelineio as otio
import pytest

from retakes.bridge.review.send import LocalReview, send_to_frameio
from retakes.bridge.versions import VersionStore
from retakes.engine.timecode import FrameRate
from tests.support.review_store import copies, placed_clip, record_versions

CHROMIUM = Path(os.environ.get("RETAKES_CHROMIUM", "/usr/bin/chromium"))
PARAMS = [{"hue": 30.0}, {"color": "#1E8CDC", "hue": 30.0, "mask": "/private/jobs/acme/masks/car.png"}]


@pytest.fixture
def store(tmp_path, clip_files):
    clip = placed_clip("shot010.mp4", str(clip_files["orig"]), FrameRate(Fraction(24)), 86400, 86400)
    db = tmp_path / "store" / "retakes-versions.sqlite"
    media = copies([clip_files["v1"], clip_files["v2"]], tmp_path / "media")
    versions = record_versions(db, clip, media, PARAMS, placed=False)
    return db, versions


def _post(url: str, token: str, path: str, body: dict) -> httpx.Response:
    base = url.split("/?t=")[0]
    headers = {"X-Review-Token": token, "Origin": base}
    return httpx.post(base + path, json=body, headers=headers, timeout=10)


def test_send_starts_the_clips_page_returns_its_link_and_hears_the_decision(store):
    db, (v1, v2) = store
    heard = []
    with LocalReview(db, on_status=lambda vid, status: heard.append((vid, status))) as pages:
        link = pages.send(v2.id)
        assert (link.version_id, link.service, link.clip_name, link.clip_key) == (v2.id, "local", "shot010.mp4",
                                                                                    v2.source_key)
        assert link.url.startswith("http://127.0.0.1:") and "?t=" in link.url
        assert pages.send(v1.id).url == link.url  # one page per clip, both versions on it
        with VersionStore(db) as s:
            assert s.get(v2.id).status == "in review"
            stored = s.review_links(v2.id)[-1]
            assert "?t=" not in stored.url and link.url.startswith(stored.url)
        token = link.url.split("?t=")[1]
        assert httpx.get(link.url, timeout=10).status_code == 200
        clip = httpx.get(link.url.split("/?t=")[0] + "/api/clip", headers={"X-Review-Token": token}).json()
        assert clip["name"] == "shot010.mp4"
        assert "/private/jobs" not in json.dumps(clip)  # the mask's folder stays on this machine
        r = _post(link.url, token, "/api/decision", {"version": str(v2.id), "decision": "approve"})
        assert r.status_code == 200 and r.json()["status"] == "approved"
        assert heard == [(v2.id, "approved")]
        with VersionStore(db) as s:
            assert s.get(v2.id).status == "approved"
    with pytest.raises(httpx.ConnectError):
        httpx.get(link.url, timeout=3)  # stop() ends the page


def test_send_to_frameio_returns_the_share_link_and_keeps_the_stack_in_order(store, api, fake):
    db, (v1, v2) = store
    link = send_to_frameio(db, v2.id, api, fake.state.project_id)
    assert link.service == "frameio" and link.url.startswith("https://f.io/")
    names = sorted(f["name"] for f in fake.state.files.values())
    assert names == ["shot010_v001.mp4", "shot010_v002.mp4"]  # the clip's name, not its key
    (stack,) = fake.state.stacks.values()
    assert [fake.state.files[f]["name"] for f in stack] == ["shot010_v001.mp4", "shot010_v002.mp4"]
    with VersionStore(db) as s:
        assert s.get(v2.id).status == "in review" and s.review_links(v2.id)[-1].url == link.url


@pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} not found (apt-get install -y chromium)")
def test_page_shows_the_clip_name_and_readable_lineage_and_approval_reaches_the_store(store):
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright not installed")
    from test_review_browser import ARGS

    db, (v1, v2) = store
    heard = []
    with LocalReview(db, on_status=lambda vid, status: heard.append((vid, status))) as pages, \
            sync_api.sync_playwright() as pw:
        link = pages.send(v2.id)
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        page = browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(link.url)
        page.wait_for_selector("body[data-ready='1']")
        page.click(f"#versions button[data-version='{v2.id}']")
        expect = sync_api.expect
        expect(page.locator("#clip-name")).to_have_text("shot010.mp4")
        expect(page.locator("#lineage")).to_have_text("v002 <- original: recolor --color '#1E8CDC' --hue 30 "
                                                      "--mask car.png")
        page.keyboard.press("ArrowRight")
        page.fill("#comment-text", "warm the door a touch")
        page.click("#comment-post")
        expect(page.locator("#notes .note")).to_have_count(1)
        page.click("#approve")
        expect(page.locator("#status")).to_have_text("approved")
        browser.close()
        assert errors == []
    with VersionStore(db) as s:
        assert s.get(v2.id).status == "approved" and s.get(v1.id).status == "draft"
    assert heard == [(v2.id, "approved")]
    # Resolve was not there: the note is a marker in v002's sidecar, at frame 1 (01:00:00:01).
    sidecar = Path(v2.output_path).with_name("shot010_v002.notes.otio")
    (marker,) = otio.adapters.read_from_file(str(sidecar)).find_clips()[0].markers
    assert marker.marked_range.start_time.to_timecode() == "01:00:00:01" and marker.comment.startswith("warm")
