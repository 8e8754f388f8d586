"""Where an edit writes, through the real gRPC service: the codec the file says it holds, an
existing output kept unless the request says `overwrite`, no input ever written over, and the
output written exactly where it was checked (issue 13, items 8, 12, 22, 23)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import cv2
import grpc
import numpy as np
import pytest

from retakes.engine.client import EngineClient, EngineError
from retakes.engine.media.synthetic import write_index_clip
from retakes.engine.timecode import FrameRate
from retakes.v1 import engine_pb2

RATE = FrameRate(Fraction(25))


@pytest.fixture
def clip(tmp_path) -> Path:
    return write_index_clip(tmp_path / "src.mov", frames=20, rate=RATE, size=(64, 48), codec="prores_422hq",
                            audio=False)


def edit(source: Path, output: str | Path, op: str = "relight", **fields) -> engine_pb2.EditRequest:
    request = engine_pb2.EditRequest(source=engine_pb2.MediaRef(path=str(source)), output_path=str(output), op=op,
                                     **fields)
    if op == "relight":
        request.params["exposure"].number_value = 0.5
    return request


def refused(client: EngineClient, request: engine_pb2.EditRequest) -> EngineError:
    jobs = len(client.list())
    with pytest.raises(EngineError) as info:
        client.submit(request)
    assert len(client.list()) == jobs  # nothing queued
    return info.value


def listing(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# ------------------------------------------------------------------ item 8: the codec tag


@pytest.mark.parametrize("frames", [5, 20], ids=["one chunk", "three chunks joined"])
def test_a_prores_4444_output_is_tagged_4444(engine, clip, tmp_path, frames):
    """ffprobe's codec_tag and profile, read with PyAV, of the final file (the engine's chunks are
    8 frames: 20 frames are three segments joined)."""
    out = tmp_path / "master.mov"
    with engine.client() as client:
        job = client.run_edit(edit(clip, out, codec="prores_4444",
                                   range=engine_pb2.RangeSpec(frames=engine_pb2.FrameRange(start=0, end=frames))))
    assert job.state == engine_pb2.JOB_STATE_SUCCEEDED, job.error
    with av.open(str(out)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.codec_tag == "ap4h"
        assert stream.profile == "4444"
        assert stream.codec_context.pix_fmt.startswith("yuv444")
        assert stream.frames == frames


def test_a_prores_422hq_output_is_still_tagged_422hq(engine, clip, tmp_path):
    out = tmp_path / "hq.mov"
    with engine.client() as client:
        job = client.run_edit(edit(clip, out))
    assert job.state == engine_pb2.JOB_STATE_SUCCEEDED, job.error
    with av.open(str(out)) as container:
        assert container.streams.video[0].codec_context.codec_tag == "apch"
        assert container.streams.video[0].profile == "HQ"


# ------------------------------------------------------------------ item 12: an existing output


def test_an_existing_output_file_is_refused_without_overwrite_and_replaced_with_it(engine, clip, tmp_path):
    out = tmp_path / "o.mov"
    out.write_bytes(b"last week's render")
    with engine.client() as client:
        error = refused(client, edit(clip, out))
        assert error.code == grpc.StatusCode.INVALID_ARGUMENT and error.field == "edit.output_path"
        assert "already exists" in error.message and "--overwrite" in error.message
        assert out.read_bytes() == b"last week's render"
        job = client.run_edit(edit(clip, out, overwrite=True))
    assert job.state == engine_pb2.JOB_STATE_SUCCEEDED, job.error
    with av.open(str(out)) as container:
        assert container.streams.video[0].frames == 20


def test_an_earlier_png_sequence_is_replaced_only_with_overwrite(engine, clip, tmp_path):
    out = tmp_path / "frames"
    with engine.client() as client:
        first = client.run_edit(edit(clip, out))
        assert first.state == engine_pb2.JOB_STATE_SUCCEEDED, first.error
        before = listing(out)
        error = refused(client, edit(clip, out, range=engine_pb2.RangeSpec(frames=engine_pb2.FrameRange(start=0,
                                                                                                          end=3))))
        assert error.field == "edit.output_path" and "--overwrite" in error.message
        assert listing(out) == before
        again = client.run_edit(edit(clip, out, overwrite=True,
                                     range=engine_pb2.RangeSpec(frames=engine_pb2.FrameRange(start=0, end=3))))
    assert again.state == engine_pb2.JOB_STATE_SUCCEEDED, again.error
    assert sorted(p.name for p in out.iterdir()) == ["00000.png", "00001.png", "00002.png"]


def test_an_empty_folder_is_filled_without_overwrite(engine, clip, tmp_path):
    out = tmp_path / "made_beforehand"
    out.mkdir()
    with engine.client() as client:
        job = client.run_edit(edit(clip, out))
    assert job.state == engine_pb2.JOB_STATE_SUCCEEDED, job.error
    assert len(list(out.iterdir())) == 20


def test_a_second_job_to_the_same_output_does_not_replace_the_first_ones(engine, clip, tmp_path):
    """Both are accepted (neither output exists yet); the one that runs second finds the first's
    file and fails on it, leaving it whole."""
    out = tmp_path / "same.mkv"
    with engine.client() as client:
        first = client.submit(edit(clip, out))
        second = client.submit(edit(clip, out, range=engine_pb2.RangeSpec(frames=engine_pb2.FrameRange(start=0,
                                                                                                          end=4))))
        assert client.wait(first.id).state == engine_pb2.JOB_STATE_SUCCEEDED
        written = out.read_bytes()
        ended = client.wait(second.id)
    assert ended.state == engine_pb2.JOB_STATE_FAILED
    assert ended.error.field == "output_path" and "already exists" in ended.error.message
    assert out.read_bytes() == written


# ------------------------------------------------------------------ item 22: every input, not only the source


def _image(path: Path, value: int = 128) -> Path:
    cv2.imwrite(str(path), np.full((48, 64, 3), value, np.uint8))
    return path


def _mask(path: Path) -> Path:
    m = np.zeros((48, 64), np.uint8)
    m[10:30, 20:40] = 255
    cv2.imwrite(str(path), m)
    return path


def test_the_plate_is_never_the_output(engine, clip, tmp_path):
    for name in ("plate.mov", "plate.mkv"):
        plate = write_index_clip(tmp_path / name, frames=20, rate=RATE, size=(64, 48), audio=False)
        mask = _mask(tmp_path / "subject.png")
        before = plate.read_bytes()
        request = edit(clip, plate, op="background", mask=engine_pb2.MediaRef(path=str(mask)))
        request.params["plate"].text_value = str(plate)
        with engine.client() as client:
            error = refused(client, request)
        assert error.code == grpc.StatusCode.INVALID_ARGUMENT and error.field == "edit.output_path"
        assert "plate" in error.message
        assert plate.read_bytes() == before


def test_an_output_folder_holding_the_plate_is_refused(engine, clip, tmp_path):
    folder = tmp_path / "plates"
    folder.mkdir()
    plate = _image(folder / "00000.png")  # a name a PNG-sequence output would replace
    request = edit(clip, folder, op="background", mask=engine_pb2.MediaRef(path=str(_mask(tmp_path / "m.png"))),
                   overwrite=True)
    request.params["plate"].text_value = str(plate)
    with engine.client() as client:
        error = refused(client, request)
    assert error.field == "edit.output_path" and "plate" in error.message
    assert plate.exists()


@pytest.mark.parametrize("which", ["mask", "edited keyframe"])
def test_the_mask_and_an_edited_keyframe_are_never_the_output(engine, clip, tmp_path, which):
    if which == "mask":
        victim = _mask(tmp_path / "m.png")
        request = edit(clip, victim, op="recolor", mask=engine_pb2.MediaRef(path=str(victim)), codec="png")
        request.params["hue"].number_value = 90.0
    else:
        victim = _image(tmp_path / "k.png")
        request = edit(clip, victim, op="propagate", codec="png")
        request.keyframes.add(frame=0, edited=engine_pb2.MediaRef(path=str(victim)))
    before = victim.read_bytes()
    with engine.client() as client:
        error = refused(client, request)
    assert error.field == "edit.output_path" and "itself" in error.message
    assert victim.read_bytes() == before


# ------------------------------------------------------------------ item 23: the path checked is the path written


def test_an_output_through_a_missing_folder_and_back_is_written_where_it_was_checked(engine, clip, tmp_path):
    (tmp_path / "dir").mkdir()
    given = f"{tmp_path}/dir/nosuch/../x.mov"
    with engine.client() as client:
        job = client.run_edit(edit(clip, given))
    assert job.state == engine_pb2.JOB_STATE_SUCCEEDED, (job.error.code, job.error.message)
    assert [o.path for o in job.result.outputs] == [str(tmp_path / "dir" / "x.mov")]
    assert (tmp_path / "dir" / "x.mov").stat().st_size > 0
    assert not (tmp_path / "dir" / "nosuch").exists()


def test_a_relative_output_from_a_remote_client_stays_in_the_outputs_folder(engine, clip, tmp_path):
    outputs = engine.config.outputs_dir
    state = engine.config.state_dir
    before = listing(state.parent)
    with EngineClient(engine.tcp_target, token=engine.running.token) as remote:
        for escaping in ("../x.mov", "a/../../x.mov", "../outputs2/x.mov", f"../{state.name}/jobs.mov"):
            error = refused(remote, edit(clip, escaping))
            assert error.code == grpc.StatusCode.INVALID_ARGUMENT and error.field == "edit.output_path", escaping
            assert "outputs folder" in error.message
        job = remote.run_edit(edit(clip, "sub/../inside.mov"))
    assert job.state == engine_pb2.JOB_STATE_SUCCEEDED, job.error
    assert [o.path for o in job.result.outputs] == [str(outputs.resolve() / "inside.mov")]
    after = listing(state.parent)
    new = sorted(set(after) - set(before))
    assert all(name.startswith(f"{state.name}/") for name in new), new  # nothing landed beside the state folder
