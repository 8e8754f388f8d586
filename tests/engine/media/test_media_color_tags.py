"""Colour tags travel with the picture: an HDR phone clip must not come back tagged Rec.709."""

from __future__ import annotations

import av
import pytest
from test_media_output import encode_range

from retakes.engine.media import probe
from retakes.engine.media.probe import ColorTags
from retakes.engine.media.synthetic import index_frame, write_clip
from retakes.engine.timecode import FrameRange

HLG = ColorTags(primaries="bt2020", transfer="arib-std-b67", matrix="bt2020nc", range="tv")  # iPhone HDR
PQ = ColorTags(primaries="bt2020", transfer="smpte2084", matrix="bt2020nc", range="tv")  # HDR10


@pytest.fixture(scope="module")
def hdr_sources(tmp_path_factory) -> dict[str, object]:
    root = tmp_path_factory.mktemp("hdr")
    return {
        name: write_clip(
            root / f"{name}.mov",
            lambda i: index_frame(i, (256, 144), bit_depth=10),
            frames=6,
            rate=25,
            codec="prores_422hq",
            color=tags,
            audio=False,
        )
        for name, tags in (("hlg", HLG), ("pq", PQ))
    }


@pytest.mark.parametrize("source", ["hlg", "pq"])
@pytest.mark.parametrize(
    ("out_name", "codec"),
    [("o.mov", "prores_422hq"), ("o.mov", "prores_4444"), ("o.mxf", "dnxhr_hqx"), ("o.mp4", "h264"), ("o.mkv", None)],
)
def test_an_hdr_sources_tags_are_kept_by_every_codec(hdr_sources, tmp_path, source, out_name, codec):
    out = encode_range(hdr_sources[source], FrameRange(1, 5), tmp_path / out_name, codec)
    want = HLG if source == "hlg" else PQ
    got = probe(out).color
    assert (got.primaries, got.transfer) == (want.primaries, want.transfer)
    if codec != "prores_4444" and out_name != "o.mkv":  # 4444 and FFV1 here are RGB: no matrix
        assert got.matrix == want.matrix


@pytest.mark.parametrize("codec", ["prores_422hq", "prores_4444"])
def test_prores_frame_headers_carry_the_tags_apples_decoders_read(hdr_sources, tmp_path, codec):
    """ProRes repeats the tags in every frame's header; 'unspecified' there, under HLG tags in
    the container, leaves a player to choose which to believe."""
    out = encode_range(hdr_sources["hlg"], FrameRange(0, 3), tmp_path / "o.mov", codec)
    with av.open(str(out)) as container:
        frame = next(container.decode(video=0))
    assert (frame.color_primaries, frame.color_trc) == (9, 18)  # BT.2020, ARIB STD-B67 (HLG)
