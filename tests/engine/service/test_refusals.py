"""Hostile and careless input through the real gRPC service: each refused with INVALID_ARGUMENT
naming its field, in a message a client can receive, with nothing written (issue 13, items 21,
24, 25). The property test beside this file (test_property_requests.py) throws generated values
at the same surface; these are the cases the issue names, each kept as a plain example."""

from __future__ import annotations

import os
import threading
import time
from fractions import Fraction
from pathlib import Path

import cv2
import grpc
import numpy as np
import pytest

from retakes.engine.client import EngineError
from retakes.engine.media.synthetic import write_index_clip, write_index_sequence
from retakes.engine.service.status import field_of
from retakes.engine.timecode import FrameRate
from retakes.v1 import engine_pb2, engine_pb2_grpc

RATE = FrameRate(Fraction(25))
MEGABYTE = "x" * (1 << 20)


@pytest.fixture
def clip(tmp_path) -> Path:
    return write_index_clip(tmp_path / "src.mov", frames=10, rate=RATE, size=(64, 48), codec="prores_422hq",
                            audio=False)


@pytest.fixture
def mask(tmp_path) -> Path:
    m = np.zeros((48, 64), np.uint8)
    m[10:30, 20:40] = 255
    cv2.imwrite(str(tmp_path / "mask.png"), m)
    return tmp_path / "mask.png"


def edit(source: Path | str, output: Path | str, op: str = "relight", **params) -> engine_pb2.EditRequest:
    request = engine_pb2.EditRequest(source=engine_pb2.MediaRef(path=str(source)), output_path=str(output), op=op)
    for name, value in params.items():
        if isinstance(value, str):
            request.params[name].text_value = value
        elif isinstance(value, int):
            request.params[name].int_value = value
        else:
            request.params[name].number_value = value
    return request


def submit_refused(engine, request: engine_pb2.EditRequest, watched: Path) -> grpc.RpcError:
    """Submits over a raw stub (the status exactly as any gRPC client gets it); asserts nothing
    was queued or written in `watched`."""
    before = sorted(str(p) for p in watched.rglob("*"))
    with grpc.insecure_channel(engine.unix_target) as channel:
        stub = engine_pb2_grpc.EngineServiceStub(channel)
        with pytest.raises(grpc.RpcError) as info:
            stub.SubmitEdit(engine_pb2.SubmitEditRequest(edit=request), timeout=20)
        assert not stub.ListJobs(engine_pb2.ListJobsRequest(), timeout=20).jobs
    assert sorted(str(p) for p in watched.rglob("*")) == before
    return info.value


def assert_clear(error: grpc.RpcError, field: str) -> None:
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, (error.code(), error.details()[:300])
    assert field_of(error) == field
    assert len(error.details()) < 2000 and "Traceback" not in error.details()


# ------------------------------------------------------------------ item 21: NaN and the infinities


def _numeric_params(engine) -> list[tuple[engine_pb2.OpDescriptor, str]]:
    """Every op's every number and integer parameter, as the engine publishes them."""
    with engine.client() as client:
        ops = client.capabilities().ops
    return [(op, p.name) for op in ops for p in op.params
            if p.type in (engine_pb2.PARAM_TYPE_NUMBER, engine_pb2.PARAM_TYPE_INTEGER)]


def _required(op: engine_pb2.OpDescriptor, request: engine_pb2.EditRequest, source: Path) -> None:
    """Valid values for the op's required parameters, so the one under test is what is refused."""
    for p in op.params:
        if p.required:
            request.params[p.name].text_value = p.choices[0] if p.choices else str(source)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")], ids=["nan", "inf", "-inf"])
def test_a_non_finite_number_is_refused_for_every_numeric_parameter(engine, clip, mask, tmp_path, value):
    numeric = _numeric_params(engine)
    assert ("relight", "temperature") in [(op.name, name) for op, name in numeric]  # the issue's own case
    for op, name in numeric:
        request = edit(clip, tmp_path / "o.mov", op=op.name)
        _required(op, request, clip)
        request.params[name].number_value = value
        error = submit_refused(engine, request, tmp_path)
        assert_clear(error, f"edit.params.{name}")
        # a preview is planned the same way
        with engine.client() as client, pytest.raises(EngineError) as preview:
            client.preview(request, 0)
        assert preview.value.code == grpc.StatusCode.INVALID_ARGUMENT and preview.value.field == f"edit.params.{name}"


@pytest.mark.parametrize("text", ["nan", "inf", "-Infinity", "1e999"])
def test_a_non_finite_number_spelled_as_text_is_refused(engine, clip, tmp_path, text):
    error = submit_refused(engine, edit(clip, tmp_path / "o.mov", temperature=text), tmp_path)
    assert_clear(error, "edit.params.temperature")


@pytest.mark.parametrize("value", ["9" * 30, 2**40, -(2**40)])
def test_an_integer_outside_32_bits_is_refused(engine, clip, mask, tmp_path, value):
    error = submit_refused(engine, edit(clip, tmp_path / "o.mov", op="remove", grow=value), tmp_path)
    assert_clear(error, "edit.params.grow")


# ------------------------------------------------------------------ item 24: what is echoed, and INTERNAL errors


@pytest.mark.parametrize("field", ["op", "codec", "device", "look", "color", "param name"])
def test_a_megabyte_value_is_refused_in_a_message_a_client_can_receive(engine, clip, tmp_path, field):
    request = edit(clip, tmp_path / "o.mov")
    expected = f"edit.{field}"
    if field in ("op", "codec", "device"):
        setattr(request, field, MEGABYTE)
    elif field == "look":
        request.params["look"].text_value = MEGABYTE
        expected = "edit.params.look"
    elif field == "color":
        request.op = "recolor"
        request.mask.path = str(tmp_path / "unused.png")
        request.params["color"].text_value = MEGABYTE
        expected = "edit.params.color"
    else:
        request.params[MEGABYTE].number_value = 1.0
        expected = None
    error = submit_refused(engine, request, tmp_path)
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, (error.code(), error.details()[:200])
    if expected is not None:
        assert field_of(error) == expected
    else:
        assert field_of(error).startswith("edit.params.xxx") and len(field_of(error)) < 200
    assert len(error.details()) < 2000 and "1048576 characters" in error.details()


def test_megabyte_job_ids_and_keys_are_refused_in_a_short_message(engine):
    with grpc.insecure_channel(engine.unix_target) as channel:
        stub = engine_pb2_grpc.EngineServiceStub(channel)
        calls = [
            lambda: stub.GetJob(engine_pb2.GetJobRequest(job_id=MEGABYTE), timeout=20),
            lambda: stub.CancelJob(engine_pb2.CancelJobRequest(job_id=MEGABYTE), timeout=20),
            lambda: list(stub.WatchJob(engine_pb2.WatchJobRequest(job_id=MEGABYTE), timeout=20)),
            lambda: list(stub.DownloadResult(engine_pb2.DownloadResultRequest(job_id=MEGABYTE), timeout=20)),
            lambda: stub.GetUploadStatus(engine_pb2.GetUploadStatusRequest(sha256=MEGABYTE), timeout=20),
        ]
        for call in calls:
            with pytest.raises(grpc.RpcError) as info:
                call()
            assert info.value.code() in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT), \
                (info.value.code(), info.value.details()[:200])
            assert len(info.value.details()) < 2000


def test_a_unicode_megabyte_is_cut_to_what_grpc_metadata_holds(engine, clip, tmp_path):
    request = edit(clip, tmp_path / "o.mov")
    request.op = "\u96fb" * (1 << 18)  # 3 bytes each in UTF-8, 9 once percent-encoded in grpc-message
    error = submit_refused(engine, request, tmp_path)
    assert_clear(error, "edit.op")


def test_an_output_name_too_long_for_the_filesystem_is_refused_up_front(engine, clip, tmp_path):
    for name in ("n" * 300 + ".mov", "n" * 250 + ".mov"):  # the second fits, its hidden temp name would not
        error = submit_refused(engine, edit(clip, tmp_path / name), tmp_path)
        assert_clear(error, "edit.output_path")
        assert "bytes" in error.details()


@pytest.mark.parametrize("where", ["source", "output_path", "mask", "plate", "edited", "sequence folder"])
def test_a_nul_in_any_path_is_refused_naming_it(engine, clip, mask, tmp_path, where):
    nul = f"{tmp_path}/a\0b.mov"
    request, field = edit(clip, tmp_path / "o.mov"), f"edit.{where}"
    if where == "source":
        request.source.path = nul
    elif where == "output_path":
        request.output_path = nul
    elif where == "mask":
        request.op = "recolor"
        request.mask.path = nul
        request.params["hue"].number_value = 10.0
    elif where == "plate":
        request = edit(clip, tmp_path / "o.mov", op="background", plate=nul)
        request.mask.path = str(mask)
        field = "edit.params.plate"
    elif where == "edited":
        request.op = "propagate"
        request.keyframes.add(frame=0, edited=engine_pb2.MediaRef(path=nul))
        field = "edit.keyframes[0].edited"
    else:
        request.source.path = f"{tmp_path}/seq\0"
        field = "edit.source"
    assert_clear(submit_refused(engine, request, tmp_path), field)


def test_an_unknown_job_state_is_refused_naming_states(engine):
    with grpc.insecure_channel(engine.unix_target) as channel:
        stub = engine_pb2_grpc.EngineServiceStub(channel)
        for states in ([99], [0], [engine_pb2.JOB_STATE_RUNNING, -5]):
            with pytest.raises(grpc.RpcError) as info:
                stub.ListJobs(engine_pb2.ListJobsRequest(states=states), timeout=20)
            assert_clear(info.value, "states")


@pytest.mark.parametrize("rate", ["1e308", "1/1e9", "100000", "1e-308", "0.0001"])
def test_an_absurd_sequence_rate_is_refused(engine, tmp_path, rate):
    seq = write_index_sequence(tmp_path / "seq", frames=3, size=(64, 48))
    request = edit(seq, tmp_path / "o.mov")
    request.sequence_rate = rate
    assert_clear(submit_refused(engine, request, tmp_path), "edit.sequence_rate")


def test_a_home_of_no_user_is_refused(engine, clip, tmp_path):
    error = submit_refused(engine, edit(clip, "~no_such_user_here/o.mov"), tmp_path)
    assert_clear(error, "edit.output_path")


# ------------------------------------------------------------------ item 25: files that block whoever opens them


@pytest.fixture
def fifo(tmp_path):
    path = tmp_path / "pipe.mov"
    os.mkfifo(path)
    yield path
    # A reader the code under test left blocked in open() (it must not have opened it at all)
    # gets an end of file here, so that a failing test does not hang the run.
    for _ in range(64):
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
        except OSError:  # ENXIO: no reader is waiting
            break


def test_fifo_sources_are_refused_at_once_and_the_engine_keeps_serving(engine, clip, fifo, tmp_path):
    """More FIFO submissions than the engine has worker threads: every one is refused within
    its deadline, and a real edit still runs after them."""
    errors: list[grpc.RpcError] = []

    def submit() -> None:
        with grpc.insecure_channel(engine.unix_target) as channel:
            stub = engine_pb2_grpc.EngineServiceStub(channel)
            try:
                stub.SubmitEdit(engine_pb2.SubmitEditRequest(edit=edit(fifo, tmp_path / "o.mov")), timeout=15)
            except grpc.RpcError as error:
                errors.append(error)

    threads = [threading.Thread(target=submit) for _ in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(errors) == 40
    for error in errors:
        assert_clear(error, "edit.source")
        assert "FIFO" in error.details()
    started = time.monotonic()
    with engine.client() as client:
        job = client.run_edit(edit(clip, tmp_path / "after.mkv"))
    assert job.state == engine_pb2.JOB_STATE_SUCCEEDED and time.monotonic() - started < 60


@pytest.mark.parametrize("where", ["mask", "plate", "edited", "inside a sequence", "inside a mask folder"])
def test_a_fifo_anywhere_an_input_is_read_is_refused(engine, clip, mask, fifo, tmp_path, where):
    request = edit(clip, tmp_path / "o.mov", op="recolor", hue=30.0)
    if where == "mask":
        request.mask.path, field = str(fifo), "edit.mask"
    elif where == "plate":
        request = edit(clip, tmp_path / "o.mov", op="background", plate=str(fifo))
        request.mask.path, field = str(mask), "edit.params.plate"
    elif where == "edited":
        request = edit(clip, tmp_path / "o.mov", op="propagate")
        request.keyframes.add(frame=0, edited=engine_pb2.MediaRef(path=str(fifo)))
        field = "edit.keyframes[0].edited"
    elif where == "inside a sequence":
        seq = write_index_sequence(tmp_path / "seq", frames=3, size=(64, 48))
        os.mkfifo(seq / "frame_0004.png")
        request.source.path, field = str(seq), "edit.source"
        request.mask.path = str(mask)
    else:
        folder = tmp_path / "masks"
        folder.mkdir()
        for i in range(9):
            cv2.imwrite(str(folder / f"{i:05d}.png"), cv2.imread(str(mask)))
        os.mkfifo(folder / "00009.png")
        request.mask.path, field = str(folder), "edit.mask"
    assert_clear(submit_refused(engine, request, tmp_path), field)


def test_a_fifo_or_device_as_the_output_is_refused_even_with_overwrite(engine, clip, fifo, tmp_path):
    for output in (fifo, Path("/dev/null")):
        request = edit(clip, output)
        request.overwrite = True
        assert_clear(submit_refused(engine, request, tmp_path), "edit.output_path")
