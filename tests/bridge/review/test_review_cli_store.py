"""`retakes review push|pull` through `register()`, on issue 4's real VersionStore."""

from __future__ import annotations

import argparse
from fractions import Fraction

import pytest

from retakes.bridge.clipref import ClipRef, Placement, TimelineInfo
from retakes.bridge.review import cli
from retakes.bridge.review.store_adapter import StoreAdapter
from retakes.bridge.versions import NewVersion, VersionStore
from retakes.engine.timecode import FrameRange, FrameRate, Timebase


def _clip(name: str, media: str, rate: FrameRate, record_start: int, source_start: int, *,
          drop_frame: bool = False) -> ClipRef:
    """A 30-frame clip placed on V1 at `record_start`, its media starting at `source_start`."""
    return ClipRef(
        name=name,
        media_path=media,
        source_rate=rate,
        source_range=FrameRange(0, 30),
        placement=Placement(1, FrameRange(record_start, record_start + 30)),
        timeline=TimelineInfo("edit", rate, record_start, drop_frame=drop_frame),
        source_timebase=Timebase(rate, source_start, drop_frame=drop_frame),
        item_id="item-orig",
    )


@pytest.fixture
def real_store(tmp_path, clip_files):
    clip = _clip("shot010.mp4", str(clip_files["orig"]), FrameRate(Fraction(24)), 86400, 86400)
    store = VersionStore(tmp_path / "store" / "retakes-versions.sqlite")
    versions = []
    for i in (1, 2):
        versions.append(store.record(NewVersion(clip, "recolor", str(clip_files[f"v{i}"]), {"hue": 30 * i})))
        store.record_placement(
            versions[-1].id,
            host="resolve",
            timeline="edit",
            mode="track",
            item_id=f"item-v{i}",
            track=i + 1,
            record_start=86400,
            record_end=86430,
        )
    store.close()
    return store.path, versions[0].source_key


def _run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="retakes")
    cli.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return args.run(args)


def test_adapter_reads_the_real_store(real_store):
    db, key = real_store
    adapter = StoreAdapter(db)
    vs = adapter.versions(key)
    assert [v.label for v in vs] == ["v001", "v002"] and vs[1].item_id == "item-v2"
    assert vs[0].start_timecode == "01:00:00:00" and vs[0].frame_count == 30
    assert "v002 <- " in vs[1].lineage and "recolor" in vs[1].lineage
    assert adapter.original(key).frame_count == 30


def test_cli_push_then_pull(real_store, fake, monkeypatch, capsys, timeline):
    db, key = real_store
    monkeypatch.setenv("RETAKES_FRAMEIO_CLIENT_ID", "cid")
    monkeypatch.setenv("RETAKES_FRAMEIO_CLIENT_SECRET", "secret")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(db.parent / "cfg"))
    monkeypatch.setattr(cli, "_timeline", lambda: timeline)
    item = timeline.place("item-v2", track=3, start=0, duration=30)
    base = [
        "--store",
        str(db),
        "--account",
        fake.state.account_id,
        "--project",
        fake.state.project_id,
        "--base-url",
        fake.base_url,
        "--ims-url",
        fake.base_url,
    ]
    assert _run(["review", "push", key, *base]) == 0
    store = VersionStore(db)
    try:
        v1, v2 = store.list_versions(source_key=key)
        assert store.review_links(v2.id)[-1].service == "frameio" and v2.status == "in review"
    finally:
        store.close()
    assert len(fake.state.stacks) == 1
    file_v2 = next(fid for fid, f in fake.state.files.items() if f["name"].endswith("_v002.mp4"))
    fake.state.add_comment(file_v2, "bumper flickers", "01:00:00:20", duration=3)
    fake.state.set_status(file_v2, "Needs changes")
    assert _run(["review", "pull", key, *base]) == 0
    assert _run(["review", "pull", key, *base]) == 0
    assert list(item.GetMarkers()) == [20.0]
    assert StoreAdapter(db).version(str(v2.id)).status == "rejected"
    assert "v002: 1 notes, 0 new markers" in capsys.readouterr().out


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
