"""The prompt box, driven as an editor does: its words fill the op, and with weights they edit the frame.

The model is tests/learned/tiny.py's inpainting pipeline (real diffusers classes, random weights),
registered with `retakes models add` in the engine's home before the engine starts. These tests hold
the panel's part: the request it sends, progress, cancel, the variants it shows, the one picked
becoming the frame's edited keyframe and reaching Generate. They say nothing about how an edit looks.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest
from PySide6.QtCore import Qt

from retakes.engine.learned.lineage import read_lineage
from retakes.engine.media import FrameReader, probe
from retakes.panel.model import clips
from retakes.v1 import engine_pb2 as pb
from tests.support.learned import retakes
from tests.support.panel import Engine, connect, wait_loaded

from .test_end_to_end import paint

FRAME = 9


@pytest.fixture(scope="module")
def tiny_inpaint(tmp_path_factory) -> Path:
    from tests.learned.tiny import build_inpaint

    return build_inpaint(tmp_path_factory.mktemp("tiny") / "inpaint")


@pytest.fixture
def learned_engine(short_tmp, tiny_inpaint) -> Iterator[Engine]:
    import torch

    e = Engine(short_tmp)
    run = retakes("models", "add", "tiny-inpaint", str(tiny_inpaint), home=e.config.state_dir)
    assert run.returncode == 0, run.stderr
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # the engine runs in this process; two shared cores
    e.start()
    yield e
    e.stop()
    torch.set_num_threads(threads)


@pytest.fixture
def opened(qtbot, studio, demo_media):
    studio.load_clip(*clips.open_media(demo_media))
    wait_loaded(qtbot, studio)
    return studio


def _rgb(png: bytes | Path) -> np.ndarray:
    data = png.read_bytes() if isinstance(png, Path) else png
    return cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)[..., ::-1]


def _click_variant(qtbot, w, row: int) -> None:
    view = w.edit.variants
    rect = view.visualItemRect(view.item(row))
    qtbot.mouseClick(view.viewport(), Qt.LeftButton, pos=rect.center())


def test_prompt_edits_the_frame_and_the_picked_variant_drives_generate(qtbot, opened, learned_engine,
                                                                      monkeypatch) -> None:
    s, w = opened, opened.window
    e = w.edit
    connect(qtbot, s, learned_engine)
    # only an inpainting model: it needs a mask, and the panel says so before anything is sent
    s.seek(FRAME)
    qtbot.waitUntil(lambda: "paint a mask on this frame" in e.model_state.text(), timeout=5000)
    assert not e.edit_from_prompt.isEnabled() and "tiny-inpaint" in e.model_state.text()
    paint(qtbot, w.viewer, 0.35, 0.35, 0.6, 0.6)
    qtbot.waitUntil(lambda: e.edit_from_prompt.isEnabled(), timeout=5000)
    assert e.model_state.text() == "Model: ready (tiny-inpaint)"

    events: list[pb.KeyframeEvent] = []
    requests: list[pb.KeyframeRequest] = []
    sent: list[pb.EditRequest] = []
    client = s.link.client
    real_keyframe, real_submit = client.edit_keyframe, client.submit

    def edit_keyframe(request):
        requests.append(request)
        call = real_keyframe(request)

        class Recorded:  # the real call, its events noted on the way to the panel
            def __iter__(self):
                for event in call:
                    events.append(event)
                    yield event

            def cancel(self):
                return call.cancel()
        return Recorded()
    monkeypatch.setattr(client, "edit_keyframe", edit_keyframe)
    monkeypatch.setattr(client, "submit", lambda request, *a, **k: (sent.append(request), real_submit(request))[1])

    qtbot.keyClicks(e.prompt, "change the ball to blue")
    # cancel first: a long edit stops between two denoising steps, and shows nothing
    e.steps.setValue(200)
    qtbot.mouseClick(e.edit_from_prompt, Qt.LeftButton)
    qtbot.waitUntil(lambda: any(ev.progress.step >= 1 for ev in events), timeout=60000)
    # the event reaches the bar through the GUI thread's queue: wait for the bar, not just the event
    qtbot.waitUntil(lambda: e.prompt_progress.isVisible() and "step" in e.prompt_progress.format(), timeout=10000)
    qtbot.mouseClick(e.prompt_cancel, Qt.LeftButton)
    qtbot.waitUntil(lambda: s.prompt.running is None, timeout=30000)
    assert "cancelled" in w.statusBar().currentMessage()
    assert e.variants.count() == 0 and not any(ev.WhichOneof("kind") == "variant" for ev in events)
    assert max(ev.progress.step for ev in events) < 200 and e.edit_from_prompt.isEnabled()

    events.clear()
    e.variant_count.setValue(2)
    e.seed.setValue(5)
    e.steps.setValue(2)
    progress_seen: list[int] = []
    e.prompt_progress.valueChanged.connect(progress_seen.append)
    qtbot.mouseClick(e.edit_from_prompt, Qt.LeftButton)
    qtbot.waitUntil(lambda: s.prompt.running is None and e.variants.count() == 2, timeout=60000)
    request = requests[-1]
    assert (request.frame, request.prompt, request.variants, request.seed, request.steps) == (
        FRAME, "change the ball to blue", 2, 5, 2)
    assert request.source.path == s.session.clip.media_path and request.mask.path  # the painted mask went
    mask = cv2.imread(request.mask.path, cv2.IMREAD_GRAYSCALE)
    assert mask.shape == (s.session.info.height, s.session.info.width)
    assert np.array_equal(mask >= 128, s.session.masks[FRAME].soft() >= 128)
    steps = [(ev.progress.variant, ev.progress.step) for ev in events if ev.WhichOneof("kind") == "progress"
             and ev.progress.stage == "edit"]
    assert {(0, 1), (0, 2), (1, 1), (1, 2)} <= set(steps)
    assert len(set(progress_seen)) >= 3  # the bar moved with the steps, not only at the end
    variants = {ev.variant.index: ev.variant for ev in events if ev.WhichOneof("kind") == "variant"}
    assert sorted(variants) == [0, 1] and variants[1].seed == 6
    assert not e.prompt_progress.isVisible() and e.variants.isVisible()
    assert all(not e.variants.item(i).icon().isNull() for i in (0, 1))  # thumbnails, not bare numbers

    s.seek(3)  # the variants belong to the frame they were made from, wherever the playhead is
    _click_variant(qtbot, w, 1)
    qtbot.waitUntil(lambda: FRAME in s.session.edited, timeout=5000)
    keyframe = Path(s.session.edited[FRAME])
    picked = _rgb(variants[1].png)
    assert np.array_equal(_rgb(keyframe), picked)  # the keyframe is exactly variant 2, at its depth
    assert not np.array_equal(picked, _rgb(variants[0].png))
    assert read_lineage(keyframe.read_bytes())["seed"] == 6
    assert s.session.frame == FRAME and w.edit.edited.count() == 1 and FRAME in w.scrubber.edited
    assert "Variant 2" in s.history.stack.undoText()
    s.undo()  # the pick is one step back
    assert FRAME not in s.session.edited
    s.redo()
    assert s.session.edited[FRAME] == str(keyframe)

    assert e.ops.select("propagate")
    qtbot.waitUntil(lambda: e.generate.isEnabled(), timeout=5000)
    qtbot.mouseClick(e.generate, Qt.LeftButton)
    qtbot.waitUntil(lambda: len(s.jobs.queue.entries) == 1, timeout=10000)
    entry = s.jobs.queue.entries[0]
    qtbot.waitUntil(lambda: entry.state in ("done", "failed"), timeout=60000)
    assert entry.state == "done", entry.message
    qtbot.waitUntil(lambda: entry.recorded and s.tasks.busy == 0, timeout=10000)  # in the versions table
    assert [(k.frame, k.edited.path) for k in sent[-1].keyframes] == [(FRAME, str(keyframe))]
    assert entry.params["keyframes"] == [FRAME]
    with FrameReader(probe(entry.output_path)) as reader:
        rendered = reader.frame(FRAME)
    with FrameReader(probe(s.session.clip.media_path)) as reader:
        source = reader.frame(FRAME)
    changed = np.abs(picked.astype(int) - source.astype(int)).max(axis=2) > 0
    assert changed.any()
    # the render moved from the source towards the picked variant where the variant changed the frame
    assert np.abs(rendered[changed].astype(int) - picked[changed]).mean() < \
        np.abs(source[changed].astype(int) - picked[changed]).mean()


def test_without_weights_the_action_says_which_command_provides_them(qtbot, opened, engine) -> None:
    s, e = opened, opened.window.edit
    connect(qtbot, s, engine)
    paint(qtbot, s.window.viewer, 0.35, 0.35, 0.6, 0.6)
    qtbot.waitUntil(lambda: "needs weights" in e.model_state.text(), timeout=5000)
    caps = {b.backend: b.state for b in s.link.capabilities.learned if b.op == "keyframe"}
    text = " ".join(e.model_state.text().split())
    assert caps["instruct"] in text  # the engine's own words, not the panel's guess
    assert "needs weights: retakes models pull" in text and "retakes models add NAME PATH" in text
    assert not e.edit_from_prompt.isEnabled() and "needs weights" in e.edit_from_prompt.toolTip()
    qtbot.keyClicks(e.prompt, "change the ball to blue")
    assert not e.edit_from_prompt.isEnabled()  # words alone do not make weights appear


def test_the_prompt_fills_the_ops_controls_as_one_step(qtbot, opened, engine) -> None:
    s, e = opened, opened.window.edit
    connect(qtbot, s, engine)
    assert e.ops.select("relight")
    before = e.ops.state()
    qtbot.keyClicks(e.prompt, "change the dog to blue")
    assert e.ops.picker.currentText() == "recolor"
    assert e.ops.choice().values["color"] == "#0000FF" and e.ops.choice().chosen["target"] == "color"
    assert e.prompt_hint.text() == "→ recolor: set color #0000FF"
    s.undo()  # one step: the prompt, the op and its colour go back together
    assert e.prompt.text() == "" and e.ops.state() == before
    s.redo()
    assert e.prompt.text() == "change the dog to blue" and e.ops.choice().values["color"] == "#0000FF"

    e.prompt.clear()
    qtbot.keyClicks(e.prompt, "relight for golden hour")
    assert e.ops.picker.currentText() == "relight" and e.ops.choice().values["look"] == "golden-hour"
    assert "look golden-hour" in e.prompt_hint.text()
    e.prompt.clear()
    qtbot.keyClicks(e.prompt, "relight it and then restyle")  # two changes: a hint, nothing filled
    assert e.prompt_hint.text().startswith("One change per prompt")
