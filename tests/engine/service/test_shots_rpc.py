"""FindShots and ProposeShotMasks through the real gRPC service; the edit is SubmitEdit with op "shots"."""

from __future__ import annotations

import pytest

from retakes.engine.client import EngineError
from retakes.v1 import engine_pb2
from tests.support.shots_media import REFERENCE_FRAME, write_shots_clip


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return write_shots_clip(tmp_path_factory.mktemp("shots-rpc"))


def test_find_propose_and_submit(engine, clip, tmp_path):
    plan_path = str(tmp_path / "plan.json")
    with engine.client() as client:
        plan = client.find_shots(engine_pb2.FindShotsRequest(
            source=engine_pb2.MediaRef(path=str(clip.folder)), plan_path=plan_path))
        assert [(b.frame, b.kind) for b in plan.boundaries] == [(10, "cut"), (20, "cut")]
        assert [(s.frames.start, s.frames.end) for s in plan.shots] == [(0, 10), (10, 20), (20, 30)]
        plan = client.propose_shot_masks(engine_pb2.ProposeShotMasksRequest(
            plan_path=plan_path, mask=engine_pb2.MediaRef(path=str(clip.mask)), mask_frame=REFERENCE_FRAME))
        assert [s.status for s in plan.shots] == ["reference", "proposed", "proposed"]
        assert all(s.method == "features" and s.score > 0.5 and s.mask_path for s in plan.shots[1:])
        edit = engine_pb2.EditRequest(source=engine_pb2.MediaRef(path=str(clip.folder)), op="shots",
                                      output_path=str(tmp_path / "out.mkv"))
        edit.params["plan"].text_value = plan_path
        edit.params["hue"].number_value = 90
        job = client.wait(client.submit(edit).id)
        # only the reference shot is applied until the editor accepts the others
        assert job.state == engine_pb2.JOB_STATE_SUCCEEDED, job.error
        assert any("left as they are" in n and "1 (proposed)" in n for n in job.result.notes)


def test_errors_name_the_field(engine, clip, tmp_path):
    with engine.client() as client:
        with pytest.raises(EngineError) as error:
            client.find_shots(engine_pb2.FindShotsRequest(source=engine_pb2.MediaRef(path=str(clip.folder))))
        assert error.value.field == "plan_path"
        with pytest.raises(EngineError) as error:
            client.find_shots(engine_pb2.FindShotsRequest(source=engine_pb2.MediaRef(path=str(tmp_path / "nosuch")),
                                                          plan_path=str(tmp_path / "p.json")))
        assert error.value.field == "source"
        with pytest.raises(EngineError) as error:
            client.propose_shot_masks(engine_pb2.ProposeShotMasksRequest(plan_path=str(tmp_path / "none.json")))
        assert error.value.field == "plan_path"
