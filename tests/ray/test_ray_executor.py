"""Jobs through a real engine whose executor is Ray (a local Ray of 2 CPUs): the same bytes as
the local executor, retries, cancel, restart, and clear refusals (issue 19)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from retakes.engine.jobs.ray_settings import RaySettings
from retakes.engine.media.synthetic import write_index_clip
from retakes.v1 import engine_pb2
from tests.support.engines import running_engine

CHUNK = 8
FRAMES = 32


@pytest.fixture(scope="module")
def media(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("media")
    clip = write_index_clip(root / "clip.mov", frames=FRAMES, rate=24, size=(64, 48), codec="prores_422hq",
                            audio=True)
    mask = np.zeros((48, 64), np.uint8)
    cv2.circle(mask, (32, 24), 12, 255, -1)
    cv2.imwrite(str(root / "key.png"), mask)
    return {"clip": clip, "mask": root / "key.png"}


def relight(source: Path, out: Path, codec: str = "") -> engine_pb2.EditRequest:
    request = engine_pb2.EditRequest(source=engine_pb2.MediaRef(path=str(source)), output_path=str(out),
                                     op="relight", codec=codec)
    request.params["look"].text_value = "golden-hour"
    return request


def recolor_tracked(media: dict[str, Path], out: Path) -> engine_pb2.EditRequest:
    """A keyframe mask tracked through the clip: the analysis the chunks share."""
    request = engine_pb2.EditRequest(source=engine_pb2.MediaRef(path=str(media["clip"])), output_path=str(out),
                                     op="recolor", codec="ffv1")
    request.mask.path = str(media["mask"])
    request.params["hue"].float_value = 120.0
    return request


def run(state: Path, request: engine_pb2.EditRequest, **config) -> engine_pb2.Job:
    with running_engine(state, chunk_frames=CHUNK, **config) as engine, engine.client() as client:
        return client.run_edit(request)


def out_name(codec: str) -> str:
    return {"png": "frames", "ffv1": "out.mkv", "dnxhr_hqx": "out.mxf"}.get(codec, "out.mov")


def tree_bytes(path: Path) -> list[tuple[str, bytes]]:
    if path.is_dir():
        return [(p.name, p.read_bytes()) for p in sorted(path.iterdir())]
    return [(path.name, path.read_bytes())]


@pytest.mark.parametrize("codec", ["ffv1", "prores_422hq", "prores_4444", "dnxhr_hqx", "png"])
@pytest.mark.parametrize("media_mode", ["shared", "object-store"])
def test_intra_frame_codecs_are_byte_identical_to_the_local_executor(local_ray, media, short_tmp, codec,
                                                                       media_mode):
    local = run(short_tmp / "local", relight(media["clip"], short_tmp / "local" / out_name(codec), codec))
    ray_job = run(short_tmp / "ray", relight(media["clip"], short_tmp / "ray" / out_name(codec), codec),
                  executor="ray", ray=RaySettings(media=media_mode))
    assert local.state == engine_pb2.JOB_STATE_SUCCEEDED, local.error
    assert ray_job.state == engine_pb2.JOB_STATE_SUCCEEDED, ray_job.error
    assert tree_bytes(Path(ray_job.result.outputs[0].path)) == tree_bytes(Path(local.result.outputs[0].path))
    assert ray_job.result.outputs[0].sha256 == local.result.outputs[0].sha256
