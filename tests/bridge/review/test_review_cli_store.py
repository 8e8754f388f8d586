"""`retakes review push|pull` through the installed `retakes` executable, on the real VersionStore."""

from __future__ import annotations

import json
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import httpx
import opentimelineio as otio
import pytest

from retakes.bridge.review.server import token_digest
from retakes.bridge.review.store_adapter import StoreAdapter
from retakes.bridge.versions import NewVersion, VersionStore
from retakes.engine.timecode import FrameRate
from tests.support.review_runner import Serving, env_for, retakes
from tests.support.review_store import copies, placed_clip, record_versions

_clip = placed_clip


@pytest.fixture
def real_store(tmp_path, clip_files):
    clip = _clip("shot010.mp4", str(clip_files["orig"]), FrameRate(Fraction(24)), 86400, 86400)
    db = tmp_path / "store" / "retakes-versions.sqlite"
    media = copies([clip_files["v1"], clip_files["v2"]], tmp_path / "media")
    versions = record_versions(db, clip, media, [{"hue": 30}, {"hue": 60}])
    return db, versions[0].source_key


def test_adapter_reads_the_real_store(real_store):
    db, key = real_store
    adapter = StoreAdapter(db)
    vs = adapter.versions(key)
    assert [v.label for v in vs] == ["v001", "v002"] and vs[1].item_id == "item-v2"
    assert vs[0].start_timecode == "01:00:00:00" and vs[0].frame_count == 30
    assert vs[1].clip_name == "shot010.mp4"
    assert adapter.original(key).frame_count == 30


def test_lineage_is_readable_options_and_file_names(tmp_path, clip_files):
    clip = _clip("shot010.mp4", str(clip_files["orig"]), FrameRate(Fraction(24)), 86400, 86400)
    store = VersionStore(tmp_path / "retakes-versions.sqlite")
    params = {"hue": 30.0, "color": "#1E8CDC", "mask": str(tmp_path / "masks" / "car.png")}
    v1 = store.record(NewVersion(clip, "recolor", str(clip_files["v1"]), params, seed=7))
    edit_of_edit = replace(clip, media_path=v1.output_path, name="shot010.mp4")
    v2 = store.record(NewVersion(edit_of_edit, "relight", str(clip_files["v2"]), {"look": "day-to-night"}))
    store.close()
    lineage = StoreAdapter(store.path).version(str(v2.id)).lineage
    assert lineage.splitlines() == [
        "v002 <- v001: relight --look day-to-night",
        "v001 <- original: recolor --color '#1E8CDC' --hue 30 --mask car.png",
        "from orig.mp4, frames 0:30 (01:00:00:00-01:00:01:06) at 24 fps, seed 7",
    ]
    assert "{" not in lineage and str(tmp_path) not in lineage


@pytest.fixture
def frameio_env(fake, tmp_path):
    return env_for(tmp_path / "home", RETAKES_FRAMEIO_CLIENT_ID="cid", RETAKES_FRAMEIO_CLIENT_SECRET="secret")


def test_review_push_then_pull_through_the_real_command(real_store, fake, frameio_env):
    db, key = real_store
    base = ["--account", fake.state.account_id, "--project", fake.state.project_id,
            "--base-url", fake.base_url, "--ims-url", fake.base_url]
    pushed = retakes("review", "push", key[:8], "--store", str(db.parent), *base, env=frameio_env)
    assert pushed.returncode == 0, pushed.stderr
    assert len(pushed.stdout.splitlines()) == 2 and "Traceback" not in pushed.stderr
    store = VersionStore(db)
    try:
        v1, v2 = store.list_versions(source_key=key)
        assert store.review_links(v2.id)[-1].service == "frameio" and v2.status == "in review"
    finally:
        store.close()
    assert len(fake.state.stacks) == 1
    file_v2 = next(fid for fid, f in fake.state.files.items() if f["name"] == "shot010_v002.mp4")
    fake.state.add_comment(file_v2, "bumper flickers", "01:00:00:20", duration=3, author="Ana")
    fake.state.set_status(file_v2, "Needs changes")
    for _ in range(2):  # pulling twice adds nothing
        pulled = retakes("review", "pull", key, "--store", str(db), *base, env=frameio_env)
        assert pulled.returncode == 0, pulled.stderr
    assert "v002: 1 notes, 0 new markers, status rejected" in pulled.stdout
    assert "Resolve not reachable" in pulled.stderr and "Traceback" not in pulled.stderr
    assert StoreAdapter(db).version(str(v2.id)).status == "rejected"
    # No Resolve: the note is a marker in the files beside v002, as OTIO's own adapters read them.
    media = Path(v2.output_path)
    otio_file, edl_file = media.with_name("shot010_v002.notes.otio"), media.with_name("shot010_v002.notes.edl")
    assert f"markers in {otio_file} and {edl_file}" in pulled.stdout
    (clip,) = otio.adapters.read_from_file(str(otio_file)).find_clips()
    (marker,) = clip.markers
    assert marker.marked_range.start_time.to_timecode() == "01:00:00:20"
    assert marker.marked_range.duration.to_frames() == 3 and marker.comment == "bumper flickers"
    assert marker.metadata["retakes"]["author"] == "Ana"
    (edl_clip,) = otio.adapters.read_from_file(str(edl_file), rate=24).find_clips()
    assert [(m.marked_range.start_time.to_timecode(), m.name) for m in edl_clip.markers] == [
        ("01:00:00:20", "ANA: BUMPER FLICKERS")]


def test_review_commands_name_a_bad_key_or_store_in_one_line(real_store, tmp_path):
    db, key = real_store
    env = env_for(tmp_path / "home")
    for args, field in ((["serve", "ffff", "--store", str(db)], "KEY"),
                        (["serve", key, "--store", str(tmp_path / "nowhere")], "--store"),
                        (["serve", key], "--store")):  # the default store is empty in this home
        run = retakes("review", *args, env=env)
        assert run.returncode != 0 and "Traceback" not in run.stderr
        assert len(run.stderr.strip().splitlines()) == 1 and field in run.stderr, run.stderr


def test_adapter_carries_the_drop_frame_flag_to_notes(tmp_path, clip_files):
    # A 29.97 DF source whose version straddles a minute: frame 0 is 00:00:59;28, frame 2 is
    # 00:01:00;02 (;00 and ;01 are skipped). The store keeps the ';' of the start timecode, so
    # a ':' comment (as Frame.io writes them) lands on frame 2, not on non-drop's frame 4.
    from retakes.bridge.review.notes import frame_of_timecode

    rate = FrameRate(Fraction(30000, 1001))
    clip = _clip("shot020.mp4", str(clip_files["orig"]), rate, 107892, 1798, drop_frame=True)
    store = VersionStore(tmp_path / "retakes-versions.sqlite")
    v = store.record(NewVersion(clip, "recolor", str(clip_files["v1"]), {"hue": 30}))
    store.close()
    version = StoreAdapter(store.path).version(str(v.id))
    assert version.start_timecode == "00:00:59;28" and version.timebase.drop_frame
    assert frame_of_timecode("00:01:00;02", version) == 2
    assert frame_of_timecode("00:01:00:02", version) == 2
    assert frame_of_timecode("00:00:59:29", version) == 1


def _api(serving, method: str, path: str, body: dict | None = None) -> httpx.Response:
    headers = {"X-Review-Token": serving.token}
    if body is not None:
        headers |= {"Content-Type": "application/json", "Origin": serving.base}
    return httpx.request(method, serving.base + path, headers=headers, json=body, timeout=10)


def test_review_serve_through_the_real_command(real_store, tmp_path):
    db, key = real_store
    serving = Serving(key[:6], "--store", str(db), "--port", "0", env=env_for(tmp_path / "home"))
    try:
        assert serving.base.startswith("http://127.0.0.1:")  # this computer only, by default
        printed = "".join(serving.out)
        assert printed.count(serving.token) == 1 and "shown only here, not saved" in printed
        clip = _api(serving, "GET", "/api/clip").json()
        assert clip["name"] == "shot010.mp4" and clip["clip"] == key
        assert clip["versions"][1]["lineage"].splitlines()[0] == "v002 <- original: recolor --hue 60"
        text = json.dumps(clip)
        for folder in {str(Path(v).parent) for v in (db, *map(str, _media_of(db)))}:
            assert folder not in text  # no paths of this machine leave it
        v2 = clip["versions"][1]["id"]
        note = _api(serving, "POST", "/api/notes", {"version": v2, "frame": 0, "text": "first frame"})
        assert note.status_code == 201, note.text
        decided = _api(serving, "POST", "/api/decision", {"version": v2, "decision": "approve"})
        assert decided.json()["status"] == "approved"
    finally:
        code, out, err = serving.stop()
    assert code == 0 and "Traceback" not in err
    with VersionStore(db) as store:
        v = store.get(int(v2))
        assert v.status == "approved"
        assert [s for s, *_ in store.status_history(v.id)] == ["draft", "in review", "approved"]
        (link,) = store.review_links(v.id)
        assert link.url == serving.base + "/" and token_digest(serving.token)[:16] in link.note
    for f in db.parent.glob("retakes-*.sqlite*"):  # store and ledger, WAL included
        assert serving.token.encode() not in f.read_bytes()
    # No Resolve here: the note is a marker in v002's sidecar, at the version's first frame.
    (marker,) = otio.adapters.read_from_file(
        str(Path(v.output_path).with_name("shot010_v002.notes.otio"))).find_clips()[0].markers
    assert marker.marked_range.start_time.to_timecode() == "01:00:00:00" and marker.comment == "first frame"


def _media_of(db: Path) -> list[Path]:
    with VersionStore(db) as store:
        return [Path(p) for v in store.list_versions() for p in (v.output_path, v.source_path)]


def test_review_serve_is_loopback_unless_told_and_then_warns(real_store, tmp_path):
    from retakes.bridge.review.server import lan_address

    db, key = real_store
    lan = lan_address()
    serving = Serving(key, "--store", str(db), "--port", "0", env=env_for(tmp_path / "home"))
    port = int(serving.base.rsplit(":", 1)[1])
    try:
        if lan != "127.0.0.1":  # a machine with a network: the page is not on it
            with pytest.raises(httpx.ConnectError):
                httpx.get(f"http://{lan}:{port}/?t={serving.token}", timeout=3)
    finally:
        code, _, err = serving.stop()
    assert code == 0 and "warning" not in err
    shared = Serving(key, "--store", str(db), "--port", "0", "--bind", "0.0.0.0", env=env_for(tmp_path / "home"))
    try:
        assert shared.base.startswith(f"http://{lan}:")
        assert httpx.get(shared.url, timeout=5).status_code == 200
    finally:
        code, _, err = shared.stop()
    assert code == 0 and "warning: --bind 0.0.0.0 serves the page to your network over plain HTTP" in err
