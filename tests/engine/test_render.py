"""The renderer: chunks rendered in parallel give the same bytes; failures stop every stage."""

from __future__ import annotations

import threading
from fractions import Fraction
from pathlib import Path

import pytest

from retakes.engine.errors import Cancelled
from retakes.engine.media.synthetic import write_index_clip
from retakes.engine.pipeline import BackgroundConsumer, prefetch
from retakes.engine.plan import plan_edit
from retakes.engine.render import chunk_size, contiguous_spans, render_plan
from retakes.engine.timecode import FrameRate
from retakes.v1 import engine_pb2


class Hooks:
    def __init__(self, cancel_after: int | None = None) -> None:
        self.recorded: dict[int, str] = {}
        self.reports: list[tuple[str, int, int]] = []
        self.cancel_after = cancel_after
        self._lock = threading.Lock()

    def report(self, stage, done, total):
        with self._lock:
            self.reports.append((stage, done, total))

    def check_cancelled(self):
        if self.cancel_after is not None and sum(1 for s, *_ in self.reports if s == "render") > self.cancel_after:
            raise Cancelled("cancelled by the test")

    def record_chunk(self, index, path, sha256, frames):
        with self._lock:
            self.recorded[index] = sha256

    def finished_chunks(self):
        return dict(self.recorded)


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("render") / "clip.mov"
    write_index_clip(path, frames=40, rate=FrameRate(Fraction(25)), size=(192, 108), codec="prores_422hq",
                     start_timecode="01:00:00:00", audio=True)
    return path


def plan(clip: Path, out: Path):
    request = engine_pb2.EditRequest(source=engine_pb2.MediaRef(path=str(clip)), output_path=str(out), op="relight")
    request.params["look"].text_value = "overcast"
    return plan_edit(request)


@pytest.mark.parametrize("ext", [".mov", ".mkv"])
def test_parallel_chunks_give_the_same_bytes_as_one_worker(clip, tmp_path, ext):
    serial, parallel = tmp_path / f"serial{ext}", tmp_path / f"parallel{ext}"
    render_plan(plan(clip, serial), tmp_path / "w1", Hooks(), chunk_frames=6, workers=1)
    hooks = Hooks()
    render_plan(plan(clip, parallel), tmp_path / "w3", hooks, chunk_frames=6, workers=3)
    assert serial.read_bytes() == parallel.read_bytes()
    assert sorted(hooks.recorded) == list(range(8))  # 8 chunks of 5 frames: no worker idles in the last round
    assert max(done for stage, done, _ in hooks.reports if stage == "render") == 40


@pytest.mark.parametrize(("total", "most", "workers", "expected"), [
    (300, 48, 4, 38),  # 8 chunks: two full rounds of four, instead of 7 of 48 (the last of 12 frames)
    (120, 48, 4, 30),  # every worker busy, instead of three chunks of 48, 48 and 24
    (40, 6, 3, 5),
    (300, 48, 1, 48),  # one worker: the plain cut
    (3, 48, 4, 1),  # fewer frames than workers: a frame a chunk
])
def test_chunks_come_in_rounds_that_keep_every_worker_busy(total, most, workers, expected):
    size = chunk_size(total, most, workers)
    assert size == expected
    assert size <= most  # what a restarted engine may redo is still bounded by the setting


def test_spans_are_contiguous_in_order_and_about_equal():
    todo = [(i, range(i * 38, min(i * 38 + 38, 300)), f"seg{i}") for i in range(8)]
    spans = contiguous_spans(todo, 4)
    assert [item for span in spans for item in span] == todo
    assert [[i for i, _, _ in span] for span in spans] == [[0, 1], [2, 3], [4, 5], [6, 7]]
    assert contiguous_spans(todo[:3], 4) == [[todo[0]], [todo[1]], [todo[2]]]


def test_a_job_resumed_by_an_engine_with_other_workers_cuts_its_range_as_the_first_attempt_did(clip, tmp_path):
    whole = tmp_path / "whole.mov"
    render_plan(plan(clip, whole), tmp_path / "w0", Hooks(), chunk_frames=6, workers=1)
    out = tmp_path / "resumed.mov"
    first = Hooks(cancel_after=12)
    with pytest.raises(Cancelled):  # the first attempt: 3 workers, chunks of 5
        render_plan(plan(clip, out), tmp_path / "w", first, chunk_frames=6, workers=3)
    assert first.recorded, "the test needs some chunks finished before the interruption"
    again = Hooks()
    again.recorded = dict(first.recorded)
    render_plan(plan(clip, out), tmp_path / "w", again, chunk_frames=6, workers=1)  # one worker would cut by 6
    assert out.read_bytes() == whole.read_bytes()
    assert max(again.recorded) == 7  # the first attempt's 8 chunks of 5, not 7 of 6


def test_a_cancel_in_parallel_rendering_stops_and_publishes_nothing(clip, tmp_path):
    out = tmp_path / "never.mov"
    hooks = Hooks(cancel_after=10)
    with pytest.raises(Cancelled):
        render_plan(plan(clip, out), tmp_path / "w", hooks, chunk_frames=6, workers=3)
    assert not out.exists()
    rendered = max(done for stage, done, _ in hooks.reports if stage == "render")
    assert rendered < 40


def test_prefetch_passes_items_in_order_and_reraises_the_producers_error():
    assert list(prefetch(iter(range(50)), depth=3)) == list(range(50))

    def broken():
        yield 1
        raise OSError("disk gone")

    seen = []
    with pytest.raises(OSError, match="disk gone"):
        for item in prefetch(broken()):
            seen.append(item)
    assert seen == [1]


def test_background_consumer_reraises_the_consumers_error_on_close():
    done = []

    def consume(x):
        if x == 3:
            raise ValueError("bad frame")
        done.append(x)

    consumer = BackgroundConsumer(consume, depth=2)
    for i in range(6):
        try:
            consumer.put(i)
        except ValueError:
            break
    with pytest.raises(ValueError, match="bad frame"):
        consumer.close()
    assert done == [0, 1, 2]
