"""The version store: numbering per source clip, lineage, status and review links, nothing overwritten."""

from __future__ import annotations

import multiprocessing
import os
import sqlite3
import subprocess
import sys
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import pytest

from retakes.bridge.clipref import ClipRef, Placement, TimelineInfo
from retakes.bridge.versions import NewVersion, VersionStore, file_sha256, reservation_of
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


def test_the_engines_hash_of_a_file_is_kept_without_reading_it_again_a_folders_is_not(tmp_path, media,
                                                                                      monkeypatch) -> None:
    import retakes.bridge.versions as versions

    with VersionStore.open(tmp_path / "retakes") as store:
        engine_hash = file_sha256(media)  # what JobResult.outputs[].sha256 holds for this file
        clip = _clip(media)
        out = store.output_path_for(clip)
        out.write_bytes(media.read_bytes())
        real = versions.file_sha256
        monkeypatch.setattr(versions, "file_sha256", lambda path: pytest.fail(f"{path} was read again"))
        kept = store.record(NewVersion(clip=clip, op="recolor", output_path=str(out), output_sha256=engine_hash))
        assert kept.output_sha256 == engine_hash
        # a PNG sequence: the engine hashes a folder its own way, so the store hashes it as it always has
        folder = store.output_path_for(clip, extension="")
        folder.mkdir()
        (folder / "00000.png").write_bytes(b"frame")
        monkeypatch.setattr(versions, "file_sha256", real)
        made = store.record(NewVersion(clip=clip, op="recolor", output_path=str(folder), output_sha256="e" * 64))
        assert made.output_sha256 == real(folder) != "e" * 64


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


# ---- the command line: `retakes edit` records a version, `retakes versions` lists it

RETAKES = Path(sys.executable).with_name("retakes")  # the installed console script


def _retakes(*args: str, home: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "RETAKES_HOME": str(home)}
    env.pop("RETAKES_ENGINE", None)
    return subprocess.run([str(RETAKES), *args], capture_output=True, text=True, env=env, timeout=240)


@pytest.fixture(scope="module")
def cli_clip(tmp_path_factory) -> tuple[Path, Path]:
    import cv2
    import numpy as np

    from retakes.engine.media.synthetic import write_index_clip

    folder = tmp_path_factory.mktemp("versions-cli")
    write_index_clip(folder / "shot.mp4", frames=12, rate=FrameRate(Fraction(24)), size=(160, 96),
                            codec="h264", start_timecode="01:00:00:00")
    mask = np.zeros((96, 160), np.uint8)
    mask[20:60, 40:100] = 255
    cv2.imwrite(str(folder / "car_mask.png"), mask)
    return folder / "shot.mp4", folder / "car_mask.png"


def test_cli_edit_records_a_version_that_versions_lists_and_shows(cli_clip, short_tmp: Path) -> None:
    clip, mask = cli_clip
    home, out = short_tmp / "home", short_tmp / "renders" / "blue.mkv"
    out.parent.mkdir()
    run = _retakes("edit", str(clip), "-o", str(out), "--op", "recolor", "--mask", str(mask), "--hue", "200",
                   "--range", "2:10", home=home)
    assert run.returncode == 0, run.stderr
    db = home / "versions" / "retakes-versions.sqlite"
    with VersionStore(db) as store:
        (v1,) = store.list_versions()
    assert f"recorded v001 of shot.mp4 (clip key {v1.source_key})" in run.stderr
    assert os.path.samefile(v1.output_path, out)  # the store's own link: no copy, same frames
    assert (v1.op, v1.params["hue"], v1.params["mask"], v1.source_start, v1.source_end) == (
        "recolor", 200.0, str(mask), 2, 10)

    listing = _retakes("versions", home=home)
    assert listing.returncode == 0, listing.stderr
    assert f"shot.mp4  frames 2:10  clip key {v1.source_key}" in listing.stdout
    assert "v001  draft      recolor --hue 200 --mask car_mask.png" in listing.stdout

    # An edit of that result continues the clip's series; the help's `retakes versions show KEY`
    # takes the key's start, as the review commands do.
    again = _retakes("edit", str(out), "-o", str(short_tmp / "renders" / "night"), "--op", "relight",
                     "--look", "day-to-night", home=home)
    assert again.returncode == 0, again.stderr
    shown = _retakes("versions", "show", v1.source_key[:7], home=home)
    assert shown.returncode == 0, shown.stderr
    assert "v002 <- v001: relight --look day-to-night" in shown.stdout
    assert "v001 <- original: recolor --hue 200 --mask car_mask.png" in shown.stdout
    assert "from shot.mp4, frames 2:10 (01:00:00:02-01:00:00:10) at 24 fps, seed 0" in shown.stdout
    assert "{" not in shown.stdout  # no raw params dict

    # The version keeps its frames when OUT is replaced (the engine renames a new file into place).
    replacement = out.with_name(".new.mkv")
    replacement.write_bytes(b"another render")
    replacement.replace(out)
    with VersionStore(db) as store:
        v1_again, v2 = store.list_versions()
        assert file_sha256(v1_again.output_path) == v1.output_sha256
        assert Path(v2.output_path).is_dir() and len(list(Path(v2.output_path).iterdir())) == 8  # PNG frames

    skipped = _retakes("edit", str(clip), "-o", str(short_tmp / "renders" / "x.mkv"), "--op", "relight",
                       "--look", "overcast", "--no-version", home=home)
    assert skipped.returncode == 0 and "recorded" not in skipped.stderr
    with VersionStore(db) as store:
        assert len(store.list_versions()) == 2


def test_versions_refuses_an_unknown_key_in_one_line(tmp_path: Path, media: Path) -> None:
    with VersionStore.open(tmp_path / "store") as store:
        _make(store, _clip(media))
    for args in (["versions", "show", "zz", "--store", str(tmp_path / "store")],
                 ["versions", "--store", str(tmp_path / "store"), "show", ""],
                 ["versions", "--store", str(tmp_path / "nowhere")]):
        run = _retakes(*args, home=tmp_path / "home")
        lines = run.stderr.strip().splitlines()
        assert run.returncode != 0 and len(lines) == 1 and ("KEY" in lines[0] or "--store" in lines[0]), run.stderr
    assert not (tmp_path / "home").exists()  # reading writes nothing


def _job(output: Path, job_id: str = "job-1"):
    from retakes.v1 import engine_pb2

    job = engine_pb2.Job(id=job_id, state=engine_pb2.JOB_STATE_SUCCEEDED)
    job.result.outputs.add(path=str(output))
    return job


def _request(source: Path, output: Path, **params: float):
    from retakes.v1 import engine_pb2

    request = engine_pb2.EditRequest(source=engine_pb2.MediaRef(path=str(source)), output_path=str(output),
                                     op="relight", seed=3)
    request.range.frames.start, request.range.frames.end = 1, 5
    for name, value in params.items():
        request.params[name].number_value = value
    return request


def test_where_the_store_cannot_link_the_version_records_the_output_itself(cli_clip, tmp_path, monkeypatch):
    from retakes.bridge import edit_version

    clip, _ = cli_clip
    out = tmp_path / "out.mp4"
    out.write_bytes(clip.read_bytes())

    def no_links(*_a: object) -> None:
        raise OSError(18, "Invalid cross-device link")

    monkeypatch.setattr(edit_version.os, "link", no_links)
    with VersionStore.open(tmp_path / "store") as store:
        recorded = edit_version.record_edit(store, _request(clip, out, exposure=0.5), _job(out))
        assert not recorded.linked and recorded.version.output_path == str(out)
        assert recorded.version.params == {"exposure": 0.5} and recorded.version.seed == 3
        assert not list((tmp_path / "store").rglob("*.reserved"))  # the unused name is given back
        with pytest.raises(edit_version.NotRecorded, match="already a recorded version"):
            edit_version.record_edit(store, _request(clip, out), _job(out, "job-2"))
        assert len(store.list_versions()) == 1
