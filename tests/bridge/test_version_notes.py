"""Review notes on placed versions become markers on the Resolve double: on any frame of the
version, its first included, as a track or a take, and through the in-app agent (how `retakes
review pull|serve` reach the free edition)."""

from __future__ import annotations

import pytest

from retakes.bridge.agent.retakes_agent import Agent, write_agent_file
from retakes.bridge.resolve.read import current_clip, find_item
from retakes.bridge.review import cli as review_cli
from retakes.bridge.review.handoff import NotesPath
from retakes.bridge.review.ledger import ReviewLedger
from retakes.bridge.review.notes import Note
from retakes.bridge.review.store_adapter import StoreAdapter
from retakes.bridge.versions import NewVersion, VersionStore
from retakes.bridge.workflow import place_recorded
from tests.support.resolve_scenes import DURATION, Scene

HANDLES = 12


def _placed(scene: Scene, mode: str):
    """v001 rendered with 12-frame handles, placed; returns the review side's view of it."""
    clip = current_clip(scene.resolve, handles=HANDLES)
    with VersionStore.open(scene.tmp / "retakes") as store:
        out = store.output_path_for(clip)
        out.write_bytes(b"v001")
        scene.register_output(out, frames=len(clip.range_with_handles))
        version = store.record(NewVersion(clip=clip, op="recolor", output_path=str(out)))
        placed = place_recorded(scene.resolve, store, clip, version, mode=mode)
        db = store.path
    review_version = StoreAdapter(db).version(str(version.id))
    return placed, review_version, db


def _notes(version, *frames: int) -> list[Note]:
    return [Note(f"local:n{f}", version.id, f, 1, f"note at {f}", "Ana") for f in frames]


@pytest.mark.parametrize("mode", ["track", "take"])
def test_a_note_on_the_versions_first_and_last_frame_becomes_a_marker(scene: Scene, mode: str) -> None:
    placed, version, db = _placed(scene, mode)
    first, last = HANDLES, HANDLES + DURATION - 1  # version-media frames the clip shows
    ledger = ReviewLedger(db.with_name("review.sqlite"))
    try:
        report = NotesPath(StoreAdapter(db), ledger, scene.timeline).deliver(version, _notes(version, first, last))
    finally:
        ledger.close()
    assert report.skipped == {} and sorted(report.added) == ["local:n12", "local:n59"]
    markers = find_item(scene.timeline, placed.item_id).GetMarkers()
    assert sorted(markers) == [0.0, float(DURATION - 1)]  # clip frames count from the first visible frame
    assert markers[0.0]["note"] == "note at 12" and markers[0.0]["customData"] == "retakes-note:local:n12"


def test_review_reaches_resolve_through_the_agent(scene: Scene, tmp_path, monkeypatch) -> None:
    placed, version, db = _placed(scene, "track")
    agent = Agent(scene.resolve)
    write_agent_file(tmp_path / "state" / "agent.json", {"port": agent.serve(), "token": agent.token})
    monkeypatch.setenv("RETAKES_AGENT_FILE", str(tmp_path / "state" / "agent.json"))
    try:
        timeline = review_cli._timeline()  # what `retakes review pull|serve` use
        assert timeline is not None and timeline.GetName() == scene.timeline.GetName()
        ledger = ReviewLedger(db.with_name("review.sqlite"))
        report = NotesPath(StoreAdapter(db), ledger, timeline).deliver(version, _notes(version, HANDLES))
        ledger.close()
    finally:
        agent.stop()
    assert report.added == ["local:n12"]
    assert list(find_item(scene.timeline, placed.item_id).GetMarkers()) == [0.0]


def test_without_resolve_review_says_why_and_keeps_the_notes(monkeypatch, tmp_path, capsys) -> None:
    monkeypatch.setenv("RETAKES_AGENT_FILE", str(tmp_path / "no-agent.json"))
    monkeypatch.setitem(__import__("sys").modules, "DaVinciResolveScript", None)  # not installed here
    assert review_cli._timeline() is None
    err = capsys.readouterr().err
    assert "Resolve not reachable (the retakes agent is not running" in err and "next pull" in err
