"""Frame.io comments at known timecodes become markers at exactly the right frames, once."""

from __future__ import annotations

from dataclasses import replace

import pytest

from retakes.bridge.review.handoff import NotesPath, Pusher, pull_clip, pull_version
from retakes.bridge.review.notes import frame_of_timecode
from retakes.bridge.review.upload import PartUploader
from tests.support.review_versions import make_versions


def _push_all(api, store, ledger, fake):
    Pusher(
        api,
        store,
        ledger,
        project_id=fake.state.project_id,
        uploader=PartUploader(backoff_s=0.01),
        poll_s=0.01,
    ).push_clip("shot010")


def test_drop_frame_comments_land_on_exact_frames(api, fake, ledger, tmp_path, timeline):
    # 29.97 drop-frame media starting at 01:00:00;00 (absolute frame 107892).
    store = make_versions(tmp_path, 1, rate="30000/1001", start_tc="01:00:00;00", frames=20000)
    item = timeline.place("item-v1", track=2, start=0, duration=20000)
    _push_all(api, store, ledger, fake)
    file_id = ledger.remote("ver-1").file_id
    fake.state.add_comment(file_id, "10 s in", "01:00:10;00")  # 300 frames
    # Drop-frame skips labels ;00 and ;01 each minute but not each tenth: the count runs on.
    fake.state.add_comment(file_id, "past two minutes", "01:02:00;02", duration=15)  # 2*1800 - 2
    fake.state.add_comment(file_id, "ten minutes", "01:10:00;00")  # 10*1800 - 9*2
    fake.state.add_comment(file_id, "first frame", "01:00:00;00")

    result = pull_version(api, NotesPath(store, ledger, timeline), store.version("ver-1"))

    assert result.notes == 4 and not result.markers.skipped
    by_note = {m["note"]: (f, m) for f, m in item.GetMarkers().items()}
    assert by_note["10 s in"][0] == 300.0
    assert by_note["past two minutes"][0] == 3598.0 and by_note["past two minutes"][1]["duration"] == 15
    assert by_note["ten minutes"][0] == 17982.0
    assert by_note["first frame"][0] == 0.0
    assert all(m["customData"].startswith("retakes-note:frameio:") for _, m in by_note.values())


def test_pulling_twice_changes_nothing(api, fake, ledger, tmp_path, timeline):
    store = make_versions(tmp_path, 2, rate="24000/1001", frames=100)
    items = [timeline.place(f"item-v{i}", track=i + 1, start=0, duration=100) for i in (1, 2)]
    _push_all(api, store, ledger, fake)
    fake.state.add_comment(ledger.remote("ver-2").file_id, "sky edge flickers", "00:00:01:00", duration=8)
    fake.state.set_status(ledger.remote("ver-2").file_id, "Approved")
    path = NotesPath(store, ledger, timeline)

    first = pull_clip(api, path, "shot010")
    snapshot = [dict(i.GetMarkers()) for i in items]
    second = pull_clip(api, path, "shot010")

    assert first["v002"].markers.added and not second["v002"].markers.added
    assert second["v002"].markers.present == first["v002"].markers.added
    assert [dict(i.GetMarkers()) for i in items] == snapshot
    assert list(items[1].GetMarkers()) == [24.0]  # 00:00:01:00 at 23.976 NDF = frame 24
    assert items[0].GetMarkers() == {}
    assert store.version("ver-2").status == "approved" and len(ledger.notes("ver-2")) == 1


def test_marker_frame_follows_left_offset(api, fake, ledger, tmp_path, timeline):
    store = make_versions(tmp_path, 1, rate="25", start_tc="10:00:00:00", frames=100)
    item = timeline.place("item-v1", track=2, start=0, duration=90, left_offset=10)
    _push_all(api, store, ledger, fake)
    fake.state.add_comment(ledger.remote("ver-1").file_id, "here", "10:00:02:00")  # media frame 50
    fake.state.add_comment(ledger.remote("ver-1").file_id, "trimmed away", "10:00:00:05")  # frame 5 < offset
    result = pull_version(api, NotesPath(store, ledger, timeline), store.version("ver-1"))
    assert list(item.GetMarkers()) == [40.0]
    assert len(result.markers.skipped) == 1


def test_zero_based_frameio_clock_and_out_of_range():
    from fractions import Fraction

    from retakes.bridge.review.versions import ReviewVersion
    from retakes.engine.timecode import FrameRate

    v = ReviewVersion(
        "v",
        "c",
        1,
        media_path=None,
        rate=FrameRate(Fraction(24)),
        frame_count=48,
        start_timecode="01:00:00:00",
    )
    assert frame_of_timecode("01:00:01:12", v) == 36
    assert frame_of_timecode("00:00:01:12", v) == 36  # a file Frame.io clocks from zero
    with pytest.raises(ValueError):
        frame_of_timecode("01:00:02:00", v)  # frame 48 of 48
    with pytest.raises(ValueError):
        frame_of_timecode("00:00:00;00", replace(v, start_timecode=None))  # drop-frame at 24 fps


def _df_version(**kw):
    from fractions import Fraction

    from retakes.bridge.review.versions import ReviewVersion
    from retakes.engine.timecode import FrameRate

    fields = dict(rate=FrameRate(Fraction(30000, 1001)), frame_count=4000, start_timecode="00:00:00;00")
    fields.update(kw)
    return ReviewVersion("v", "c", 1, media_path=None, **fields)


def test_colon_comment_on_drop_frame_media_reads_as_drop_frame():
    # 29.97 DF: 00:01:00;02 is frame 1800 (labels ;00 and ;01 are skipped at the minute).
    # Read as non-drop, 00:01:00:02 would be 1802: Frame.io and many tools write ':' for DF.
    v = _df_version()  # DF by its own start timecode, as the version store writes it
    assert frame_of_timecode("00:01:00;02", v) == 1800
    assert frame_of_timecode("00:01:00:02", v) == 1800
    assert frame_of_timecode("00:00:59:29", v) == 1799
    with pytest.raises(ValueError):  # a label drop-frame skips, whatever the separator
        frame_of_timecode("00:01:00:00", v)


def test_explicit_drop_frame_flag_when_the_start_timecode_says_nothing():
    # No media timecode (zero-based clock), or one written with ':': the flag decides.
    assert frame_of_timecode("00:01:00:02", _df_version(start_timecode=None, drop_frame=True)) == 1800
    v = _df_version(start_timecode="01:00:00:00", drop_frame=True)
    assert v.timebase.start_frame == 107892 and v.timebase.drop_frame
    assert frame_of_timecode("01:01:00:02", v) == 1800
    assert v.timebase.timecode_of(1800) == "01:01:00;02"
    # 29.97 non-drop media: ':' stays non-drop, ';' is still drop-frame.
    ndf = _df_version(start_timecode=None)
    assert frame_of_timecode("00:01:00:02", ndf) == 1802
    assert frame_of_timecode("00:01:00;02", ndf) == 1800


def test_colon_frameio_comment_on_drop_frame_media_marks_the_right_frame(api, fake, ledger, tmp_path, timeline):
    store = make_versions(tmp_path, 1, rate="30000/1001", start_tc="01:00:00;00", frames=4000)
    item = timeline.place("item-v1", track=2, start=0, duration=4000)
    _push_all(api, store, ledger, fake)
    fake.state.add_comment(ledger.remote("ver-1").file_id, "colon DF", "01:01:00:02")
    result = pull_version(api, NotesPath(store, ledger, timeline), store.version("ver-1"))
    assert result.notes == 1 and not result.skipped and not result.markers.skipped
    assert list(item.GetMarkers()) == [1800.0]
