"""Remote use: resumable uploads keyed by sha256, edits of uploaded media, result download."""

from __future__ import annotations

import hashlib
import os
from fractions import Fraction

import grpc
import pytest

from retakes.engine.client import EngineClient, EngineError
from retakes.engine.media.synthetic import write_index_clip
from retakes.engine.timecode import FrameRate
from retakes.v1 import engine_pb2, engine_pb2_grpc


def remote(engine) -> EngineClient:
    return EngineClient(engine.tcp_target, token=engine.running.token)


def test_upload_resumes_from_the_committed_offset(engine, tmp_path):
    data = os.urandom(3 * (1 << 20) + 123)
    path = tmp_path / "plate.bin.mov"
    path.write_bytes(data)
    key = hashlib.sha256(data).hexdigest()
    channel = grpc.insecure_channel(engine.tcp_target)
    stub = engine_pb2_grpc.EngineServiceStub(channel)
    auth = (("authorization", f"Bearer {engine.running.token}"),)
    # A first attempt that sends one chunk and then breaks off.
    first = engine_pb2.UploadChunk(sha256=key, file_name=path.name, total_size=len(data), offset=0,
                                   data=data[: 1 << 20])
    status = stub.UploadMedia(iter([first]), metadata=auth)
    assert status.committed_bytes == 1 << 20 and not status.complete
    # A chunk at the wrong offset is refused and says where to resume.
    with pytest.raises(grpc.RpcError) as info:
        stub.UploadMedia(iter([engine_pb2.UploadChunk(sha256=key, offset=5, data=b"x")]), metadata=auth)
    assert info.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    channel.close()
    with remote(engine) as client:
        assert client.upload(path) == key  # sends only the rest
    assert engine.running.engine.uploads.status(key).complete
    stored = engine.running.engine.uploads.path_of(key, field="source")
    assert stored.read_bytes() == data and stored.suffix == ".mov"


def test_upload_with_a_wrong_checksum_is_refused_and_discarded(engine, tmp_path):
    data = b"not what the checksum says" * 100
    wrong = hashlib.sha256(b"something else").hexdigest()
    channel = grpc.insecure_channel(engine.tcp_target)
    stub = engine_pb2_grpc.EngineServiceStub(channel)
    chunk = engine_pb2.UploadChunk(sha256=wrong, file_name="a.mov", total_size=len(data), offset=0, data=data)
    with pytest.raises(grpc.RpcError) as info:
        stub.UploadMedia(iter([chunk]), metadata=(("authorization", f"Bearer {engine.running.token}"),))
    channel.close()
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    from retakes.engine.service.status import field_of

    assert field_of(info.value) == "sha256"
    state = engine.running.engine.uploads.status(wrong)
    assert state.committed_bytes == 0 and not state.complete


def test_edit_of_uploaded_media_then_download(engine, tmp_path):
    clip = tmp_path / "clip.mov"
    write_index_clip(clip, frames=20, rate=FrameRate(Fraction(24)), size=(128, 72), codec="prores_422hq",
                     start_timecode="01:00:00:00", audio=False)
    with remote(engine) as client:
        key = client.upload(clip)
        request = engine_pb2.EditRequest(source=engine_pb2.MediaRef(upload_sha256=key), output_path="graded.mov",
                                         op="relight")
        request.params["exposure"].number_value = -0.5
        job = client.run_edit(request)
        assert job.state == engine_pb2.JOB_STATE_SUCCEEDED, job.error
        local = client.download(job.id, tmp_path / "graded.mov")
        with pytest.raises(EngineError) as info:
            client.download(job.id, tmp_path / "x", path="/etc/passwd")
    assert info.value.field == "path"
    assert hashlib.sha256(local.read_bytes()).hexdigest() == job.result.outputs[0].sha256
