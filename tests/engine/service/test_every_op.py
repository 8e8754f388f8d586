"""Every op, through the real gRPC service: on a video file and on an image sequence, at
854x480 and at 1920x1080, as a job and as a one-frame preview; and DESIGN's invariant 1
through the whole engine: outside the op's (feathered, dilated) region, an FFV1 output is
bit-identical to the decoded source."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
import pytest

from retakes.engine.media import FrameReader, probe
from retakes.engine.media.synthetic import DemoScene
from retakes.engine.timecode import FrameRange, FrameRate
from retakes.v1 import engine_pb2

FRAMES = 5
RATE = Fraction(24000, 1001)
# Far beyond any op's feather, dilation or matte band at these sizes.
MARGIN = 40

# op -> (params, uses a mask, uses an edited keyframe, which pixels must stay: "outside" the mask or "inside" it)
OPS = {
    "relight": ({"look": "golden-hour", "feather": 6.0}, True, False, "outside"),
    "recolor": ({"hue": 120.0}, True, False, "outside"),
    "restyle": ({"style": "bleach-bypass", "feather": 4.0}, True, False, "outside"),
    "background": ({"plate": "PLATE"}, True, False, "inside"),
    "track": ({}, True, False, None),
    # propagate tracks the keyframe's mask itself: its region is wherever the object goes.
    "propagate": ({}, True, True, "outside-path"),
    "remove": ({}, True, False, "outside"),
}


def media(root: Path, width: int, height: int) -> dict[str, Path]:
    root.mkdir(parents=True, exist_ok=True)
    scene = DemoScene(width=width, height=height, frames=FRAMES, rate=RATE)
    video = root / "shot.mov"
    scene.write(video, codec="prores_422hq", start_timecode="01:00:00:00")
    sequence = root / "shot_frames"
    sequence.mkdir()
    masks = scene.write_masks(root / "masks")
    for i in range(FRAMES):
        cv2.imwrite(str(sequence / f"frame_{i + 100:04d}.png"), cv2.cvtColor(scene.frame(i), cv2.COLOR_RGB2BGR))
    edited = scene.frame(0).copy()
    inside = scene.mask(0) > 127
    edited[inside] = edited[inside][:, [2, 0, 1]]  # the editor's colour change on the object
    keyframe = root / "key.png"
    cv2.imwrite(str(keyframe), cv2.cvtColor(edited, cv2.COLOR_RGB2BGR))
    plate = root / "plate.png"
    cv2.imwrite(str(plate), np.full((height // 2, width // 2, 3), (40, 90, 160), np.uint8))
    return {"video": video, "sequence": sequence, "masks": masks, "keyframe": keyframe, "plate": plate}


@pytest.fixture(scope="module")
def sd(tmp_path_factory):
    return media(tmp_path_factory.mktemp("sd"), 854, 480)


@pytest.fixture(scope="module")
def hd(tmp_path_factory):
    return media(tmp_path_factory.mktemp("hd"), 1920, 1080)


def request(files: dict[str, Path], op: str, source: str, out: Path) -> engine_pb2.EditRequest:
    params, masked, keyed, _ = OPS[op]
    r = engine_pb2.EditRequest(source=engine_pb2.MediaRef(path=str(files[source])), output_path=str(out), op=op)
    if source == "sequence":
        r.sequence_rate, r.sequence_start_timecode = "24000/1001", "01:00:00:00"
    for name, value in params.items():
        if value == "PLATE":
            r.params[name].text_value = str(files["plate"])
        elif isinstance(value, str):
            r.params[name].text_value = value
        else:
            r.params[name].number_value = value
    if masked:
        r.mask.path = str(files["masks"])
    if keyed:
        r.keyframes.add(frame=0, edited=engine_pb2.MediaRef(path=str(files["keyframe"])))
    return r


def decoded(path: Path) -> list[np.ndarray]:
    info = probe(path, sequence_rate=FrameRate(RATE))
    with FrameReader(info) as reader:
        return [f for _, f in reader.frames(FrameRange(0, info.frame_count))]


def kept_region(files, index: int, where: str, shape) -> np.ndarray:
    paths = sorted(files["masks"].iterdir())
    picked = paths if where == "outside-path" else [paths[index]]
    mask = np.logical_or.reduce([cv2.imread(str(p), cv2.IMREAD_GRAYSCALE) > 127 for p in picked])
    kernel = np.ones((2 * MARGIN + 1, 2 * MARGIN + 1), np.uint8)
    if where.startswith("outside"):
        return cv2.dilate(mask.astype(np.uint8), kernel) == 0
    return cv2.erode(mask.astype(np.uint8), kernel) == 1


@pytest.mark.parametrize("source", ["video", "sequence"])
@pytest.mark.parametrize("op", sorted(OPS))
def test_every_op_as_a_job_and_a_preview_at_854x480(engine, sd, tmp_path, op, source):
    out = tmp_path / "out.mkv"
    with engine.client() as client:
        job = client.run_edit(request(sd, op, source, out))
        assert job.state == engine_pb2.JOB_STATE_SUCCEEDED, job.error
        preview = client.preview(request(sd, op, source, Path("")), 2)
    assert (preview.width, preview.height) == (854, 480) and preview.image
    before, after = decoded(sd[source]), decoded(out)
    assert len(after) == FRAMES and after[0].shape == before[0].shape
    assert any(not np.array_equal(a, b) for a, b in zip(before, after, strict=True)), f"{op} changed nothing"
    where = OPS[op][3]
    if where is None:  # track writes the masks themselves
        return
    for i, (a, b) in enumerate(zip(before, after, strict=True)):
        keep = kept_region(sd, i, where, a.shape)
        assert keep.any()
        np.testing.assert_array_equal(a[keep], b[keep], err_msg=f"{op}: frame {i} changed outside its region")


@pytest.mark.parametrize("op", sorted(OPS))
def test_every_op_at_1920x1080(engine, hd, tmp_path, op):
    out = tmp_path / "out.mov"
    with engine.client() as client:
        preview = client.preview(request(hd, op, "video", Path("")), 1)
        r = request(hd, op, "video", out)
        r.range.frames.start, r.range.frames.end = 0, 3
        job = client.run_edit(r)
    assert (preview.width, preview.height) == (1920, 1080)
    assert job.state == engine_pb2.JOB_STATE_SUCCEEDED, job.error
    assert probe(out).frame_count == 3 and probe(out).width == 1920
