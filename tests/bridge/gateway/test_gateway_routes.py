"""Every gateway route over real HTTP and WebSocket, against a real engine on loopback."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import cv2
import numpy as np
from gateway_site import SIZE, Site

from retakes.engine.media import probe
from retakes.engine.media.synthetic import read_burnt_index


def _png(data: bytes) -> np.ndarray:
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    assert image is not None, "not a PNG"
    return image


def _submit(site: Site, clip: dict, **edit) -> dict:
    reply = site.request("POST", "/v1/jobs", body={"clip": clip, "edit": {"op": "relight",
                                                                          "params": {"exposure": {"numberValue": 0.5}},
                                                                          **edit}})
    assert reply.status == 200, reply.raw
    return reply.json


def test_capabilities_come_from_the_engine_as_proto_json(site: Site):
    reply = site.request("GET", "/v1/capabilities")
    assert reply.status == 200
    caps = reply.json
    assert caps["engineVersion"]
    ops = {op["name"]: op for op in caps["ops"]}
    assert {"relight", "recolor", "remove"} <= set(ops)
    assert ops["recolor"]["mask"] == "MASK_USE_REQUIRED"  # enums by name, as the JSON mapping says
    assert any(c["name"] == "prores_422hq" and ".mov" in c["extensions"] for c in caps["codecs"])


def test_preview_sends_an_image_back(site: Site):
    request = {"edit": {"source": {"path": str(site.media)}, "op": "relight",
                        "params": {"exposure": {"numberValue": 1.0}}}, "frame": 5}
    reply = site.request("POST", "/v1/preview", body=request)
    assert reply.status == 200, reply.raw
    preview = reply.json
    assert preview["frame"] == 5 and (preview["width"], preview["height"]) == SIZE
    image = _png(base64.b64decode(preview["image"]))
    assert image.shape[:2] == (SIZE[1], SIZE[0])
    assert read_burnt_index(cv2.cvtColor(image, cv2.COLOR_BGR2RGB)) == 5

    raw = site.request("POST", "/v1/preview", body=request, headers={"Accept": "image/png"})
    assert raw.status == 200 and raw.headers["Content-Type"] == "image/png"
    assert raw.headers["X-Retakes-Frame"] == "5"
    assert _png(raw.raw).shape == image.shape


def test_submit_watch_record_place_and_lineage(site: Site):
    clip = site.clip(start=2, end=10)
    job = _submit(site, clip)
    assert job["state"] in ("JOB_STATE_QUEUED", "JOB_STATE_RUNNING", "JOB_STATE_SUCCEEDED")
    output = Path(job["request"]["outputPath"])
    assert output.parent.parent == site.root and output.name == "shot_v001.mov"
    assert job["request"]["range"]["frames"] == {"start": 2, "end": 10}  # the clip's range, filled in

    messages = site.watch(job["id"])
    assert messages[-1] == {"close": 1000}
    events = [m["event"]["job"] for m in messages[:-1]]
    assert events[-1]["state"] == "JOB_STATE_SUCCEEDED", events[-1]
    progress = [e["progress"] for e in events if e["state"] == "JOB_STATE_RUNNING" and e["progress"]["framesTotal"]]
    assert progress and all(p["framesTotal"] == 8 for p in progress)
    assert probe(output).frame_count == 8

    assert site.request("GET", f"/v1/jobs/{job['id']}").json["state"] == "JOB_STATE_SUCCEEDED"

    recorded = site.request("POST", "/v1/versions", body={"jobId": job["id"], "clip": clip})
    assert recorded.status == 200, recorded.raw
    version = recorded.json
    assert version["label"] == "v001" and version["outputPath"] == str(output)
    assert version["sourceRange"] == {"start": 2, "end": 10} and version["op"] == "relight"
    assert version["params"] == {"exposure": 0.5} and version["outputFrames"] == 8
    again = site.request("POST", "/v1/versions", body={"jobId": job["id"], "clip": clip}).json
    assert again["id"] == version["id"]  # recording twice gives one version

    listed = site.request("POST", "/v1/clips/versions", body=clip).json["versions"]
    assert [v["label"] for v in listed] == ["v001"]

    placement = {"host": "premiere", "timeline": "Sequence 01", "mode": "track", "itemId": "seq-1:V2@0",
                 "track": 2, "record": clip["record"]}
    placed = site.request("POST", f"/v1/versions/{version['id']}/placements", body=placement)
    assert placed.status == 200, placed.raw
    (where,) = placed.json["placements"]
    assert where["track"] == 2 and where["record"] == clip["record"] and where["host"] == "premiere"
    assert site.request("GET", f"/v1/versions/{version['id']}").json["placements"] == [where]

    # An edit of the edit: the version's own file is the clip; it joins the series as v002.
    child_clip = site.clip(media=output, start=0, end=8)
    child_job = _submit(site, child_clip, params={"exposure": {"numberValue": -0.5}})
    assert site.watch(child_job["id"])[-2]["event"]["job"]["state"] == "JOB_STATE_SUCCEEDED"
    child = site.request("POST", "/v1/versions", body={"jobId": child_job["id"], "clip": child_clip}).json
    assert child["label"] == "v002" and child["parentId"] == version["id"]
    chain = site.request("GET", f"/v1/versions/{child['id']}/lineage").json["chain"]
    assert [v["label"] for v in chain] == ["v001", "v002"]
    assert chain[0]["placements"] == [where]


def test_cancel_stops_the_job_and_no_version_is_recorded(site: Site):
    clip = site.clip(media=site.long_media, start=0, end=96, name="long")
    clip["record"] = {"start": 900000, "end": 900096}
    job = _submit(site, clip, params={"look": {"textValue": "day-to-night"}})
    cancelled = site.request("POST", f"/v1/jobs/{job['id']}/cancel")
    assert cancelled.status == 200, cancelled.raw
    messages = site.watch(job["id"])
    assert messages[-2]["event"]["job"]["state"] == "JOB_STATE_CANCELLED"
    refused = site.request("POST", "/v1/versions", body={"jobId": job["id"], "clip": clip})
    assert refused.status == 409 and refused.json["field"] == "job_id"
    assert "cancelled" in refused.json["message"]


def test_every_route_needs_the_token(site: Site):
    for method, path in [("GET", "/v1/capabilities"), ("POST", "/v1/preview"), ("POST", "/v1/jobs"),
                         ("GET", "/v1/jobs/x"), ("POST", "/v1/jobs/x/cancel"), ("POST", "/v1/versions"),
                         ("POST", "/v1/clips/versions"), ("GET", "/v1/versions/1"), ("GET", "/v1/versions/1/lineage"),
                         ("POST", "/v1/versions/1/placements"), ("GET", "/v1/nowhere")]:
        for token in (None, "wrong-token"):
            reply = site.request(method, path, body={} if method == "POST" else None, token=token)
            assert reply.status == 401, (method, path, reply.raw)
            assert reply.json == {"code": "UNAUTHENTICATED", "message": reply.json["message"],
                                  "field": "Authorization"}
            assert reply.headers["WWW-Authenticate"] == "Bearer"


def test_the_watch_socket_needs_the_token_first(site: Site):
    job = _submit(site, site.clip(start=0, end=4))
    for first in ('{"token": "wrong"}', "not json", '{"job": 1}'):
        messages = site.watch(job["id"], first=first)
        assert messages[0]["error"]["code"] == "UNAUTHENTICATED" and messages[0]["error"]["field"] == "token"
        assert messages[-1] == {"close": 4401} and len(messages) == 2


def test_a_silent_socket_is_closed_after_the_auth_timeout(site: Site):
    import asyncio

    import aiohttp

    async def silent() -> tuple[dict, int]:
        async with aiohttp.ClientSession() as session, \
                session.ws_connect(f"{site.gateway.ws_url}/v1/jobs/x/watch") as ws:
            message = await ws.receive(timeout=10)
            await ws.receive(timeout=10)
            return json.loads(message.data), ws.close_code

    message, code = asyncio.run(silent())
    assert message["error"]["code"] == "UNAUTHENTICATED" and code == 4401


def test_watching_an_unknown_job_says_so(site: Site):
    messages = site.watch("no-such-job")
    assert messages[0]["error"]["code"] == "NOT_FOUND"
    assert messages[-1] == {"close": 4404}


def test_web_pages_on_other_origins_are_refused(site: Site):
    import asyncio

    import aiohttp

    evil = {"Origin": "http://evil.example"}
    reply = site.request("GET", "/v1/capabilities", headers=evil)  # even with the right token
    assert reply.status == 403 and reply.json["field"] == "Origin"
    assert "Access-Control-Allow-Origin" not in reply.headers
    preflight = site.request("OPTIONS", "/v1/jobs", token=None, headers={
        **evil, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization"})
    assert preflight.status == 403 and "Access-Control-Allow-Origin" not in preflight.headers
    rebinding = site.request("GET", "/v1/capabilities", headers={"Host": f"evil.example:{site.gateway.port}"})
    assert rebinding.status == 403 and rebinding.json["field"] == "Host"

    async def handshake() -> int:
        async with aiohttp.ClientSession() as session:
            try:
                async with session.ws_connect(f"{site.gateway.ws_url}/v1/jobs/x/watch", origin="http://evil.example"):
                    return 101
            except aiohttp.WSServerHandshakeError as error:
                return error.status
    assert asyncio.run(handshake()) == 403

    own = site.request("GET", "/v1/capabilities", headers={"Origin": site.gateway.url})
    assert own.status == 200
    trusted = site.request("GET", "/v1/capabilities", headers={"Origin": "https://trusted.example"})
    assert trusted.status == 200 and trusted.headers["Access-Control-Allow-Origin"] == "https://trusted.example"
    allowed_preflight = site.request("OPTIONS", "/v1/jobs", token=None, headers={
        "Origin": "https://trusted.example", "Access-Control-Request-Method": "POST"})
    assert allowed_preflight.status == 204
    assert "Authorization" in allowed_preflight.headers["Access-Control-Allow-Headers"]


def _error(reply) -> tuple[int, str, str]:
    return reply.status, reply.json["code"], reply.json["field"]


def test_bad_input_is_refused_naming_the_field_and_writes_nothing(site: Site):
    before = sorted(p for p in site.root.rglob("*")) if site.root.exists() else []
    clip = site.clip()
    cases = [
        ("POST", "/v1/preview", {"edit": {"source": {"path": str(site.media)}, "op": "relight"}, "frame": "x"},
         (400, "INVALID_ARGUMENT", "frame")),
        ("POST", "/v1/preview", {"edit": {"source": {"path": str(site.media)}, "op": "relight", "rnge": {}}},
         (400, "INVALID_ARGUMENT", "edit.rnge")),
        ("POST", "/v1/preview", {"edit": {"source": {"path": str(site.media)}, "op": "melt"}, "frame": 1},
         (400, "INVALID_ARGUMENT", "edit.op")),
        ("POST", "/v1/jobs", {"clip": {**clip, "mediaPath": ""}, "edit": {"op": "relight"}},
         (400, "INVALID_ARGUMENT", "clip.media_path")),
        ("POST", "/v1/jobs", {"clip": {**clip, "sourceRate": "fast"}, "edit": {"op": "relight"}},
         (400, "INVALID_ARGUMENT", "clip.source_rate")),
        ("POST", "/v1/jobs", {"clip": {**clip, "sourceRange": {"start": 5, "end": 5}}, "edit": {"op": "relight"}},
         (400, "INVALID_ARGUMENT", "clip.source_range")),
        ("POST", "/v1/jobs", {"clip": {**clip, "record": {"start": 1, "end": 4}}, "edit": {"op": "relight"}},
         (400, "INVALID_ARGUMENT", "clip.record")),
        ("POST", "/v1/jobs", {"clip": clip, "edit": {"op": "relight", "outputPath": "/tmp/x.mov"}},
         (400, "INVALID_ARGUMENT", "edit.output_path")),
        ("POST", "/v1/jobs", {"clip": clip, "edit": {"op": "relight", "codec": "png"}},
         (400, "INVALID_ARGUMENT", "edit.codec")),
        ("POST", "/v1/jobs", {"clip": clip, "edit": {"op": "melt"}}, (400, "INVALID_ARGUMENT", "edit.op")),
        ("POST", "/v1/jobs", {"clip": clip, "edit": {"op": "relight", "range": {"frames": {"start": 0, "end": 90}}}},
         (400, "INVALID_ARGUMENT", "edit.range")),
        ("POST", "/v1/jobs", {"clip": {**clip, "mediaPath": str(site.media) + ".gone"}, "edit": {"op": "relight"}},
         (404, "NOT_FOUND", "clip.media_path")),
        ("POST", "/v1/jobs", [1, 2], (400, "INVALID_ARGUMENT", "body")),
        ("POST", "/v1/jobs", b"{not json", (400, "INVALID_ARGUMENT", "body")),
        ("POST", "/v1/jobs", b"", (400, "INVALID_ARGUMENT", "body")),
        ("POST", "/v1/versions", {"clip": clip}, (400, "INVALID_ARGUMENT", "job_id")),
        ("POST", "/v1/versions", {"jobId": "nope", "clip": clip}, (404, "NOT_FOUND", "job_id")),
        ("GET", "/v1/versions/abc", None, (400, "INVALID_ARGUMENT", "version_id")),
        ("GET", "/v1/versions/999/lineage", None, (404, "NOT_FOUND", "version_id")),
        ("POST", "/v1/versions/999/placements", {"host": "premiere", "track": 2, "record": {"start": 0, "end": 4}},
         (404, "NOT_FOUND", "version_id")),
        ("POST", "/v1/versions/999/placements", {"host": "premiere", "track": 0, "record": {"start": 0, "end": 4}},
         (400, "INVALID_ARGUMENT", "track")),
        ("GET", "/v1/jobs/nope", None, (404, "NOT_FOUND", "job_id")),
        ("GET", "/v1/nowhere", None, (404, "NOT_FOUND", "path")),
        ("POST", "/v1/capabilities", {}, (405, "UNIMPLEMENTED", "path")),
        ("POST", "/v1/preview", b"{" + b" " * (70 << 10) + b"}", (413, "PAYLOAD_TOO_LARGE", "body")),
    ]
    for method, path, body, expected in cases:
        reply = site.request(method, path, body=body)
        assert reply.status >= 400, (path, body, reply.raw[:300])
        assert _error(reply) == expected, (path, body if not isinstance(body, bytes) else body[:40], reply.raw)
        assert reply.json["message"]
    after = sorted(p for p in site.root.rglob("*")) if site.root.exists() else []
    assert after == before  # no reserved names, no folders: refused requests leave nothing


def test_the_panel_page_is_served_with_a_strict_policy(site: Site):
    page = site.request("GET", "/panel/", token=None)
    assert page.status == 200 and page.headers["Content-Type"].startswith("text/html")
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert b"retakes" in page.raw
    for name in ("../../engine/client.py", "..%2F..%2Fgateway%2Fconfig.py", "%2Fetc%2Fpasswd", "lib/../../app.py"):
        reply = site.request("GET", f"/panel/{name}", token=None)
        assert reply.status in (401, 404) and reply.json["code"] in ("NOT_FOUND", "UNAUTHENTICATED"), name


def test_leaving_the_watch_never_cancels_the_job(site: Site):
    import asyncio
    import time

    import aiohttp

    clip = site.clip(media=site.long_media, start=0, end=96, name="long")
    clip["record"] = {"start": 900000, "end": 900096}
    job = _submit(site, clip, params={"look": {"textValue": "overcast"}})

    async def peek() -> dict:
        async with aiohttp.ClientSession() as session, \
                session.ws_connect(f"{site.gateway.ws_url}/v1/jobs/{job['id']}/watch") as ws:
            await ws.send_str(json.dumps({"token": site.token}))
            return await ws.receive_json(timeout=30)  # then the client goes away

    assert asyncio.run(peek())["event"]["job"]["id"] == job["id"]
    deadline = time.monotonic() + 120
    state = ""
    while time.monotonic() < deadline:
        state = site.request("GET", f"/v1/jobs/{job['id']}").json["state"]
        if state in ("JOB_STATE_SUCCEEDED", "JOB_STATE_FAILED", "JOB_STATE_CANCELLED"):
            break
        time.sleep(0.2)
    assert state == "JOB_STATE_SUCCEEDED"


def test_an_engine_that_refuses_the_gateway_is_a_setup_error_not_the_callers(site: Site):
    import asyncio

    import aiohttp

    from retakes.bridge.gateway.config import GatewayConfig
    from retakes.bridge.gateway.server import gateway_in_thread

    config = GatewayConfig(engine_target=f"127.0.0.1:{site.engine.tcp_port}", engine_token="not-the-engine-token",
                           port=0, versions_root=site.root)

    async def caps(url: str) -> tuple[int, dict]:
        async with aiohttp.ClientSession() as session, \
                session.get(url, headers={"Authorization": f"Bearer {config.token}"}) as r:
            return r.status, await r.json()

    with gateway_in_thread(config) as other:
        status, body = asyncio.run(caps(f"{other.url}/v1/capabilities"))
    assert status == 502 and body["code"] == "UNAVAILABLE" and "--engine-token-file" in body["message"]
