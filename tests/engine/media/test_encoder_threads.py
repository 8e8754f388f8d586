"""ProRes and DNxHR encode on every core: the bytes must not depend on the thread count,
or a resumed or parallel render would not be byte-identical to a plain one."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import pytest

from retakes.engine.media import resolve_codec
from retakes.engine.media.encode import add_video_stream, encode_rgb
from retakes.engine.media.probe import ColorTags
from retakes.engine.media.synthetic import DemoScene
from retakes.engine.timecode import FrameRate


def encode(path: Path, codec: str, threads: int | None) -> bytes:
    scene = DemoScene(width=256, height=144, frames=6, rate=Fraction(25))
    spec = resolve_codec(path, codec)
    with av.open(str(path), "w", format="mov", options={"fflags": "+bitexact"}) as container:
        stream = add_video_stream(container, spec, 256, 144, FrameRate(Fraction(25)), 8, ColorTags())
        if threads is not None:
            stream.thread_type, stream.thread_count = "SLICE", threads
        for i in range(6):
            for packet in encode_rgb(stream, scene.frame(i), i):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path.read_bytes()


@pytest.mark.parametrize("codec", ["prores_422hq", "prores_4444", "dnxhr_hqx"])
def test_threaded_encode_is_byte_identical_to_one_thread(tmp_path, codec):
    threaded = encode(tmp_path / "auto.mov", codec, None)
    single = encode(tmp_path / "one.mov", codec, 1)
    assert threaded == single
