"""The version store: numbering per source clip, lineage, status and review links, nothing overwritten."""

from __future__ import annotations

import multiprocessing
import sqlite3
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import pytest

from retakes.bridge.clipref import ClipRef, Placement, TimelineInfo
from retakes.bridge.versions import NewVersion, VersionStore, reservation_of
from retakes.engine.timecode import FrameRange, FrameRate, Timebase

RATE = FrameRate(Fraction(24000, 1001))


def _clip(path: Path, start: int = 10, end: int = 58) -> ClipRef:
    return ClipRef(name="A001_C002.mov", media_path=str(path), source_rate=RATE,
                   source_range=FrameRange(start, end),
                   placement=Placement(1, FrameRange(86500, 86500 + end - start)),
                   timeline=TimelineInfo("edit", RATE, 86400), source_timebase=Timebase(RATE, 864000),
                   media_frames=400)


def _make(store: VersionStore, clip: ClipRef, op: str = "recolor", **kw):
    out = store.output_path_for(clip)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(f"{op}-{out.name}".encode())
    return store.record(NewVersion(clip=clip, op=op, output_path=str(out), **kw))


@pytest.fixture
def media(tmp_path: Path) -> Path:
    path = tmp_path / "A001_C002.mov"
    path.write_bytes(b"\x00media" * 1000)
    return path


def test_numbering_per_source_clip_and_full_provenance(tmp_path: Path, media: Path) -> None:
    with VersionStore.open(tmp_path / "retakes") as store:
        a = _make(store, _clip(media), params={"hue": 30.0}, seed=5, model="cpu-lab", engine_version="0.1.0",
                  job_id="job-1")
        b = _make(store, _clip(media), op="relight")
        other = _make(store, _clip(media, 100, 148))  # another range of the same media: its own series
        assert [a.label, b.label, other.label] == ["v001", "v002", "v001"]
        assert a.source_key == b.source_key != other.source_key
        assert [Path(v.output_path).name for v in (a, b)] == ["A001_C002_v001.mov", "A001_C002_v002.mov"]
        assert (a.op, a.params, a.seed, a.model, a.engine_version, a.job_id) == (
            "recolor", {"hue": 30.0}, 5, "cpu-lab", "0.1.0", "job-1")
        assert (a.source_path, a.source_start, a.source_end) == (str(media), 10, 58)
        assert a.source_rate == "24000/1001"
        assert a.source_hash.startswith("q1:") and len(a.output_sha256) == 64
        assert a.output_start_timecode == "10:00:00:10" and a.output_frames == 48
        assert a.status == "draft" and a.parent_id is None
    assert (tmp_path / "retakes" / "retakes-versions.sqlite").exists()


def test_durability_settings(tmp_path: Path) -> None:
    with VersionStore.open(tmp_path) as store:
        assert store._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert store._db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_nothing_is_overwritten(tmp_path: Path, media: Path) -> None:
    with VersionStore.open(tmp_path / "retakes") as store:
        v1 = _make(store, _clip(media))
        with pytest.raises(sqlite3.DatabaseError, match="never overwritten"):
            store._db.execute("UPDATE versions SET op = 'x' WHERE id = ?", (v1.id,))
        with pytest.raises(sqlite3.DatabaseError, match="never deleted"):
            store._db.execute("DELETE FROM versions")
        # an output file already at the next name is skipped, not replaced
        squatter = Path(store.output_path_for(_clip(media)))
        squatter.write_bytes(b"someone else's file")
        v2 = _make(store, _clip(media))
        assert squatter.read_bytes() == b"someone else's file" and v2.output_path != str(squatter)
        with pytest.raises(sqlite3.IntegrityError):  # the same output recorded twice
            store.record(NewVersion(clip=_clip(media), op="again", output_path=v1.output_path))
        with pytest.raises(FileNotFoundError):
            store.record(NewVersion(clip=_clip(media), op="x", output_path=str(tmp_path / "missing.mov")))


def test_edit_of_an_edit_continues_the_series(tmp_path: Path, media: Path) -> None:
    with VersionStore.open(tmp_path / "retakes") as store:
        v1 = _make(store, _clip(media))
        # the editor selects v001 on the timeline and edits it again
        of_v1 = replace(_clip(Path(v1.output_path), 0, 48), name="A001_C002_v001.mov")
        v2 = _make(store, of_v1)
        assert v2.label == "v002" and v2.parent_id == v1.id and v2.source_key == v1.source_key
        assert [v.label for v in store.versions_of(_clip(media))] == ["v001", "v002"]


def test_status_and_review_links_for_the_review_module(tmp_path: Path, media: Path) -> None:
    with VersionStore.open(tmp_path / "retakes") as store:
        v1, v2 = _make(store, _clip(media)), _make(store, _clip(media))
        store.set_status(v1.id, "in review", actor="ed", note="sent to Frame.io")
        assert store.set_status(v1.id, "approved").status == "approved"
        with pytest.raises(ValueError, match="draft, in review, approved, rejected"):
            store.set_status(v1.id, "done")
        link = store.add_review_link(v1.id, "https://f.io/abc", service="frameio")
        assert store.review_links(v1.id) == [link] and store.review_links(v2.id) == []
        assert [s for s, *_ in store.status_history(v1.id)] == ["draft", "in review", "approved"]
        assert [v.label for v in store.list_versions(status="approved")] == ["v001"]
        assert [v.label for v in store.list_versions(status="draft")] == ["v002"]
        with pytest.raises(KeyError):
            store.set_status(999, "approved")
    with VersionStore.open(tmp_path / "retakes") as reopened:  # survives a reopen
        assert reopened.get(v1.id).status == "approved"


def test_two_writers_never_share_a_number(tmp_path: Path, media: Path) -> None:
    with VersionStore.open(tmp_path / "r") as one, VersionStore.open(tmp_path / "r") as two:
        labels = [_make(s, _clip(media)).label for s in (one, two, one, two)]
    assert labels == ["v001", "v002", "v003", "v004"]


def _claim_names(media_root: str, media: str, count: int) -> list[str]:
    """In another process: the next `count` version paths, none of them recorded."""
    with VersionStore.open(media_root) as store:
        return [str(store.output_path_for(_clip(Path(media)))) for _ in range(count)]


def test_two_processes_are_never_given_the_same_version_name(tmp_path: Path, media: Path) -> None:
    """A panel and an agent on one media root, each about to render the next version of the
    same clip: before either output exists, each must already hold a name of its own."""
    spawn = multiprocessing.get_context("spawn")
    with spawn.Pool(2) as pool:
        runs = [pool.apply_async(_claim_names, (str(tmp_path / "retakes"), str(media), 5)) for _ in range(2)]
        names = [name for run in runs for name in run.get(timeout=120)]
    assert len(set(names)) == 10
    with VersionStore.open(tmp_path / "retakes") as store:
        v = _make(store, _clip(media))  # recording drops the claim: the file itself holds the name now
        assert not reservation_of(Path(v.output_path)).exists()
        assert Path(v.output_path).name not in {Path(n).name for n in names}
