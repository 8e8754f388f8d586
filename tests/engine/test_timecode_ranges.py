"""`--range` given as timecodes: drop-frame reading and refusals in the user's own terms."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from retakes.engine.errors import InvalidArgument
from retakes.engine.media.synthetic import write_index_clip
from retakes.engine.plan import plan_edit
from retakes.engine.timecode import FrameRange, FrameRate, Timebase, parse_range
from retakes.v1 import engine_pb2

NTSC = FrameRate(Fraction(30000, 1001))


def test_colon_timecode_on_drop_frame_media_is_read_as_drop_frame():
    # 00:59:59;28 is frame 0; 01:00:00;00 is frame 2. Read as non-drop, ':' landed 108 frames later.
    tb = Timebase.from_start_timecode(NTSC, "00:59:59;28")
    assert tb.drop_frame
    assert parse_range("01:00:00:02-01:00:00:04", tb) == FrameRange(4, 6)
    assert parse_range("01:00:00;02-01:00:00;04", tb) == FrameRange(4, 6)
    # across a dropped minute: 01:01:00;02 follows 01:00:59;29 directly
    assert parse_range("01:00:59:29-01:01:00:02", tb) == FrameRange(1801, 1802)


def test_colon_timecode_naming_a_dropped_number_is_refused_on_drop_frame_media():
    tb = Timebase.from_start_timecode(NTSC, "00:59:59;28")
    with pytest.raises(InvalidArgument, match="skips") as err:
        parse_range("01:01:00:00-01:01:00:04", tb)
    assert err.value.field == "range"


def test_non_drop_media_reads_colon_as_non_drop():
    tb = Timebase.from_start_timecode(NTSC, "01:00:00:00")
    assert not tb.drop_frame
    assert parse_range("01:01:00:00-01:01:00:02", tb) == FrameRange(1800, 1802)


def test_reversed_timecode_range_is_refused_in_timecodes():
    tb = Timebase.from_start_timecode(FrameRate(Fraction(25)), "01:00:00:00")
    with pytest.raises(InvalidArgument) as err:
        parse_range("01:00:00:10-01:00:00:04", tb)
    assert err.value.field == "range" and "01:00:00:10-01:00:00:04" in err.value.message


@pytest.fixture(scope="module")
def clip_25(tmp_path_factory) -> Path:
    return write_index_clip(tmp_path_factory.mktemp("tc") / "c.mkv", frames=50, rate=25, size=(64, 48),
                            start_timecode="01:00:00:00", audio=False)


def _request(clip: Path, start: str, end: str) -> engine_pb2.EditRequest:
    return engine_pb2.EditRequest(
        source=engine_pb2.MediaRef(path=str(clip)), op="relight", output_path=str(clip.parent / "o.mov"),
        range=engine_pb2.RangeSpec(timecodes=engine_pb2.TimecodeRange(start=start, end=end)),
        params={"exposure": engine_pb2.ParamValue(number_value=0.2)},
    )


def test_timecode_range_outside_the_media_is_refused_in_timecodes(clip_25):
    with pytest.raises(InvalidArgument) as err:
        plan_edit(_request(clip_25, "00:00:00:00", "00:00:00:10"))
    assert err.value.field == "range"
    message = err.value.message
    assert "00:00:00:00-00:00:00:10" in message, message  # the range as given
    assert "01:00:00:00-01:00:02:00" in message, message  # the media's span, end exclusive
    assert "-86400" not in message


def test_timecode_range_running_past_the_end_is_refused_in_timecodes(clip_25):
    with pytest.raises(InvalidArgument) as err:
        plan_edit(_request(clip_25, "01:00:01:00", "01:00:02:01"))
    assert "01:00:01:00-01:00:02:01" in err.value.message and "01:00:00:00-01:00:02:00" in err.value.message


def test_timecode_range_inside_the_media_plans(clip_25):
    assert plan_edit(_request(clip_25, "01:00:01:00", "01:00:02:00")).frame_range == FrameRange(25, 50)
