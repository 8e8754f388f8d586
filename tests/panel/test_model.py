"""The model layer alone: masks, transport, prompt rules, op params, queue, compare, clip JSON."""

from __future__ import annotations

import numpy as np

from retakes.panel.model import clips, compare, prompt
from retakes.panel.model.edit import OpChoice, edit_request
from retakes.panel.model.mask import MaskDocument
from retakes.panel.model.queue import QueueEntry, RenderQueue
from retakes.panel.model.transport import Transport
from retakes.v1 import engine_pb2 as pb


def test_mask_brush_lasso_invert_feather_undo() -> None:
    m = MaskDocument(64, 32)
    m.brush = 8
    m.checkpoint()
    m.dab([(10, 10), (30, 10)])
    assert m.data[10, 20] == 255 and m.data[30, 60] == 0
    assert set(np.unique(m.data)) <= {0, 255}  # a hard edge; softness is the feather's job
    m.checkpoint()
    m.lasso([(40, 2), (60, 2), (60, 30)])
    assert m.data[5, 58] == 255
    m.feather = 4
    assert 0 < m.soft()[10, 5] < 255 or 0 < m.soft()[6, 20] < 255
    m.invert()
    assert m.data[10, 20] == 0
    assert m.undo() and m.data[10, 20] == 255
    assert m.grow_brush() == 12 and m.shrink_brush() == 8
    m.clear()
    assert m.empty


def test_transport_jkl_and_bounds() -> None:
    t = Transport()
    t.set_range(10, 20)
    assert (t.forward(), t.forward(), t.forward()) == (1, 2, 4)
    assert t.reverse() == -1 and t.reverse() == -2
    t.stop()
    t.seek(19)
    t.forward()
    assert t.tick() is False and t.frame == 19  # stops at the last frame
    assert t.step(-100) == 10


def test_prompt_wants_a_verb_and_one_change() -> None:
    assert prompt.check("make it blue").startswith("Start with an action verb")
    assert prompt.check("change the car to red") == ""
    assert "One change per prompt" in prompt.check("change the car to red and remove the sign")
    assert prompt.suggest_op("replace the background with a beach", ["background", "recolor"]) == "background"
    assert prompt.suggest_op("relight for golden hour", ["relight"]) == "relight"


def _recolor() -> pb.OpDescriptor:
    return pb.OpDescriptor(name="recolor", mask=pb.MASK_USE_REQUIRED, params=[
        pb.ParamSpec(name="color", type=pb.PARAM_TYPE_COLOR, exclusive_group="target"),
        pb.ParamSpec(name="hue", type=pb.PARAM_TYPE_NUMBER, exclusive_group="target"),
        pb.ParamSpec(name="strength", type=pb.PARAM_TYPE_NUMBER,
                     default_value=pb.ParamValue(number_value=1.0)),
    ])


def test_op_choice_sends_one_of_an_exclusive_group() -> None:
    choice = OpChoice(_recolor(), {"color": "#ff0000", "hue": 30.0, "strength": 0.5}, {"target": "color"})
    assert choice.problems(has_mask=True) == []
    assert set(choice.params()) == {"color", "strength"}
    assert "needs a mask" in choice.problems(has_mask=False)[0]
    empty = OpChoice(_recolor(), {"color": "", "strength": 1.0}, {"target": "color"})
    assert empty.problems(True) == ["set color or hue"]


def test_edit_request_is_the_clips_exact_range(demo_media) -> None:
    clip, info = clips.open_media(demo_media)
    request = edit_request(clip, "recolor", {}, output_path="/x/out.mov", mask_path="/x/m.png", mask_frame=3)
    assert (request.range.frames.start, request.range.frames.end) == (0, info.frame_count)
    assert request.mask_frame == 3 and request.source.path == str(demo_media)


def test_clip_json_round_trip(demo_media) -> None:
    clip, _ = clips.open_media(demo_media)
    assert clips.clip_from_json(clips.clip_to_json(clip)) == clip


def test_queue_survives_a_restart(tmp_path) -> None:
    q = RenderQueue(tmp_path / "queue.json")
    q.add(QueueEntry("j1", "A001", "recolor", state="running", frames_done=3, frames_total=24))
    q.save()
    again = RenderQueue.load(tmp_path / "queue.json")
    assert [e.job_id for e in again.unfinished()] == ["j1"]
    (tmp_path / "queue.json").write_text("{not json")
    assert RenderQueue.load(tmp_path / "queue.json").entries == []


def test_compare_modes() -> None:
    a = np.zeros((4, 8, 3), np.uint8)
    b = np.full((4, 8, 3), 200, np.uint8)
    assert compare.compose(a, b, "wipe", wipe=0.5)[0, 2, 0] == 0
    assert compare.compose(a, b, "wipe", wipe=0.5)[0, 6, 0] == 200
    assert compare.compose(a, b, "side").shape[1] > 16
    assert compare.compose(a, b, "toggle", show_b=False) is a
    assert compare.difference(a, a).max() == 0 and compare.difference(a, b)[0, 0, 0] == 255


def test_timeline_entries_from_an_exported_otio(tmp_path, demo_media) -> None:
    import opentimelineio as otio

    tl = otio.schema.Timeline(name="cut")
    tl.global_start_time = otio.opentime.RationalTime(86400, 24)
    track = otio.schema.Track(kind=otio.schema.TrackKind.Video)
    tl.tracks.append(track)
    ref = otio.schema.ExternalReference(target_url=demo_media.as_uri(), available_range=otio.opentime.TimeRange(
        otio.opentime.RationalTime(86400, 24), otio.opentime.RationalTime(24, 24)))
    track.append(otio.schema.Clip(name="ball", media_reference=ref, source_range=otio.opentime.TimeRange(
        otio.opentime.RationalTime(86404, 24), otio.opentime.RationalTime(10, 24))))
    path = tmp_path / "cut.otio"
    otio.adapters.write_to_file(tl, str(path))
    entries = clips.timeline_entries(path)
    assert len(entries) == 1 and entries[0].clip is not None
    assert (entries[0].clip.source_range.start, entries[0].clip.source_range.end) == (4, 14)


def test_concurrent_queue_saves_never_fail_and_leave_the_newest_snapshot(tmp_path) -> None:
    import json
    import threading

    path = tmp_path / "queue.json"
    snapshots = []
    for generation in range(1, 41):
        q = RenderQueue(path)
        q.add(QueueEntry(f"j{generation}", "A001", "relight"))
        snapshots.append((generation, q))
    errors: list[BaseException] = []

    def save(generation: int, q: RenderQueue) -> None:
        try:
            q.save(generation)
        except BaseException as exc:  # the old code raised FileNotFoundError on a shared temp name
            errors.append(exc)

    threads = [threading.Thread(target=save, args=s) for s in reversed(snapshots)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert json.loads(path.read_text())[0]["job_id"] == "j40"


def test_a_finished_job_keeps_the_engines_notes_for_the_queue() -> None:
    entry = QueueEntry("j1", "phone", "relight", state="running")
    job = pb.Job(id="j1", state=pb.JOB_STATE_SUCCEEDED)
    job.result.frames_written = 24
    job.result.notes.append("phone.mp4 is stamped off a constant rate")
    entry.apply(job)
    assert entry.state == "done" and entry.message == "phone.mp4 is stamped off a constant rate."
    job.result.ClearField("notes")
    entry.apply(job)
    assert entry.message == ""
