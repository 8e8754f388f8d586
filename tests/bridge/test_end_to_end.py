"""Done-when 6: agent (on the double) -> bridge -> real engine on a socket -> version placed,
recorded in the version store, exported as OTIO. Same flow as `python -m retakes.bridge.demo`."""

from __future__ import annotations

import pytest

pytest.importorskip("retakes.engine.client")
pytest.importorskip("av")

from retakes.bridge import demo  # noqa: E402
from retakes.bridge.resolve.read import find_item  # noqa: E402
from retakes.bridge.timeline.formats import read_timeline  # noqa: E402
from retakes.bridge.timeline.otio_model import active_versions  # noqa: E402
from retakes.bridge.versions import VersionStore  # noqa: E402
from retakes.engine.media.probe import probe  # noqa: E402


def test_agent_bridge_engine_round_trip(short_tmp) -> None:
    result = demo.run(short_tmp, say=lambda *_: None)
    clip, timeline = result["clip"], result["resolve"].project.timeline
    assert [v.label for v in result["versions"]] == ["v001", "v002"]
    for version, placed in zip(result["versions"], result["placed"], strict=True):
        info = probe(version.output_path)  # what the engine really wrote
        assert info.frame_count == len(clip.range_with_handles) == version.output_frames
        assert info.start_timecode == clip.source_timebase.timecode_of(clip.range_with_handles.start)
        item = find_item(timeline, placed.item_id)
        assert (item.GetStart(), item.GetDuration(), item.GetLeftOffset()) == (
            clip.placement.record.start,
            clip.placement.duration,
            clip.handles[0],
        )
    with VersionStore(result["store"]) as store:
        stored = store.versions_of(clip)
        assert [(v.label, v.op, v.params) for v in stored] == [
            ("v001", "relight", {"look": "golden-hour"}),
            ("v002", "relight", {"look": "day-to-night"}),
        ]
        assert all(store.placements(v.id) for v in stored)
    for path in (result["otio"], result["xml"]):
        top = [v for v in active_versions(read_timeline(path)) if v["track"] == 2]
        assert top[0]["path"] == result["versions"][-1].output_path
        assert top[0]["record"] == clip.placement.record
