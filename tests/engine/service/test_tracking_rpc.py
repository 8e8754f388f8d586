"""Tracking through the real gRPC service: JobResult.tracking, its notes, and masks on several frames (key_masks)."""

from __future__ import annotations

import cv2
import pytest

from retakes.engine.client import EngineError
from retakes.engine.vision.scenes import make_scene, with_pole
from retakes.v1 import engine_pb2


@pytest.fixture(scope="module")
def shot(tmp_path_factory):
    root = tmp_path_factory.mktemp("pole")
    scene = with_pole(make_scene(192, 144, 24, seed=0, speed=(2.5, 0.5)), x0=200, speed=-9, width=30)
    (root / "shot").mkdir()
    for i, frame in enumerate(scene.frames):
        cv2.imwrite(str(root / "shot" / f"{i:04d}.png"), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    for i in (0, 20):
        cv2.imwrite(str(root / f"mask{i}.png"), scene.masks[i])
    return root


def track(shot, out, *more_masks: int) -> engine_pb2.EditRequest:
    request = engine_pb2.EditRequest(source=engine_pb2.MediaRef(path=str(shot / "shot")), output_path=str(out),
                                     op="track", mask=engine_pb2.MediaRef(path=str(shot / "mask0.png")), mask_frame=0)
    for k in more_masks:
        request.key_masks.add(frame=k, mask=engine_pb2.MediaRef(path=str(shot / f"mask{k}.png")))
    return request


def test_the_result_carries_the_confidence_and_the_lost_frames(engine, shot, tmp_path):
    with engine.client() as client:
        lone = client.wait(client.submit(track(shot, tmp_path / "lone")).id)
        both = client.wait(client.submit(track(shot, tmp_path / "both", 20)).id)
    assert lone.state == both.state == engine_pb2.JOB_STATE_SUCCEEDED, (lone.error, both.error)
    tracking = lone.result.tracking
    assert tracking.start_frame == 0 and len(tracking.confidence) == 24
    (lost,) = tracking.lost
    assert 12 <= lost.start <= 15 and lost.end == 24
    assert all(c < 0.3 for c in tracking.confidence[lost.start:]) and min(tracking.confidence[:10]) > 0.9
    assert any(f"{lost.start}:24" in note for note in lone.result.notes)
    recovered = both.result.tracking
    assert recovered.confidence[20] == 1.0 and min(recovered.confidence[14:]) > 0.5
    assert not [r for r in recovered.lost if r.end > 15]


def test_a_key_mask_outside_the_range_is_refused_naming_it(engine, shot, tmp_path):
    request = track(shot, tmp_path / "never", 20)
    request.range.frames.start, request.range.frames.end = 0, 12
    with engine.client() as client, pytest.raises(EngineError) as err:
        client.submit(request)
    assert err.value.field.endswith("key_masks[0].frame"), err.value.field
    assert not (tmp_path / "never").exists()
