"""The Premiere panel's own HTML/JS in headless Chromium (Debian's), served by the gateway, with a
stand-in `premierepro` (tests/premiere/premierepro_standin.js) in place of Premiere: connect,
read the clip, preview, generate through the real engine, and place the version back.

Skips, saying why, when /usr/bin/chromium or the `playwright` package is missing. Playwright's
own browser download is never used: we launch the system Chromium.
"""

from __future__ import annotations

import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import cv2
import pytest
from gateway_site import Site

from retakes.engine.client import EngineClient
from retakes.engine.media import probe

ROOT = Path(__file__).resolve().parents[3]
CHROMIUM = Path(os.environ.get("RETAKES_CHROMIUM", "/usr/bin/chromium"))
STANDIN = ROOT / "tests" / "premiere" / "premierepro_standin.js"
SHOT = ROOT / "docs" / "screenshots" / "premiere-panel.png"
TPF25 = 10160640000  # Premiere ticks per frame at 25 fps

if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} not found (apt-get install -y chromium)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright not installed (pip install playwright)")

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield b
        b.close()


def _scene(site: Site) -> str:
    """A 25 fps sequence starting at 10:00:00:00 with the test clip on V1 (source frames 2-10,
    at record 10:00:02:02), selected; files the engine writes under the versions root import."""
    clip = {"media": str(site.media), "name": "shot", "in": str(2 * TPF25), "duration": str(8 * TPF25),
            "start": str(52 * TPF25)}
    return f"""
    (() => {{
      const root = {json.dumps(str(site.root))};
      const {{ ppro, scene }} = createPremiereStandIn({{
        media: {{ {json.dumps(str(site.media))}: {{ fps: 25, frames: 16, audio: true }} }},
        probe: (path) => path.startsWith(root) ? {{ fps: 25, frames: 8, audio: true }} : null,
      }});
      const made = scene.sequence({{ name: "Sequence 01", ticksPerFrame: "{TPF25}",
        zeroPointTicks: "{900000 * TPF25}", video: [[{json.dumps(clip)}]] }});
      scene.select(made.items[0]);
      window.standInScene = scene;
      window.premiereproStandIn = ppro;
    }})();
    """


def test_panel_previews_generates_and_places_through_the_real_engine(browser, site: Site, tmp_path):
    page = browser.new_page(viewport={"width": 400, "height": 940}, device_scale_factor=1)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.add_init_script(script=STANDIN.read_text() + _scene(site))
    page.goto(site.url("/panel/"))
    page.wait_for_selector("body[data-ready='1']")
    expect = sync_api.expect

    page.fill("#gateway-url", site.gateway.url)
    page.fill("#gateway-token", site.token)
    page.click("#connect-button")
    expect(page.locator("#engine-state")).to_contain_text("engine ")

    page.click("#read-clip")
    expect(page.locator("#clip-record")).to_have_text("V1 at 10:00:02:02")
    expect(page.locator("#clip-source")).to_have_text("media frames 2–10 (8 frames)")
    page.select_option("#op", "relight")
    page.select_option("[data-param='look']", "golden-hour")
    page.fill("#preview-frame", "5")
    page.click("#preview-button")
    expect(page.locator("#preview-image")).to_be_visible()
    assert page.evaluate("document.getElementById('preview-image').naturalWidth") == 96
    expect(page.locator("#status")).to_contain_text("Preview of frame 5")

    page.click("#generate-button")
    placed = page.locator("#versions li[data-version='v001'] .where")
    expect(placed).to_have_text("V2", timeout=120_000)
    expect(page.locator("#status")).to_have_text("v001 placed on V2 at 10:00:02:02.")
    expect(page.locator("#job-state")).to_contain_text("8/8 frames")

    # The engine wrote the version into the store's folder; the stand-in shows it on the timeline.
    (output,) = site.root.glob("shot/shot_v001.mov")
    assert probe(output).frame_count == 8
    clips = page.evaluate("standInScene.clips().map(c => [c.track, String(c.start), String(c.end), c.media])")
    assert ["V2", str(52 * TPF25), str(60 * TPF25), str(output)] in clips
    assert ["V1", str(52 * TPF25), str(60 * TPF25), str(site.media)] in clips  # the source is untouched
    assert errors == []

    # The committed screenshot is refreshed on request only: a test run leaves the checkout as it was.
    shot = SHOT if os.environ.get("RETAKES_UPDATE_SCREENSHOTS") else tmp_path / SHOT.name
    shot.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shot), full_page=True)
    assert cv2.imread(str(shot)).shape[1] == 400
    page.close()


class _Page(BaseHTTPRequestHandler):
    html = b""

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        self.wfile.write(self.html)

    def log_message(self, *args) -> None:
        pass


def test_a_page_on_another_origin_is_refused_even_with_the_token(browser, site: Site):
    """A page in the user's browser (here another loopback port, so no browser rule gets in the
    way first) that somehow knows the token still cannot read, submit or watch anything."""
    engine = EngineClient(f"127.0.0.1:{site.engine.tcp_port}", token=site.engine.token)
    jobs_before = len(engine.list())
    files_before = sorted(site.root.rglob("*")) if site.root.exists() else []
    script = f"""
    <script>
    const base = {json.dumps(site.gateway.url)}, token = {json.dumps(site.token)};
    const auth = {{ Authorization: "Bearer " + token, "Content-Type": "application/json" }};
    const outcome = (p) => p.then((r) => "answered " + r.status, (e) => "blocked: " + e.name);
    window.results = Promise.all([
      outcome(fetch(base + "/v1/capabilities", {{ headers: auth }})),
      outcome(fetch(base + "/v1/jobs", {{ method: "POST", headers: auth, body: JSON.stringify({{ clip: {{}} }}) }})),
      outcome(fetch(base + "/v1/jobs", {{ method: "POST", mode: "no-cors", body: "{{}}",
                                          headers: {{ "Content-Type": "text/plain" }} }})),
      new Promise((resolve) => {{
        const ws = new WebSocket(base.replace("http", "ws") + "/v1/jobs/x/watch");
        const got = [];
        ws.onopen = () => ws.send(JSON.stringify({{ token }}));
        ws.onmessage = (m) => got.push(m.data);
        ws.onclose = (e) => resolve("socket closed " + e.code + " after " + got.length + " messages");
      }}),
    ]);
    </script>"""
    _Page.html = script.encode()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        page = browser.new_page()
        page.goto(f"http://127.0.0.1:{server.server_address[1]}/")
        results = page.evaluate("window.results")
        page.close()
    finally:
        server.shutdown()
        server.server_close()
    assert results[0] == "blocked: TypeError"  # 403 without CORS headers: the page cannot read it
    assert results[1] == "blocked: TypeError"  # the preflight is refused; the POST never goes out
    assert results[2] == "answered 0"  # an opaque no-cors answer: the gateway said 403, unread
    assert results[3] == "socket closed 1006 after 0 messages"  # handshake refused (403)
    assert (sorted(site.root.rglob("*")) if site.root.exists() else []) == files_before
    assert len(engine.list()) == jobs_before  # nothing was submitted
    engine.close()
