"""Edits through the real gRPC service: progress, results, and every bad input refused."""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path

import cv2
import grpc
import numpy as np
import pytest

from retakes.engine.client import EngineError
from retakes.engine.media import FrameReader, probe
from retakes.engine.media.synthetic import read_burnt_index, write_index_clip
from retakes.engine.timecode import FrameRate
from retakes.v1 import engine_pb2

RATE = FrameRate(Fraction(25))


@pytest.fixture
def clip(tmp_path) -> Path:
    path = tmp_path / "src.mov"
    write_index_clip(path, frames=40, rate=RATE, size=(160, 96), codec="prores_422hq",
                     start_timecode="10:00:00:00", audio=True)
    return path


def edit(source: Path, output: Path, op: str = "relight", **fields) -> engine_pb2.EditRequest:
    request = engine_pb2.EditRequest(source=engine_pb2.MediaRef(path=str(source)), output_path=str(output), op=op)
    for key, value in fields.items():
        if key == "range":
            request.range.frames.start, request.range.frames.end = value
        elif key == "params":
            for name, v in value.items():
                if isinstance(v, str):
                    request.params[name].text_value = v
                else:
                    request.params[name].number_value = v
        elif key == "mask":
            request.mask.path = str(value)
        else:
            setattr(request, key, value)
    return request


def test_edit_streams_progress_and_writes_the_range(engine, clip, tmp_path):
    out = tmp_path / "out.mov"
    with engine.client() as client:
        job = client.submit(edit(clip, out, range=(5, 29), params={"exposure": 0.5}))
        snapshots = list(client.watch(job.id))
    final = snapshots[-1]
    assert final.state == engine_pb2.JOB_STATE_SUCCEEDED, final.error
    running = [s for s in snapshots if s.state == engine_pb2.JOB_STATE_RUNNING and s.progress.frames_total]
    assert running and all(s.progress.frames_total == 24 for s in running)
    assert final.result.frames_written == 24
    assert final.result.start_timecode == "10:00:00:05"
    (output,) = final.result.outputs
    assert Path(output.path) == out and len(output.sha256) == 64 and output.size_bytes == out.stat().st_size
    info = probe(out)
    assert info.frame_count == 24 and info.start_timecode == "10:00:00:05" and info.rate == RATE
    with FrameReader(info) as reader:
        assert [read_burnt_index(f) for _, f in reader.frames(info_range(info))] == list(range(5, 29))


def info_range(info):
    from retakes.engine.timecode import FrameRange

    return FrameRange(0, info.frame_count)


def test_preview_returns_one_edited_frame(engine, clip):
    with engine.client() as client:
        reply = client.preview(edit(clip, Path(""), params={"exposure": 1.0}), 7)
    image = cv2.imdecode(np.frombuffer(reply.image, np.uint8), cv2.IMREAD_COLOR)
    assert (reply.width, reply.height) == (160, 96) and image.shape == (96, 160, 3)
    assert reply.latency_ms > 0 and reply.device == "cpu"
    with FrameReader(probe(clip)) as reader:
        original = (reader.frame(7) >> 8).astype(np.uint8)  # ProRes decodes to 16-bit RGB
    assert image.mean() > original.mean() + 10  # +1 EV is brighter


def test_preview_reports_the_device_the_op_ran_on(engine, clip, tmp_path):
    """An op with no GPU path runs on the CPU when a GPU is asked for, and says so."""
    pytest.importorskip("torch")
    mask = tmp_path / "mask.png"
    m = np.zeros((96, 160), np.uint8)
    m[30:60, 50:90] = 255
    cv2.imwrite(str(mask), m)
    with engine.client() as client:
        ops = {op.name: op for op in client.capabilities().ops}
        relight = client.preview(edit(clip, Path(""), device="torch:cpu", params={"exposure": 1.0}), 7)
        remove = client.preview(edit(clip, Path(""), op="remove", device="torch:cpu", mask=mask), 7)
    assert ops["relight"].gpu and not ops["remove"].gpu and ops["track"].gpu
    assert relight.device == "torch:cpu" and remove.device == "cpu"


def test_list_get_and_idempotent_submit(engine, clip, tmp_path):
    request = edit(clip, tmp_path / "o.mkv")
    with engine.client() as client:
        first = client.submit(request, idempotency_key="k1")
        again = client.submit(request, idempotency_key="k1")
        client.wait(first.id)
        assert again.id == first.id
        assert [j.id for j in client.list()] == [first.id]
        assert client.get(first.id).state == engine_pb2.JOB_STATE_SUCCEEDED
        with pytest.raises(EngineError) as info:
            client.get("no-such-job")
    assert info.value.code == grpc.StatusCode.NOT_FOUND


# ------------------------------------------------------------------ bad input: refused at SubmitEdit

def _corrupt(tmp_path: Path, clip: Path) -> Path:
    bad = tmp_path / "corrupt.mov"
    bad.write_bytes(os.urandom(4096))
    return bad


def _truncated(tmp_path: Path, clip: Path) -> Path:
    bad = tmp_path / "truncated.mov"
    data = clip.read_bytes()
    bad.write_bytes(data[: len(data) // 2])
    return bad


def _wrong_size_mask(tmp_path: Path, clip: Path) -> Path:
    mask = tmp_path / "mask.png"
    cv2.imwrite(str(mask), np.full((50, 80), 255, np.uint8))
    return mask


def _wrong_count_masks(tmp_path: Path, clip: Path) -> Path:
    folder = tmp_path / "masks"
    folder.mkdir()
    for i in range(7):
        cv2.imwrite(str(folder / f"{i:05d}.png"), np.full((96, 160), 255, np.uint8))
    return folder


BAD_INPUTS = {
    # name: (request builder, expected code, expected field)
    "missing source": (lambda t, c: edit(t / "nope.mov", t / "o.mov"), grpc.StatusCode.NOT_FOUND, "edit.source"),
    "corrupt source": (lambda t, c: edit(_corrupt(t, c), t / "o.mov"), grpc.StatusCode.INVALID_ARGUMENT,
                       "edit.source"),
    "truncated source": (lambda t, c: edit(_truncated(t, c), t / "o.mov"), grpc.StatusCode.INVALID_ARGUMENT,
                         "edit.source"),
    "range outside": (lambda t, c: edit(c, t / "o.mov", range=(30, 41)), grpc.StatusCode.INVALID_ARGUMENT,
                      "edit.range"),
    "range empty": (lambda t, c: edit(c, t / "o.mov", range=(5, 5)), grpc.StatusCode.INVALID_ARGUMENT, "edit.range"),
    "range reversed": (lambda t, c: edit(c, t / "o.mov", range=(9, 3)), grpc.StatusCode.INVALID_ARGUMENT,
                       "edit.range"),
    "unknown op": (lambda t, c: edit(c, t / "o.mov", op="explode"), grpc.StatusCode.INVALID_ARGUMENT, "edit.op"),
    "unknown codec": (lambda t, c: edit(c, t / "o.mov", codec="mpeg2"), grpc.StatusCode.INVALID_ARGUMENT,
                      "edit.codec"),
    "output is the source": (lambda t, c: edit(c, c), grpc.StatusCode.INVALID_ARGUMENT, "edit.output_path"),
    "mask wrong size": (lambda t, c: edit(c, t / "o.mov", op="recolor", mask=_wrong_size_mask(t, c),
                                          params={"hue": 90.0}), grpc.StatusCode.INVALID_ARGUMENT, "edit.mask"),
    "mask wrong count": (lambda t, c: edit(c, t / "o.mov", op="recolor", mask=_wrong_count_masks(t, c),
                                           params={"hue": 90.0}), grpc.StatusCode.INVALID_ARGUMENT, "edit.mask"),
    "unknown param": (lambda t, c: edit(c, t / "o.mov", params={"sparkle": 1.0}), grpc.StatusCode.INVALID_ARGUMENT,
                      "edit.params.sparkle"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_is_refused_with_its_field_and_nothing_is_written(engine, clip, tmp_path, case):
    build, code, field = BAD_INPUTS[case]
    request = build(tmp_path, clip)
    before = sorted(p.name for p in tmp_path.iterdir())
    with engine.client() as client:
        with pytest.raises(EngineError) as info:
            client.submit(request)
        assert client.list() == []  # nothing queued
    assert info.value.code == code
    assert info.value.field == field
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing written


def test_timecode_range_at_the_wrong_rate_is_refused(engine, clip, tmp_path):
    request = edit(clip, tmp_path / "o.mov")
    request.range.timecodes.start, request.range.timecodes.end = "10:00:00;02", "10:00:00;10"
    with engine.client() as client, pytest.raises(EngineError) as info:
        client.submit(request)
    assert info.value.code == grpc.StatusCode.INVALID_ARGUMENT and info.value.field == "edit.range"
    assert "drop-frame" in info.value.message


def test_timecode_range_at_the_media_rate_selects_those_frames(engine, clip, tmp_path):
    request = edit(clip, tmp_path / "o.mkv")
    request.range.timecodes.start, request.range.timecodes.end = "10:00:01:00", "10:00:01:05"
    with engine.client() as client:
        job = client.run_edit(request)
    assert job.state == engine_pb2.JOB_STATE_SUCCEEDED and job.result.frames_written == 5
    assert job.result.start_timecode == "10:00:01:00"


def _write_vfr(tmp_path: Path, clip: Path) -> Path:
    import av

    path = tmp_path / "vfr.mkv"
    with av.open(str(path), "w") as c:
        s = c.add_stream("ffv1", rate=25)
        s.width, s.height, s.pix_fmt = 160, 96, "bgr0"
        s.codec_context.time_base = Fraction(1, 1000)
        for i in range(20):
            f = av.VideoFrame.from_ndarray(np.full((96, 160, 3), i * 9, np.uint8), format="rgb24")
            f.pts, f.time_base = i * 40 + (i % 3) * 13, Fraction(1, 1000)
            c.mux(s.encode(f))
        c.mux(s.encode(None))
    return path


def test_variable_frame_rate_source_is_refused(engine, clip, tmp_path):
    request = edit(_write_vfr(tmp_path, clip), tmp_path / "o.mov")
    with engine.client() as client, pytest.raises(EngineError) as info:
        client.submit(request)
    assert info.value.code == grpc.StatusCode.INVALID_ARGUMENT and info.value.field == "edit.source"
    assert "frame rate" in info.value.message
    assert not (tmp_path / "o.mov").exists()


@pytest.mark.parametrize("output", ["identity.mkv", "identity_frames"])
def test_identity_edit_to_lossless_output_is_bit_identical_to_the_decoded_source(engine, clip, tmp_path, output):
    """An edit whose region is empty must give back the decoded source, bit for bit (FFV1 and PNG)."""
    empty = tmp_path / "empty_mask.png"
    cv2.imwrite(str(empty), np.zeros((96, 160), np.uint8))
    out = tmp_path / output
    request = edit(clip, out, op="recolor", mask=empty, range=(6, 30), params={"hue": 120.0})
    with engine.client() as client:
        job = client.run_edit(request)
    assert job.state == engine_pb2.JOB_STATE_SUCCEEDED, job.error
    src, dst = probe(clip), probe(out, sequence_rate=RATE)
    assert dst.frame_count == 24
    with FrameReader(src) as a, FrameReader(dst) as b:
        pairs = zip(a.frames(info_range(src).__class__(6, 30)), b.frames(info_range(dst)), strict=True)
        for (i, original), (_, written) in pairs:
            assert written.dtype == original.dtype and np.array_equal(written, original), f"frame {i} differs"
