"""Engine work from the panel: track, preview, generate, cancel, the queue, reconnect.

Job state arrives only through watch streams (EngineLink.job); the queue file is written after
every state change, off the GUI thread. A finished edit is recorded in the version store
before anything else looks at it, so a version the panel showed is always in the store.
"""

from __future__ import annotations

import threading
import time
import uuid
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtWidgets import QInputDialog

from retakes.bridge.versions import NewVersion, VersionStore, label
from retakes.v1 import engine_pb2 as pb

from .host import Host
from .model import clips
from .model.edit import backend_states, edit_request
from .model.mask import write_png
from .model.queue import QueueEntry, RenderQueue
from .shortcuts import KEYS

QUEUE_FILE = "queue.json"


_claim_lock = threading.Lock()


def next_output(root: Path, clip: Any, claimed: set[str], ext: str = ".mov") -> Path:
    """The store's next version path, skipping paths that queued jobs have already claimed.

    The store reserves every name it hands out (`VersionStore.output_path_for`), across
    threads and processes; `claimed` still covers jobs of a saved queue whose names were
    handed out before reservations existed.
    """
    with _claim_lock:
        with VersionStore.open(root) as store:
            path = store.output_path_for(clip, ext)
        stem, number = path.stem.rsplit("_v", 1)
        n = int(number)
        while str(path) in claimed or path.exists():
            n += 1
            path = path.with_name(f"{stem}_{label(n)}{ext}")
        claimed.add(str(path))
        return path


class JobsController:
    def __init__(self, host: Host) -> None:
        self.host = host
        self.window = host.window
        self.queue = RenderQueue.load(host.settings.session_dir / QUEUE_FILE)
        self._preview: tuple[str, int, np.ndarray, float] | None = None  # clip key, frame, image, ms
        self.preview_shown = True  # False: the editor switched to the original under the preview (Shift+E)
        self._queue_saves = 0  # generation of the last queue snapshot handed to a worker
        self.active_job = ""
        self._claimed: set[str] = set()  # version outputs promised to submitted jobs
        e = self.window.edit
        e.track.clicked.connect(self.track)
        e.preview.clicked.connect(self.preview)
        e.generate.clicked.connect(self.generate)
        e.cancel.clicked.connect(lambda: self.cancel(self.active_job))
        e.ops.changed.connect(self.update_ready)
        self.window.queue.cancel_requested.connect(self.cancel)
        self.window.banner.reconnect.connect(self.reconnect)
        self.window.actions["engine_settings"].triggered.connect(self.ask_engine)
        link = host.link
        link.connected.connect(self._connected)
        link.lost.connect(self._lost)
        link.job.connect(self._job)
        link.watch_failed.connect(lambda _job, msg: host.error(msg))
        for entry in self.queue.entries:
            self.window.queue.show_entry(entry)

    # ---- connection
    def _connected(self, caps: pb.Capabilities) -> None:
        ops = [op for op in caps.ops]
        learned = backend_states(caps)
        self.window.edit.ops.set_ops(ops, hidden=("track",), learned=learned)
        tracker = learned.get(("track", "learned"))
        state = tracker.state if tracker is not None else "this engine has no learned tracker"
        self.window.edit.set_learned_tracker(tracker is not None and tracker.ready, state)
        self.window.engine_state.setText(f"engine {caps.engine_version} · {self.host.link.address}")
        self.window.banner.hide()
        self.host.status("Engine connected")
        for entry in self.queue.unfinished():
            self.host.link.watch(entry.job_id)
        for entry in self.queue.entries:
            if entry.state == "done" and entry.kind == "edit" and not entry.recorded:
                self._record(entry)
        self.update_ready()

    def _lost(self, message: str) -> None:
        self.window.banner.show_message(message, offer_reconnect=True)
        self.window.engine_state.setText("engine: not answering")
        if self.active_job:
            self.window.edit.job_label.setText("engine stopped; the job resumes when it is back")
        self.update_ready()

    def reconnect(self) -> None:
        self.window.banner.show_message("Reconnecting to the engine…", level="info")
        self.host.link.reconnect()

    def ask_engine(self) -> None:
        address, ok = QInputDialog.getText(self.window, "Engine", "Engine address (socket path or host:port):",
                                           text=self.host.settings.engine_address)
        if not ok:
            return
        token, ok = QInputDialog.getText(self.window, "Engine", "Token (blank on a local socket):",
                                         text=self.host.settings.engine_token)
        if ok:
            self.connect_engine(address, token)

    def connect_engine(self, address: str, token: str = "") -> None:
        self.host.settings.remember_engine(address, token)
        self.window.engine_state.setText(f"engine: connecting to {address}…")
        self.host.link.connect_to(address, token)

    # ---- readiness
    def update_ready(self) -> None:
        s, e = self.host.session, self.window.edit
        choice = e.ops.choice()
        online = self.host.link.online
        has_mask = bool(s and s.mask_keyframe() is not None)
        problems = [] if choice is None else choice.problems(has_mask, bool(s and s.edited))
        problems += self._range_problems(choice)
        if s is None:
            problems.insert(0, "open a clip")
        elif self.host.export_problem():
            problems.append(f"export preset {self.host.export_preset().name}: {self.host.export_problem()}")
        if not online:
            problems.insert(0, "connect to the engine")
        e.ready.setText("To run: " + "; ".join(problems) if problems else "")
        e.preview.setEnabled(not problems)
        e.generate.setEnabled(not problems)
        e.track.setEnabled(online and has_mask)

    # ---- requests
    def _request(self, op: str, params: dict, output_path: str = "",
                 keyframes: dict[int, str] | None = None, clip: Any = None) -> tuple[pb.EditRequest, Path | None]:
        """The EditRequest and the mask file it needs (to be written by the caller's task). `clip`: the
        part of the clip to render (In to Out), the whole clip by default."""
        s = self.host.session
        clip = clip or s.clip
        whole = clip is s.clip
        mask_path, key = "", s.mask_keyframe()
        # The tracked folder holds one mask per frame of the whole clip; a part of it sends the keyframe.
        if op != "track" and s.tracked_is_current() and whole:
            mask_path = s.tracked_dir  # per-frame masks: the engine need not track again
        elif key is not None:
            mask_path = str(self.host.session.session_dir(self.host.settings.session_dir) /
                            f"key_{key}_{uuid.uuid4().hex[:6]}.png")
        if not whole:
            keyframes = {f: p for f, p in (keyframes or {}).items() if f in clip.range_with_handles}
        request = edit_request(clip, op, params, output_path=output_path, mask_path=mask_path,
                               mask_frame=key, seed=0, keyframes=keyframes)
        wanted = mask_path and not Path(mask_path).is_dir() and key is not None
        tracker = self.window.edit.tracker_choice()
        if tracker and op == "track":
            request.params["backend"].text_value = tracker  # track picks its tracker with its own param
        elif tracker and wanted:
            request.tracker = tracker  # the keyframe mask alone: the engine tracks it with this one
        return request, (Path(mask_path) if wanted else None)

    def _mask_writer(self, path: Path | None) -> Any:
        if path is None:
            return lambda: None
        soft = self.host.session.masks[self.host.session.mask_keyframe()].soft()

        def write() -> None:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_png(soft, str(path))
        return write

    def _keyframes(self, op: pb.OpDescriptor) -> dict[int, str]:
        """Every attached edited frame, for an op that uses them; none for any other op."""
        return dict(self.host.session.edited) if op.uses_keyframes else {}

    def _problems(self, choice: Any) -> list[str]:
        s = self.host.session
        problems = choice.problems(s.mask_keyframe() is not None, bool(s.edited)) if choice else ["pick an op"]
        return problems + self._range_problems(choice)

    def _range_problems(self, choice: Any) -> list[str]:
        """What In and Out leave out that the op needs: its keyframe mask, its edited frames."""
        s = self.host.session
        if s is None or choice is None or (s.mark_in is None and s.mark_out is None):
            return []
        r, out = s.render_range(), []
        key = s.mask_keyframe()
        if key is not None and choice.op.mask != pb.MASK_USE_NONE and key not in r:
            out.append(f"the keyframe mask at {self.host.timecode(key)} is outside In–Out: mark around it")
        if choice.op.uses_keyframes and s.edited and not any(f in r for f in s.edited):
            out.append("no edited frame lies between In and Out")
        return out

    def _guard(self, doing: str) -> bool:
        if self.host.session is None:
            self.host.status("Open a clip first")
            return False
        if not self.host.link.online:
            self.host.error(f"Can't {doing}: the engine is not connected. Press Reconnect.")
            return False
        return True

    def preview(self) -> None:
        if not self._guard("preview"):
            return
        choice = self.window.edit.ops.choice()
        problems = self._problems(choice)
        if problems:
            self.host.error("Can't preview yet: " + "; ".join(problems) + ".")
            return
        s = self.host.session
        request, mask_file = self._request(choice.op.name, choice.params(), keyframes=self._keyframes(choice.op))
        write, frame, key = self._mask_writer(mask_file), s.frame, s.key
        self.window.edit.latency.setText("Previewing…")
        started = time.monotonic()

        def run(client: Any) -> pb.PreviewResponse:
            write()
            # Raw RGB: no PNG encode in the engine and no decode here (~150 ms at 1080p).
            return client.preview(request, frame, pb.IMAGE_ENCODING_RGB24)

        def done(reply: pb.PreviewResponse) -> None:
            rgb = np.frombuffer(reply.image, np.uint8).reshape(reply.height, reply.width, 3)
            wall = (time.monotonic() - started) * 1000
            self._preview = (key, frame, rgb, reply.latency_ms)
            self.preview_shown = True
            self.window.edit.latency.setText(
                f"Preview of {self.host.timecode(frame)}: {reply.latency_ms:.0f} ms in the engine "
                f"({wall:.0f} ms round trip, {reply.device or 'cpu'})")
            self.host.show_frame()
        self.host.link.call(run, done, self._preview_failed, "preview the frame")

    def _preview_failed(self, message: str) -> None:
        self.window.edit.latency.setText("")
        self.host.error(message)

    def has_preview(self, frame: int) -> bool:
        p, s = self._preview, self.host.session
        return bool(p and s and p[0] == s.key and p[1] == frame)

    def preview_for(self, frame: int) -> np.ndarray | None:
        """The preview to show on `frame`: None where there is none, or the editor chose the original."""
        return self._preview[2] if self.has_preview(frame) and self.preview_shown else None

    def show_preview(self, shown: bool) -> None:
        self.preview_shown = shown

    def badges_for(self, frame: int) -> list[str]:
        p = self._preview
        if self.preview_for(frame) is not None:
            return [f"PREVIEW · {p[3]:.0f} ms"]
        if self.has_preview(frame):
            return ["ORIGINAL", f"PREVIEW KEPT ({KEYS['toggle_edited']} shows it)"]
        return []

    def clear_preview(self) -> None:
        self._preview = None

    def track(self) -> None:
        if not self._guard("track"):
            return
        s = self.host.session
        key = s.mask_keyframe()
        if key is None:
            self.host.error("Paint a mask on a keyframe first; tracking carries it through the clip.")
            return
        out = s.session_dir(self.host.settings.session_dir) / "tracks" / uuid.uuid4().hex[:8]
        request, mask_file = self._request("track", {}, str(out))
        self._submit(request, mask_file, QueueEntry("", s.clip.name, "track", kind="track", output_path=str(out),
                                                    clip_json=clips.clip_to_json(s.clip), params={"frame": key}))

    def generate(self) -> None:
        if not self._guard("generate"):
            return
        choice = self.window.edit.ops.choice()
        s = self.host.session
        problems = self._problems(choice)
        if problems:
            self.host.error("Can't generate yet: " + "; ".join(problems) + ".")
            return
        preset = self.host.export_preset()
        why = self.host.export_problem()
        if why:
            self.host.error(f"Can't generate with the export preset {preset.name}: {why}.")
            return
        keyframes = self._keyframes(choice.op)
        clip = s.render_clip()  # the clip, or In to Out
        request, mask_file = self._request(choice.op.name, choice.params(), keyframes=keyframes, clip=clip)
        request.codec = preset.codec
        params = choice.plain_params()
        if keyframes:
            params["keyframes"] = sorted(f for f in keyframes if f in clip.range_with_handles)  # the lineage
        entry = QueueEntry("", s.clip.name, choice.op.name, clip_json=clips.clip_to_json(clip), params=params)
        root = self.host.settings.versions_root
        claimed = self._claimed
        claimed.update(e.output_path for e in self.queue.entries)
        self._submit(request, mask_file, entry, lambda: next_output(root, clip, claimed, preset.container))

    def _submit(self, request: pb.EditRequest, mask_file: Path | None, entry: QueueEntry,
                output: Any = None) -> None:
        write = self._mask_writer(mask_file)
        self.window.edit.show_job(f"Submitting {entry.op}…")

        def run(client: Any) -> tuple[pb.Job, str]:
            write()
            if output is not None:
                request.output_path = str(output())
            Path(request.output_path).parent.mkdir(parents=True, exist_ok=True)
            return client.submit(request), request.output_path

        def done(result: tuple[pb.Job, str]) -> None:
            job, entry.output_path = result
            entry.job_id = job.id
            entry.apply(job)
            self.queue.add(entry)
            self.active_job = job.id
            self.window.queue.show_entry(entry)
            self._show_active(entry)
            self.save_queue()
            self.host.link.watch(job.id)
            self.host.status(f"{entry.op} queued for {entry.clip_name}")

        def failed(message: str) -> None:
            self.window.edit.show_job(None)
            self.host.error(message)
        self.host.link.call(run, done, failed, f"start {entry.op}")

    def cancel(self, job_id: str) -> None:
        entry = self.queue.get(job_id)
        if not job_id or entry is None or entry.finished:
            return
        self.host.link.call(lambda client: client.cancel(job_id), self._job, self.host.error, "cancel the job")

    # ---- job updates
    def _job(self, job: pb.Job) -> None:
        entry = self.queue.get(job.id)
        if entry is None:
            return
        before = entry.state
        entry.apply(job)
        self.window.queue.show_entry(entry)
        if job.id == self.active_job:
            self._show_active(entry)
        if entry.state != before:
            self.save_queue()
            if entry.state == "done":
                self._finished(entry)
            elif entry.state in ("failed", "cancelled"):
                word = "was cancelled" if entry.state == "cancelled" else f"failed: {entry.message}"
                self.host.status(f"{entry.op} of {entry.clip_name} {word}")
                if entry.state == "failed":
                    self.host.error(f"{entry.op} of {entry.clip_name} failed: {entry.message}")

    def _show_active(self, entry: QueueEntry) -> None:
        if entry.finished:
            self.window.edit.show_job(None)
            return
        stage = entry.stage or entry.state
        text = f"{entry.op} · {stage} · {entry.frames_done}/{entry.frames_total} frames"
        self.window.edit.show_job(text, entry.fraction, entry.eta_text())

    def _finished(self, entry: QueueEntry) -> None:
        s = self.host.session
        if entry.kind == "track":
            if s is not None and s.clip.name == entry.clip_name and entry.params.get("frame") in s.masks:
                s.mark_tracked(entry.output_path, entry.params["frame"])
                rendered = s.clip.range_with_handles
                self.window.scrubber.tracked = (rendered.start, rendered.end)
                self.host.show_frame()
                self.host.show_mask_state()
                self.host.save_settings()  # the tracked masks come back with the clip
                self.host.status("Mask tracked through the clip")
            return
        self._record(entry)

    def _record(self, entry: QueueEntry) -> None:
        root = self.host.settings.versions_root
        caps = self.host.link.capabilities
        clip = clips.clip_from_json(entry.clip_json)
        engine_version = caps.engine_version if caps else ""
        # a batch records one version per variant, each with its own params; a fix names the version it fixed
        made = [(v["output_path"], {**{k: x for k, x in entry.params.items() if k not in v.get("drop", ())},
                                    **v["params"]}) for v in entry.variants] or [
            (entry.output_path, dict(entry.params))]
        news = [NewVersion(clip, entry.op, path, params, entry.seed, "", engine_version, entry.job_id,
                           parent_id=entry.fix_of or None) for path, params in made]

        def record() -> Any:
            with VersionStore.open(root) as store:
                return [store.record(new) for new in news][-1]

        def done(version: Any) -> None:
            entry.recorded = True
            self.save_queue()
            self.host.status(f"{version.label} of {entry.clip_name} is ready")
            self.host.refresh_versions(select=version.id)
        self.host.tasks.run(record, done, lambda exc: self.host.error(
            f"The render finished but could not be recorded as a version: {exc}"))

    def save_queue(self) -> None:
        text_queue = RenderQueue(self.queue.path)
        text_queue.entries = [QueueEntry(**vars(e)) for e in self.queue.entries]  # a copy for the worker
        self._queue_saves += 1
        generation = self._queue_saves
        self.host.tasks.run(lambda: text_queue.save(generation), None, lambda exc: self.host.error(
            f"Could not save the render queue: {exc}"))
