"""The Shots and Styles tabs: multi-shot consistency and the style library, for the open clip.

Shots: Find shots (the engine's FindShots over the clip's range) writes the clip's plan in its
session folder; Match object sends the mask painted on the current frame (ProposeShotMasks); the
editor accepts, rejects or corrects each proposal (the plan file, here); Apply submits the
`shots` op as a job, which the render queue follows like any other.

Styles: reference images saved in a library folder; Apply selects the restyle op with that
reference, for the editor to preview and generate as usual.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QFileDialog, QInputDialog

from retakes.engine.errors import RetakesError
from retakes.engine.shots import ShotPlan
from retakes.v1 import engine_pb2 as pb

from .host import Host
from .model import clips
from .model.edit import edit_request
from .model.mask import write_png
from .model.queue import QueueEntry
from .model.styles import StyleLibrary


class ShotsController:
    def __init__(self, host: Host) -> None:
        self.host = host
        self.view = host.window.shots
        self.plan: ShotPlan | None = None
        v = self.view
        v.find_requested.connect(self.find)
        v.match_requested.connect(self.match)
        v.decide_requested.connect(self.decide)
        v.correct_requested.connect(self.correct)
        v.apply_requested.connect(self.apply)
        v.shot_activated.connect(self.go_to)

    def _folder(self) -> Path:
        return self.host.session.session_dir(self.host.settings.session_dir)

    def plan_path(self) -> Path:
        return self._folder() / "shots.json"

    def load(self) -> None:
        """The open clip's plan, if it has one (a clip opened again keeps its shots and decisions)."""
        path = self.plan_path() if self.host.session is not None else None
        try:
            self.plan = ShotPlan.load(path) if path is not None and path.exists() else None
        except RetakesError as error:
            self.plan = None
            self.host.error(f"The clip's shots plan cannot be read: {error}")
        self.view.show_plan(self.plan)

    def _show(self, plan: ShotPlan, text: str) -> None:
        self.plan = plan
        self.view.show_plan(plan)
        self.view.state.setText(text)
        self.host.status(text)

    def find(self) -> None:
        s = self.host.session
        if s is None:
            self.host.error("Open a clip first: shots are found in the open clip.")
            return
        rendered = s.clip.range_with_handles
        path = self.plan_path()
        request = pb.FindShotsRequest(source=pb.MediaRef(path=s.clip.media_path), plan_path=str(path),
                                      range=pb.FrameRange(start=rendered.start, end=rendered.end), overwrite=True)

        def run(client: Any) -> ShotPlan:
            path.parent.mkdir(parents=True, exist_ok=True)
            client.find_shots(request)
            return ShotPlan.load(path)

        self.view.state.setText("Finding shots…")
        self.host.link.call(run, lambda plan: self._show(plan, f"{len(plan.shots)} shots found"), self.host.error,
                            "find shots")

    def _mask_to_file(self, name: str) -> tuple[Path, Any] | None:
        s = self.host.session
        doc = s.mask_here()
        if doc is None or not (doc.soft() > 127).any():
            self.host.error(f"Paint the object on this frame (frame {s.frame}) first.")
            return None
        return self._folder() / f"{name}_{s.frame}_{uuid.uuid4().hex[:6]}.png", doc.soft()

    def match(self) -> None:
        if self.plan is None:
            self.host.error("Find the shots first.")
            return
        got = self._mask_to_file("shots_ref")
        if got is None:
            return
        mask_file, soft = got
        frame, path = self.host.session.frame, self.plan_path()
        request = pb.ProposeShotMasksRequest(plan_path=str(path), mask=pb.MediaRef(path=str(mask_file)),
                                             mask_frame=frame)

        def run(client: Any) -> ShotPlan:
            write_png(soft, str(mask_file))
            client.propose_shot_masks(request)
            return ShotPlan.load(path)

        self.view.state.setText("Looking for the object in every shot…")
        self.host.link.call(run, lambda plan: self._show(plan, "Check each proposed mask: accept, reject or "
                                                               "correct it"), self.host.error, "match the object")

    def decide(self, shot: int, status: str) -> None:
        try:
            self.plan.decide(shot, status)
            self.plan.save(self.plan_path())
        except RetakesError as error:
            self.host.error(str(error))
            return
        self._show(self.plan, f"shot {shot} {status}")

    def correct(self, shot: int) -> None:
        target = self.plan.shot(shot)
        frame = self.host.session.frame
        if frame not in target.frame_range:
            self.host.error(f"Go to a frame of shot {shot} ({target.start}–{target.end - 1}) and paint its mask there.")
            return
        got = self._mask_to_file(f"shots_fix_{shot}")
        if got is None:
            return
        mask_file, soft = got
        mask_file.parent.mkdir(parents=True, exist_ok=True)
        write_png(soft, str(mask_file))
        target.frame = frame
        self.plan.decide(shot, "corrected", mask=mask_file)
        self.plan.save(self.plan_path())
        self._show(self.plan, f"shot {shot} corrected with the mask of frame {frame}")

    def go_to(self, shot: int) -> None:
        if self.plan is not None and self.plan.shots[shot].frame is not None:
            self.host.seek(self.plan.shots[shot].frame)

    def apply(self, colour: str) -> None:
        s = self.host.session
        if self.plan is None or s is None:
            self.host.error("Find the shots and match the object first.")
            return
        params = {"plan": pb.ParamValue(text_value=str(self.plan_path())), "color": pb.ParamValue(text_value=colour)}
        request = edit_request(s.clip, "shots", params)
        request.codec = self.host.export_preset().codec
        entry = QueueEntry("", s.clip.name, "shots", clip_json=clips.clip_to_json(s.clip),
                           params={"plan": str(self.plan_path()), "color": colour})
        root = self.host.settings.versions_root
        jobs = self.host.jobs
        jobs._claimed.update(e.output_path for e in jobs.queue.entries)
        from .jobs import next_output

        jobs._submit(request, None, entry,
                     lambda: next_output(root, s.clip, jobs._claimed, self.host.export_preset().container))


class StylesController:
    def __init__(self, host: Host, library: StyleLibrary | None = None) -> None:
        self.host = host
        self.library = library or StyleLibrary(host.settings.session_dir.parent / "styles")
        self.view = host.window.styles
        self.view.save_requested.connect(self.ask_save)
        self.view.apply_requested.connect(self.apply)
        self.view.remove_requested.connect(self.remove)
        self.refresh()

    def refresh(self, select: str = "") -> None:
        self.view.show_styles(self.library.styles(), select)

    def ask_save(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.view, "Reference image", "",
                                              "Images (*.png *.jpg *.jpeg *.tif *.tiff *.exr)")
        if not path:
            return
        name, ok = QInputDialog.getText(self.view, "Save reference", "Name of the look:", text=Path(path).stem)
        if ok:
            self.save(Path(path), name)

    def save(self, image: Path, name: str) -> None:
        try:
            style = self.library.save(image, name)
        except ValueError as error:
            self.host.error(f"Could not save the reference: {error}.")
            return
        self.refresh(style.name)
        self.host.status(f"saved the look {style.name!r}")

    def apply(self, name: str) -> None:
        ops = self.host.window.edit.ops
        if not ops.select("restyle"):
            self.host.error("The engine has no restyle op: connect an engine first.")
            return
        ops.set_value("reference", str(self.library.get(name).path))
        self.host.status(f"restyle from the look {name!r}: preview or generate")

    def remove(self, name: str) -> None:
        self.library.remove(name)
        self.refresh()
