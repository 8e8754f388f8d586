"""Batch variants through the real gRPC service: one job, the analysis once, every variant its own output."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import cv2
import grpc
import numpy as np
import pytest

import retakes.engine.ops.track as track_module
from retakes.engine.client import EngineError
from retakes.engine.media.synthetic import DemoScene
from retakes.engine.ops import REGISTRY
from retakes.v1 import engine_pb2


@pytest.fixture
def scene(tmp_path) -> tuple[Path, Path]:
    DemoScene(64, 48, 12, 24).write(tmp_path / "shot.mov", start_timecode="01:00:00:00")
    key = np.zeros((48, 64), np.uint8)
    key[14:34, 18:46] = 255
    cv2.imwrite(str(tmp_path / "key.png"), key)
    return tmp_path / "shot.mov", tmp_path / "key.png"


def batch(source: Path, mask: Path, outputs: dict[str, str], folder: Path) -> engine_pb2.EditRequest:
    request = engine_pb2.EditRequest(source=engine_pb2.MediaRef(path=str(source)), op="recolor",
                                     mask=engine_pb2.MediaRef(path=str(mask)))
    for name, color in outputs.items():
        variant = request.variants.add(name=name, output_path=str(folder / f"{name}.mkv"))
        variant.params["color"].text_value = color
    return request


def test_the_analysis_runs_once_for_every_variant(engine, scene, tmp_path, monkeypatch):
    walks = []
    real = track_module.track_anchors

    def counted(*args, **kwargs):
        walks.append(args[1])  # the range it walks
        yield from real(*args, **kwargs)

    monkeypatch.setattr(track_module, "track_anchors", counted)
    source, mask = scene
    colors = {"red": "#C81E1E", "blue": "#1E3CC8", "gold": "#D4A017"}
    with engine.client() as client:
        job = client.wait(client.submit(batch(source, mask, colors, tmp_path)).id)
    assert job.state == engine_pb2.JOB_STATE_SUCCEEDED, job.error
    assert len(walks) == 1  # three variants, one tracking walk
    assert list(job.result.variant_names) == list(colors)
    assert [o.path for o in job.result.outputs] == [str(tmp_path / f"{n}.mkv") for n in colors]
    assert len({o.sha256 for o in job.result.outputs}) == 3
    assert job.result.frames_written == 3 * 12
    # the work folder, shared analysis included, is gone
    assert not (engine.config.work_dir / job.id).exists()


def test_ops_share_an_analysis_only_where_its_params_agree():
    recolor, remove = REGISTRY["recolor"].spec, REGISTRY["remove"].spec
    assert recolor.analysis_key({"color": "#111111"}) == recolor.analysis_key({"color": "#222222"})
    assert remove.analysis_key({"grow": 2}) != remove.analysis_key({"grow": 3})
    # an op that does not say what its analysis reads shares only between equal params
    track = REGISTRY["track"].spec
    assert track.analysis_params is None
    assert track.analysis_key({"backend": "classical"}) != track.analysis_key({"backend": "auto"})


def test_a_bad_variant_is_refused_naming_it(engine, scene, tmp_path):
    source, mask = scene
    request = batch(source, mask, {"ok": "#112233", "bad": "purple"}, tmp_path)
    with engine.client() as client, pytest.raises(EngineError) as error:
        client.submit(request)
    assert error.value.code == grpc.StatusCode.INVALID_ARGUMENT
    assert error.value.field == "edit.variants[1].params.color"
    same = batch(source, mask, {"a": "#112233", "b": "#445566"}, tmp_path)
    same.variants[1].output_path = same.variants[0].output_path
    with engine.client() as client, pytest.raises(EngineError) as error:
        client.submit(same)
    assert error.value.field == "edit.variants[1].output_path"
    assert not list(tmp_path.glob("*.mkv"))


def test_progress_counts_the_frames_of_every_variant(engine, scene, tmp_path):
    source, mask = scene
    with engine.client() as client:
        job = client.submit(batch(source, mask, {"a": "#112233", "b": "#445566"}, tmp_path))
        done = client.wait(job.id)
    assert done.state == engine_pb2.JOB_STATE_SUCCEEDED
    assert (done.progress.frames_done, done.progress.frames_total) == (24, 24)
    assert Fraction(done.result.rate) == 24


def test_a_fix_over_grpc_reports_what_it_encoded_and_refuses_a_mismatched_base(engine, scene, tmp_path):
    source, mask = scene
    first = batch(source, mask, {}, tmp_path)
    first.output_path = str(tmp_path / "old.mkv")
    first.params["color"].text_value = "#C81E1E"
    with engine.client() as client:
        assert client.wait(client.submit(first).id).state == engine_pb2.JOB_STATE_SUCCEEDED
        fix = engine_pb2.EditRequest()
        fix.CopyFrom(first)
        fix.output_path = str(tmp_path / "new.mkv")
        fix.params["color"].text_value = "#22AA22"
        fix.fix.base.path = str(tmp_path / "old.mkv")
        fix.fix.frames.start, fix.fix.frames.end = 3, 7
        job = client.wait(client.submit(fix).id)
        assert job.state == engine_pb2.JOB_STATE_SUCCEEDED, job.error
        assert (job.result.reencoded.start, job.result.reencoded.end) == (3, 7)  # ffv1: every frame a keyframe
        assert any("fixed output frames 3:7" in n for n in job.result.notes)
        # a base of another length than the range, or the output over the base itself: refused, by field
        short = engine_pb2.EditRequest()
        short.CopyFrom(fix)
        short.output_path = str(tmp_path / "short.mkv")
        short.range.frames.start, short.range.frames.end = 0, 8
        with pytest.raises(EngineError) as error:
            client.submit(short)
        assert error.value.field == "edit.fix.base"
        over = engine_pb2.EditRequest()
        over.CopyFrom(fix)
        over.output_path, over.overwrite = str(tmp_path / "old.mkv"), True
        with pytest.raises(EngineError) as error:
            client.submit(over)
        assert error.value.field == "edit.output_path"
    assert not (tmp_path / "short.mkv").exists()
