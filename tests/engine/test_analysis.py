"""Streaming analysis: frames render while a temporal op's analysis is still walking the clip."""

from __future__ import annotations

import dataclasses
import threading
import time
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
import pytest

from retakes.engine.analysis import BackgroundAnalysis
from retakes.engine.errors import Cancelled
from retakes.engine.media.synthetic import DemoScene
from retakes.engine.ops.base import EditContext, Op, OpSpec
from retakes.engine.plan import plan_edit
from retakes.engine.render import render_plan
from retakes.v1 import engine_pb2

from .test_render import Hooks


@pytest.fixture(scope="module")
def shot(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("analysis")
    scene = DemoScene(width=256, height=144, frames=30, rate=Fraction(24000, 1001))
    video = root / "shot.mov"
    scene.write(video, codec="prores_422hq", start_timecode="01:00:00:00")
    edited = scene.frame(0).copy()
    inside = scene.mask(0) > 127
    edited[inside] = edited[inside][:, [2, 0, 1]]
    key = root / "key.png"
    cv2.imwrite(str(key), cv2.cvtColor(edited, cv2.COLOR_RGB2BGR))
    mask = root / "mask0.png"
    cv2.imwrite(str(mask), scene.mask(0))
    return {"video": video, "key": key, "mask": mask}


def propagate_plan(shot: dict[str, Path], out: Path):
    request = engine_pb2.EditRequest(
        source=engine_pb2.MediaRef(path=str(shot["video"])), output_path=str(out), op="propagate"
    )
    request.keyframes.add(frame=0, edited=engine_pb2.MediaRef(path=str(shot["key"])))
    return plan_edit(request)


def track_plan(shot: dict[str, Path], out: Path):
    """`retakes track`: the output's frames are the tracked masks, each encoded once it is tracked."""
    request = engine_pb2.EditRequest(source=engine_pb2.MediaRef(path=str(shot["video"])), output_path=str(out),
                                     op="track", mask=engine_pb2.MediaRef(path=str(shot["mask"])), mask_frame=0)
    request.params["backend"].text_value = "classical"
    return plan_edit(request)


@pytest.mark.parametrize("plan", [propagate_plan, track_plan], ids=["propagate", "track"])
@pytest.mark.parametrize("workers", [1, 3])
def test_streamed_analysis_gives_the_bytes_of_analysing_first(shot, tmp_path, monkeypatch, workers, plan):
    streamed = tmp_path / "streamed.mkv"
    hooks = Hooks()
    result = render_plan(plan(shot, streamed), tmp_path / "w1", hooks, chunk_frames=6, workers=workers)
    assert "wait for analysis" in result.stage_seconds  # it did stream
    # the timing line tells the analysis's own time from the time its thread ran
    assert 0 < result.stage_seconds["analysis on a CPU"] <= result.stage_seconds["analysis"] * 1.05 + 0.01
    first = tmp_path / "first.mkv"
    # no streaming: the whole analysis first (prepare), then the render
    monkeypatch.setattr(BackgroundAnalysis, "start", classmethod(lambda cls, op, ctx: None))
    render_plan(plan(shot, first), tmp_path / "w2", Hooks(), chunk_frames=6, workers=workers)
    assert streamed.read_bytes() == first.read_bytes()
    assert max(done for stage, done, _ in hooks.reports if stage == "render") == 30


class SlowAnalysis(Op):
    """Analyses one frame every few ms; rendering a frame not yet analysed is a bug it records.

    With `wait_for_render`, past frame 5 it waits (up to 10 s) for its own first render, so
    that a renderer which does overlap the analysis is seen doing so however slowly its
    decoder starts (one worker only: other workers render on other instances)."""

    spec = OpSpec(name="slow-analysis", summary="test op")
    fail_at: int | None = None
    wait_for_render = False

    def __init__(self) -> None:
        self.marks: set[int] = set()
        self.early: list[int] = []
        self.rendered_during_analysis = 0
        self.running = threading.Event()
        self.first_render = threading.Event()

    def start_analysis(self, ctx: EditContext):
        def run() -> None:
            self.running.set()
            for i in ctx.frame_range:
                ctx.check_cancelled()
                if i == self.fail_at:
                    raise ValueError("the analysis broke")
                time.sleep(0.004)
                self.marks.add(i)
                if i == 5 and self.wait_for_render:
                    self.first_render.wait(timeout=10)
            self.running.clear()

        return run

    def analysed(self, index: int) -> bool:
        return index in self.marks

    def render(self, index: int, frame: np.ndarray, ctx: EditContext) -> np.ndarray:
        if index not in self.marks:
            self.early.append(index)
        if self.running.is_set():
            self.rendered_during_analysis += 1
        self.first_render.set()
        return frame


def slow_plan(shot, out: Path, op: type[Op]):
    request = engine_pb2.EditRequest(
        source=engine_pb2.MediaRef(path=str(shot["video"])), output_path=str(out), op="relight"
    )
    return dataclasses.replace(plan_edit(request), op=op)


def test_no_frame_renders_before_its_analysis_and_rendering_overlaps_it(shot, tmp_path):
    instances: list[SlowAnalysis] = []

    class Recorded(SlowAnalysis):
        wait_for_render = True

        def __init__(self) -> None:
            super().__init__()
            instances.append(self)

    out = tmp_path / "out.mkv"
    render_plan(slow_plan(shot, out, Recorded), tmp_path / "w", Hooks(), chunk_frames=6, workers=1)
    assert out.exists()
    (op,) = instances
    assert op.early == []
    assert op.rendered_during_analysis > 0


def test_a_failing_analysis_fails_the_render_and_publishes_nothing(shot, tmp_path):
    class Failing(SlowAnalysis):
        fail_at = 17

    out = tmp_path / "out.mkv"
    with pytest.raises(ValueError, match="the analysis broke"):
        render_plan(slow_plan(shot, out, Failing), tmp_path / "w", Hooks(), chunk_frames=6, workers=3)
    assert not out.exists()


def test_a_cancel_while_waiting_for_the_analysis_stops_it_too(shot, tmp_path):
    class Endless(SlowAnalysis):
        def analysed(self, index: int) -> bool:
            return index < 8  # frame 8 never becomes ready

    out = tmp_path / "out.mkv"
    with pytest.raises(Cancelled):
        render_plan(slow_plan(shot, out, Endless), tmp_path / "w", Hooks(cancel_after=5), chunk_frames=6, workers=1)
    assert not out.exists()
    assert not any(t.name == "retakes-analysis" for t in threading.enumerate())
