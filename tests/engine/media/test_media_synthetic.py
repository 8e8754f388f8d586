"""The generated media the tests and the demo stand on."""

from __future__ import annotations

import numpy as np

from retakes.engine.media import FrameReader, probe, read_audio
from retakes.engine.media.synthetic import DemoScene, index_frame, read_burnt_index, tone
from retakes.engine.timecode import FrameRange


def test_burnt_index_survives_every_value_and_16_bits():
    for i in (0, 1, 0x5555, 0xAAAA, 65535):
        assert read_burnt_index(index_frame(i, (160, 96))) == i
        assert read_burnt_index(index_frame(i, (160, 96), bit_depth=16)) == i


def test_demo_scene_is_deterministic_and_its_mask_is_the_object(tmp_path):
    a, b = DemoScene(160, 96, frames=30, rate=24), DemoScene(160, 96, frames=30, rate=24)
    assert np.array_equal(a.frame(11), b.frame(11))
    assert not np.array_equal(a.frame(11), a.frame(12))  # things move
    m = a.mask(11)
    assert m.dtype == np.uint8 and set(np.unique(m)) == {0, 255}
    inside, outside = a.frame(11)[m == 255], a.frame(11)[m == 0]
    # The object is the red ball: red dominates inside the mask, not outside.
    assert (inside[:, 0].astype(int) - inside[:, 2]).mean() > 40
    assert abs(outside[:, 0].astype(int) - outside[:, 2]).mean() < 40


def test_demo_scene_writes_a_clip_with_timecode_and_masks(tmp_path):
    scene = DemoScene(160, 96, frames=24, rate="24000/1001")
    info = probe(scene.write(tmp_path / "demo.mkv", start_timecode="00:10:00:00"))
    assert info.frame_count == 24 and info.start_timecode == "00:10:00:00"
    with FrameReader(info) as r:
        assert np.array_equal(r.frame(5), scene.frame(5))  # FFV1: lossless
    masks = sorted(scene.write_masks(tmp_path / "masks").iterdir())
    assert len(masks) == 24
    audio = read_audio(info, FrameRange(3, 5))
    assert np.array_equal(audio.samples, tone(3 * 2002, 2 * 2002))
