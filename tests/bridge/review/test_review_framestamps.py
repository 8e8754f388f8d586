"""Comments whose `timestamp` comes back as Frame.io v4's integer, and ones that can't be read.

v4 documents the integer `timestamp` as "the framestamp the comment is left on (starting
from 1)" (Migration guide, research/service.md 2.5): 1 is the file's first frame, whatever
its timecode. retakes asks for timecodes, but the SDK types the field `str | int` and checks
nothing, so an integer must land on its exact 0-based frame, and anything else must show up
as a skipped comment in words, not pass for a general note with no frame.
"""

from __future__ import annotations

import pytest

from retakes.bridge.review.frameio_api import read_timestamp
from retakes.bridge.review.handoff import NotesPath, Pusher, pull_version
from retakes.bridge.review.upload import PartUploader
from tests.support.review_versions import make_versions


def _push(api, store, ledger, fake):
    Pusher(
        api, store, ledger, project_id=fake.state.project_id, uploader=PartUploader(backoff_s=0.01), poll_s=0.01
    ).push_clip("shot010")
    return ledger.remote("ver-1").file_id


@pytest.mark.parametrize(
    ("stamp", "read"),
    [
        (None, (None, None, None)),  # a general note on the file
        ("01:00:00:05", ("01:00:00:05", None, None)),
        (1, (None, 1, None)),
        (51, (None, 51, None)),
        (51.0, (None, 51, None)),  # JSON 51.0 is the number 51
    ],
)
def test_timestamp_forms(stamp, read) -> None:
    assert read_timestamp(stamp) == read


@pytest.mark.parametrize("stamp", [0, -3, 12.5, True, "", "  ", {"frame": 3}, [1]])
def test_unreadable_timestamps_are_problems(stamp) -> None:
    timecode, framestamp, problem = read_timestamp(stamp)
    assert timecode is None and framestamp is None and problem and "timestamp" in problem


def test_the_fake_lists_framestamps_from_one_unless_asked_for_timecodes(api, fake, ledger, tmp_path) -> None:
    store = make_versions(tmp_path, 1, rate="25", start_tc="10:00:00:00", frames=100)
    file_id = _push(api, store, ledger, fake)
    fake.state.add_comment(file_id, "first frame", "10:00:00:00", framestamp=1)
    fake.state.add_comment(file_id, "general", None)
    sdk = api._client.comments
    plain = [c.timestamp for c in sdk.index(fake.state.account_id, file_id)]
    as_tc = [c.timestamp for c in sdk.index(fake.state.account_id, file_id, timestamp_as_timecode=True)]
    assert plain == [1, None] and as_tc == ["10:00:00:00", None]
    fake.state.add_comment(file_id, "timecode only", "10:00:00:03")  # the fake makes up no framestamp
    with pytest.raises(Exception, match="no framestamp given"):  # one page: the SDK drops a failed later page
        list(sdk.index(fake.state.account_id, file_id, page_size=10))


def test_integer_timestamps_land_on_exact_frames(api, fake, ledger, tmp_path, timeline) -> None:
    # 25 fps from 10:00:00:00, the item trimmed by 10 frames at its head.
    store = make_versions(tmp_path, 1, rate="25", start_tc="10:00:00:00", frames=100)
    item = timeline.place("item-v1", track=2, start=0, duration=90, left_offset=10)
    file_id = _push(api, store, ledger, fake)
    fake.state.add_comment(file_id, "as timecode", "10:00:03:00")  # media frame 75
    fake.state.add_comment(file_id, "as framestamp", None, framestamp=51, duration=4)  # media frame 50
    fake.state.add_comment(file_id, "last frame", None, framestamp=100)
    fake.state.add_comment(file_id, "general", None)

    result = pull_version(api, NotesPath(store, ledger, timeline), store.version("ver-1"))

    assert result.notes == 3 and result.skipped == [] and not result.markers.skipped
    notes = {n.text: n for n in ledger.notes("ver-1")}
    assert (notes["as framestamp"].frame, notes["as framestamp"].duration) == (50, 4)
    assert notes["as timecode"].frame == 75 and notes["last frame"].frame == 99
    by_note = {m["note"]: f for f, m in item.GetMarkers().items()}
    assert by_note == {"as timecode": 65.0, "as framestamp": 40.0, "last frame": 89.0}


def test_integer_timestamps_on_drop_frame_media_are_whole_frames(api, fake, ledger, tmp_path, timeline) -> None:
    # 29.97 DF from 01:00:00;00: framestamp n is frame n - 1, no seconds and no rounding on the way.
    store = make_versions(tmp_path, 1, rate="30000/1001", start_tc="01:00:00;00", frames=20000)
    timeline.place("item-v1", track=2, start=0, duration=20000)
    file_id = _push(api, store, ledger, fake)
    fake.state.add_comment(file_id, "ten minutes", "01:10:00;00")  # 10*1800 - 9*2 = 17982
    fake.state.add_comment(file_id, "ten minutes, integer", None, framestamp=17983)
    pull_version(api, NotesPath(store, ledger, timeline), store.version("ver-1"))
    assert {n.text: n.frame for n in ledger.notes("ver-1")} == {"ten minutes": 17982, "ten minutes, integer": 17982}


def test_unreadable_or_outside_timestamps_are_listed_not_dropped(api, fake, ledger, tmp_path, timeline) -> None:
    store = make_versions(tmp_path, 1, rate="25", frames=100)
    timeline.place("item-v1", track=2, start=0, duration=100)
    file_id = _push(api, store, ledger, fake)
    bad = {
        fake.state.add_comment(file_id, "fractional", None, raw_timestamp=12.5): "12.5",
        fake.state.add_comment(file_id, "object", None, raw_timestamp={"frame": 3}): "{'frame': 3}",
        fake.state.add_comment(file_id, "zero", None, framestamp=0): "framestamps start at 1",
        fake.state.add_comment(file_id, "past the end", None, framestamp=101): "outside v001's 100 frames",
        fake.state.add_comment(file_id, "not a timecode", None, raw_timestamp="soon"): "soon",
    }
    fake.state.add_comment(file_id, "general", None)
    fake.state.add_comment(file_id, "fine", None, framestamp=2)

    result = pull_version(api, NotesPath(store, ledger, timeline), store.version("ver-1"))

    assert result.notes == 1 and [n.frame for n in ledger.notes("ver-1")] == [1]
    assert len(result.skipped) == len(bad)  # each one named, with why; the general note is no problem
    for cid, why in bad.items():
        assert any(s.startswith(f"comment {cid}:") and why in s for s in result.skipped), (why, result.skipped)
