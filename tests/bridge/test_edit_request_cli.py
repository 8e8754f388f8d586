"""ClipRef -> EditRequest (pure), and the thin `retakes timeline send|place` wiring."""

from __future__ import annotations

import argparse
import contextlib
from fractions import Fraction
from pathlib import Path

import opentimelineio as otio
import pytest
from opentimelineio.opentime import RationalTime, TimeRange

from retakes.bridge import cli
from retakes.bridge.clipref import ClipRef, Placement, TimelineInfo
from retakes.bridge.edit_request import edit_request
from retakes.bridge.timeline.formats import read_timeline, write_timeline
from retakes.bridge.timeline.otio_model import active_versions
from retakes.engine.timecode import FrameRange, FrameRate, Timebase
from retakes.v1 import engine_pb2

NTSC = FrameRate(Fraction(30000, 1001))


def _clip(timebase: Timebase | None, path: str = "/media/A001.mov") -> ClipRef:
    return ClipRef(
        name="A001.mov",
        media_path=path,
        source_rate=NTSC,
        source_range=FrameRange(37, 85),
        placement=Placement(2, FrameRange(107993, 108041)),
        timeline=TimelineInfo("cut", NTSC, 107892, True),
        source_timebase=timebase,
        media_frames=500,
    )


def test_edit_request_carries_the_exact_source_range_and_params() -> None:
    clip = _clip(Timebase(NTSC, 1078920, True)).with_handles(40)
    request = edit_request(
        clip,
        op="recolor",
        output_path="/out/A001_v001.mov",
        codec="prores_422hq",
        seed=9,
        params={"hue": 30.0, "strength": 2, "invert": True, "color": "#ff0000"},
        mask="/masks/car.png",
        mask_frame=37,
    )
    assert request.source.path == "/media/A001.mov" and request.output_path == "/out/A001_v001.mov"
    assert request.op == "recolor" and request.codec == "prores_422hq" and request.seed == 9
    assert request.range.WhichOneof("kind") == "frames"
    assert (request.range.frames.start, request.range.frames.end) == (
        0,
        125,
    )  # 37 head (all there is), 40 tail
    assert request.params["hue"].number_value == 30.0 and request.params["strength"].int_value == 2
    assert request.params["invert"].WhichOneof("kind") == "bool_value"
    assert request.params["color"].text_value == "#ff0000"
    assert request.mask.path == "/masks/car.png" and request.mask_frame == 37
    assert request.sequence_rate == ""  # a movie file knows its own rate


def test_without_media_timecode_the_range_goes_as_timecodes() -> None:
    request = edit_request(_clip(None), op="relight", output_path="/o.mov")
    assert request.range.WhichOneof("kind") == "timecodes"
    assert (request.range.timecodes.start, request.range.timecodes.end) == ("00:00:01;07", "00:00:02;25")


def test_image_sequence_sources_carry_rate_and_start(tmp_path: Path) -> None:
    request = edit_request(
        _clip(Timebase(NTSC, 1078920, True), str(tmp_path)), op="relight", output_path="/o"
    )
    assert request.sequence_rate == "30000/1001" and request.sequence_start_timecode == "10:00:00;00"


# ---------------------------------------------------------------- CLI


def _timeline_file(tmp_path: Path) -> Path:
    r = 30000 / 1001
    tl = otio.schema.Timeline(name="cut", global_start_time=RationalTime(107892, r))
    track = otio.schema.Track(name="V1")
    ref = otio.schema.ExternalReference(
        target_url=str(tmp_path / "A001.mov"),
        available_range=TimeRange(RationalTime(1078920, r), RationalTime(500, r)),
    )
    track.append(otio.schema.Gap(source_range=TimeRange(RationalTime(0, r), RationalTime(101, r))))
    track.append(
        otio.schema.Clip(
            name="A001.mov",
            media_reference=ref,
            source_range=TimeRange(RationalTime(1078957, r), RationalTime(48, r)),
        )
    )
    tl.tracks.append(track)
    path = tmp_path / "cut.xml"
    write_timeline(tl, path)
    return path


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="retakes")
    cli.register(parser.add_subparsers(dest="command", required=True))
    return parser


class _FakeEngine:
    requests: list = []

    def run_edit(self, request, on_progress=None):
        self.requests.append(request)
        Path(request.output_path).write_bytes(b"rendered")
        return engine_pb2.Job(
            id="j1",
            state=engine_pb2.JOB_STATE_SUCCEEDED,
            result=engine_pb2.JobResult(frames_written=request.range.frames.end - request.range.frames.start),
        )


@pytest.fixture
def fake_engine(monkeypatch):
    import retakes.engine.client as engine_client

    _FakeEngine.requests = []

    @contextlib.contextmanager
    def connect(target=None, **kw):
        yield _FakeEngine()

    monkeypatch.setattr(engine_client, "connect", connect)
    return _FakeEngine


def test_timeline_send_builds_the_request_and_writes_back(tmp_path: Path, fake_engine, capsys) -> None:
    source = _timeline_file(tmp_path)
    out, new_timeline = tmp_path / "A001_v001.mov", tmp_path / "cut_retakes.xml"
    args = _parser().parse_args(
        [
            "timeline",
            "send",
            str(source),
            "--clip",
            "A001.mov",
            "--at",
            "01:00:03;15",
            "--op",
            "recolor",
            "-o",
            str(out),
            "--param",
            "hue=30",
            "--handles",
            "5",
            "--timeline-out",
            str(new_timeline),
        ]
    )
    assert args.run(args) == 0
    (request,) = fake_engine.requests
    assert request.source.path == str(tmp_path / "A001.mov") and request.op == "recolor"
    assert (request.range.frames.start, request.range.frames.end) == (32, 90)
    assert request.params["hue"].WhichOneof("kind") in ("int_value", "number_value")
    placed = [v for v in active_versions(read_timeline(new_timeline)) if v["path"] == str(out)]
    assert placed[0]["record"] == FrameRange(107993, 108041) and placed[0]["track"] == 2
    assert "sending A001.mov V1 01:00:03;11" in capsys.readouterr().out


def test_timeline_place_writes_the_versions_track(tmp_path: Path) -> None:
    source = _timeline_file(tmp_path)
    out = tmp_path / "cut_v.otio"
    v1, v2 = tmp_path / "A001_v001.mov", tmp_path / "A001_v002.mov"
    args = _parser().parse_args(
        [
            "timeline",
            "place",
            str(source),
            "--clip",
            "A001.mov",
            "--version",
            str(v1),
            "--version",
            str(v2),
            "--active",
            "v001",
            "-o",
            str(out),
        ]
    )
    assert args.run(args) == 0
    back = read_timeline(out)
    (retake,) = [c for c in back.tracks[-1].find_clips()]
    assert retake.media_reference.target_url == str(v1) and retake.media_references()[
        "v002"
    ].target_url == str(v2)
    assert [t.name for t in back.tracks] == ["", "retakes"]


def test_timeline_send_names_a_missing_clip_without_calling_the_engine(tmp_path: Path, fake_engine,
                                                                      capsys) -> None:
    args = _parser().parse_args(
        [
            "timeline",
            "send",
            str(_timeline_file(tmp_path)),
            "--clip",
            "B.mov",
            "--op",
            "relight",
            "-o",
            str(tmp_path / "o.mov"),
        ]
    )
    assert args.run(args) == 2
    assert capsys.readouterr().err.startswith("retakes: timeline send: --clip: no clip named 'B.mov'")
    assert fake_engine.requests == []
