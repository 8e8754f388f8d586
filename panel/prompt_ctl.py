"""The prompt box: its words fill the op's controls, and (with weights) edit the frame through a model.

Without a model, the words are read classically (engine/prompts.py `parse`): "change the dog to blue"
picks recolor and sets its colour, "golden hour" picks relight's look, as one undoable step, and the
hint says what was set. With a keyframe model ready in the engine, "Edit frame from prompt" sends the
frame, the prompt and the painted mask through EditKeyframe (a stream, followed on the long pool, with
per-step progress and cancel); the variants come back as thumbnails, and the one the editor clicks
becomes the frame's edited keyframe, the same state "Load edited frame…" sets, so ops that use
keyframes (propagate) carry it through the clip.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import QListWidgetItem

from retakes.engine.client import EngineError
from retakes.v1 import engine_pb2 as pb

from .errors import plain
from .host import Host
from .model.learned import KeyframeReadiness, keyframe_readiness, keyframe_request, thumbnail
from .model.mask import write_png
from .model.prompt import check, parse
from .widgets.images import rgb_image


@dataclass(frozen=True)
class Variant:
    """One edited frame the engine sent: where the panel keeps it, and a thumbnail to show."""

    index: int
    seed: int
    path: str
    thumb: np.ndarray


@dataclass
class _Running:
    """The EditKeyframe call in flight; `cancel` may come before the worker has opened it."""

    frame: int
    session: Any
    call: Any = None
    cancelled: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    def open(self, call: Any) -> None:
        with self.lock:
            self.call = call
            if self.cancelled:
                call.cancel()

    def cancel(self) -> None:
        with self.lock:
            self.cancelled = True
            if self.call is not None:
                self.call.cancel()  # gRPC's cancel is safe from any thread; the engine stops between steps


class PromptController:
    def __init__(self, host: Host, one_step: Callable[[str], AbstractContextManager[None]]) -> None:
        """`one_step(what)`: the edit state's grouping of control changes into one undoable step."""
        self.host = host
        self.window = w = host.window
        self._one_step = one_step
        self.running: _Running | None = None
        self.shown: list[Variant] = []
        self.frame: int | None = None  # the frame the shown variants were made from
        e = w.edit
        e.prompt.textChanged.connect(self._prompt_changed)
        e.edit_from_prompt.clicked.connect(self.edit_frame)
        e.prompt_cancel.clicked.connect(self.cancel)
        e.variants.itemClicked.connect(lambda item: self.choose(int(item.data(Qt.UserRole))))
        host.link.connected.connect(lambda _caps: self.update_ready())
        host.link.lost.connect(lambda _msg: self.update_ready())
        self.update_ready()

    # ---- the classical half: the words fill the op's controls
    def _prompt_changed(self, text: str) -> None:
        e = self.window.edit
        hint = check(text)
        intent = parse(text, list(e.ops.ops)) if not hint else None
        if intent is None or intent.op is None:
            e.prompt_hint.setText(hint or "One change. Good.")
            return
        filled = []
        with self._one_step(f"Prompt: {text.strip()}"):
            if intent.op != e.ops.picker.currentText():
                e.ops.select(intent.op)
            for name, value in intent.params.items():
                if name in e.ops.controls:
                    e.ops.set_value(name, value)
                    filled.append(f"{name.replace('_', ' ')} {value}")
        e.prompt_hint.setText(f"→ {intent.op}" + (f": set {', '.join(filled)}" if filled else ""))

    # ---- the learned half: the words to a model
    def _mask_here(self) -> np.ndarray | None:
        s = self.host.session
        doc = s.masks.get(s.frame) if s is not None else None
        return doc.soft() if doc is not None and not doc.empty else None

    def readiness(self) -> KeyframeReadiness:
        link = self.host.link
        if self.host.session is None:
            return KeyframeReadiness(False, "open a clip")
        return keyframe_readiness(link.capabilities if link.online else None, self._mask_here() is not None)

    def update_ready(self) -> None:
        e, r = self.window.edit, self.readiness()
        e.edit_from_prompt.setEnabled(r.ready and self.running is None)
        e.model_state.setText(("Model: " if r.ready else "Edit frame from prompt: ") + r.words)
        e.edit_from_prompt.setToolTip(r.words if not r.ready else
                                      "Send this frame, the prompt and the painted mask to the engine's model")

    def edit_frame(self) -> None:
        h, e = self.host, self.window.edit
        s = h.session
        r = self.readiness()
        if not r.ready:
            h.error(f"Can't edit the frame from the prompt: {r.words}.")
            return
        prompt = e.prompt.text().strip()
        if not prompt:
            h.error("Can't edit the frame from the prompt: type what to change first, e.g. “change the car to red”.")
            return
        if self.running is not None:
            return
        frame, mask = s.frame, self._mask_here()
        folder = s.session_dir(h.settings.session_dir) / "prompted"
        token = uuid.uuid4().hex[:6]
        stem = f"{Path(s.clip.name).stem}_frame{frame:06d}_{token}"
        mask_path = folder / f"{stem}_mask.png" if mask is not None else None
        request = keyframe_request(s.clip, frame, prompt, mask_path=str(mask_path or ""),
                                   variants=e.variant_count.value(), seed=e.seed.value(), steps=e.steps.value())
        running = self.running = _Running(frame, s)
        client = h.link.client
        self.shown, self.frame = [], frame
        e.variants.clear()
        e.variants.setVisible(False)
        e.show_prompt_edit("Sending the frame…")
        self.update_ready()

        def stream(progress: Callable[[Any], None]) -> pb.KeyframeDone | None:
            folder.mkdir(parents=True, exist_ok=True)
            if mask_path is not None:
                write_png(mask, str(mask_path))
            done = None
            for event in _events(client, request, running):
                kind = event.WhichOneof("kind")
                if kind == "variant":
                    v = event.variant
                    path = folder / f"{stem}_v{v.index + 1}.png"
                    path.write_bytes(v.png)  # as the engine made it: full depth, its lineage in a tEXt chunk
                    progress(Variant(v.index, v.seed, str(path), thumbnail(v.png)))
                elif kind == "progress":
                    progress(event.progress)
                else:
                    done = event.done
            return done

        def finished(done: pb.KeyframeDone | None) -> None:
            self._ended(running)
            if done is not None and h.session is s:
                seeds = ", ".join(str(x) for x in done.seeds)
                h.status(f"{len(self.shown)} variant(s) of {h.timecode(frame)} from {done.model.name} "
                         f"in {done.seconds:.1f} s (seeds {seeds}): click one to make it this frame's edited frame")

        def failed(exc: BaseException) -> None:
            self._ended(running)
            if running.cancelled:
                h.status(f"Prompt edit of {h.timecode(frame)} cancelled")
            else:
                h.error(plain(exc, doing="edit the frame from the prompt"))

        h.tasks.run(stream, finished, failed, on_progress=lambda item: self._progress(running, item), long=True)

    def _progress(self, running: _Running, item: Any) -> None:
        if running is not self.running:
            return
        e = self.window.edit
        if isinstance(item, Variant):
            self.shown.append(item)
            icon = QIcon(QPixmap.fromImage(rgb_image(item.thumb)))
            entry = QListWidgetItem(icon, f"{item.index + 1}")
            entry.setData(Qt.UserRole, item.index)
            entry.setToolTip(f"Variant {item.index + 1} (seed {item.seed}): click to use it\n{item.path}")
            e.variants.addItem(entry)
            e.variants.setVisible(True)
            return
        p: pb.KeyframeProgress = item
        if p.stage == "load":
            e.show_prompt_edit("Loading the model…", 0.0)
            return
        total = max(1, p.variants * p.steps)
        e.show_prompt_edit(f"Variant {p.variant + 1}/{p.variants} · step {p.step}/{p.steps}",
                           (p.variant * p.steps + p.step) / total)

    def _ended(self, running: _Running) -> None:
        if running is self.running:
            self.running = None
            self.window.edit.show_prompt_edit(None)
            self.update_ready()

    def cancel(self) -> None:
        if self.running is not None:
            self.window.edit.show_prompt_edit("Cancelling…", self.window.edit.prompt_progress.value() / 1000)
            self.running.cancel()

    def choose(self, index: int) -> None:
        """The variant the editor clicked becomes the edited keyframe of the frame it was made from."""
        h = self.host
        variant = next((v for v in self.shown if v.index == index), None)
        if variant is None or self.frame is None or h.session is None:
            return
        frame, tc = self.frame, h.timecode(self.frame)
        h.attach_edited(frame, variant.path, f"Variant {index + 1} from the prompt at {tc}")
        h.seek(frame)
        h.status(f"Variant {index + 1} (seed {variant.seed}) is the edited frame at {tc}: "
                 "ops that use edited frames (propagate) carry it through the clip")


def _events(client: Any, request: pb.KeyframeRequest, running: _Running) -> Iterator[pb.KeyframeEvent]:
    """The EditKeyframe stream's events; its failures as EngineError (plain words in the panel)."""
    call = client.edit_keyframe(request)
    running.open(call)
    try:
        yield from call
    except grpc.RpcError as error:
        raise EngineError.from_rpc(error) from None
