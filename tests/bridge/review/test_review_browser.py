"""The review page in headless Chromium (Debian's), driven by Playwright for Python.

Skips, saying why, when /usr/bin/chromium or the `playwright` package is missing. Playwright's
own browser download is never used (no `playwright install`): we launch the system Chromium.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("RETAKES_CHROMIUM", "/usr/bin/chromium"))
SHOT = Path(__file__).resolve().parents[3] / "docs" / "screenshots" / "review-page.png"

if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} not found (apt-get install -y chromium)", allow_module_level=True)
sync_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright not installed (pip install playwright)"
)

ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield b
        b.close()


def test_step_comment_approve_lands_in_store_and_markers(browser, review_site, tmp_path):
    page = browser.new_page(viewport={"width": 1440, "height": 860}, device_scale_factor=1)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(review_site.url)
    page.wait_for_selector("body[data-ready='1']")
    page.click("#versions button[data-version='ver-2']")
    expect = sync_api.expect
    expect(page.locator("#timecode")).to_have_text("01:00:00:00")

    for _ in range(5):
        page.click("#next-frame")
    page.click("#prev-frame")
    page.keyboard.press("ArrowRight")  # keyboard stepping too: 5 - 1 + 1
    expect(page.locator("#timecode")).to_have_text("01:00:00:05")
    expect(page.locator("#frame-number")).to_have_text("frame 5 / 29")
    # The image on screen is frame 5 itself.
    src = page.get_attribute("#img-version", "src")
    assert "/api/frames/v/ver-2/5.jpg" in src

    page.fill("#comment-author", "Ana (director)")
    page.fill("#comment-text", "Car color reads a touch too cyan here; warm it slightly.")
    page.click("#comment-post")
    expect(page.locator("#notes .note")).to_have_count(1)
    # A range note: in at 12, out at 19 -> 8 frames from 12.
    page.keyboard.press("End")
    for _ in range(17):
        page.keyboard.press("ArrowLeft")
    page.keyboard.press("i")
    for _ in range(7):
        page.keyboard.press("ArrowRight")
    page.keyboard.press("o")
    page.fill("#comment-text", "Reflection on the door pops for a few frames.")
    page.click("#comment-post")
    expect(page.locator("#notes .note")).to_have_count(2)

    page.click("#approve")
    expect(page.locator("#status")).to_have_text("approved")

    # Version store and Resolve markers reflect it, through the same path as Frame.io notes.
    assert review_site.store.version("ver-2").status == "approved"
    assert review_site.store.version("ver-1").status == "in review"
    markers = review_site.items["ver-2"].GetMarkers()
    assert sorted(markers) == [5.0, 12.0]
    assert markers[5.0]["note"].startswith("Car color") and markers[5.0]["duration"] == 1
    assert markers[12.0]["duration"] == 8
    assert all(m["customData"].startswith("retakes-note:local:") for m in markers.values())
    assert review_site.items["ver-1"].GetMarkers() == {}

    # The screenshot for the docs: wipe compare, playhead on the first note.
    page.click(".seg[data-mode='wipe']")
    page.click("#notes .note >> nth=0")
    page.evaluate("document.getElementById('viewer').style.setProperty('--wipe', '24%')")
    page.wait_for_function(
        "document.getElementById('img-original').complete && document.getElementById('img-version').complete"
    )
    page.wait_for_selector("#toast:not(.show)")
    # The committed screenshot is refreshed only on request: a test run never edits the checkout.
    shot = SHOT if os.environ.get("RETAKES_UPDATE_SCREENSHOTS") else tmp_path / SHOT.name
    shot.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000
    assert errors == []
    page.close()


def test_page_without_token_is_401_in_the_browser(browser, review_site):
    page = browser.new_page()
    response = page.goto(review_site.base + "/")
    assert response.status == 401 and "token" in page.content()
    page.close()
