"""Versions of the clip: listing, compare (synced to the playhead), place, reveal (review: review_ctl)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices

from retakes.bridge.versions import Version, VersionStore
from retakes.engine.media import probe

from .errors import plain
from .host import Host
from .model.compare import compose
from .model.session import Compare


class VersionsController:
    def __init__(self, host: Host) -> None:
        self.host = host
        self.window = host.window
        self.list: list[Version] = []
        self.reveal_opener = lambda path: QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))
        v = self.window.versions
        v.compare_requested.connect(self.compare)
        v.place_requested.connect(self.place)
        v.reveal_requested.connect(self.reveal)
        self.window.compare_bar.mode_chosen.connect(self.set_mode)
        self.window.compare_bar.close_requested.connect(self.close_compare)
        self.window.viewer.wipe_moved.connect(self._wipe_moved)

    def _store_call(self, fn: Any, done: Any, doing: str) -> None:
        root = self.host.settings.versions_root

        def run() -> Any:
            with VersionStore.open(root) as store:
                return fn(store)
        self.host.tasks.run(run, done, lambda exc: self.host.error(plain(exc, doing=doing)))

    def refresh(self, select: int = 0) -> None:
        s = self.host.session
        if s is None:
            return
        clip = s.clip

        rendered = clip.range_with_handles

        def read(store: VersionStore) -> tuple[list[Version], dict[int, str]]:
            versions = store.versions_of(clip)
            key = store.series_key(clip)
            # and what was rendered of a part of it (In to Out): a series of its own, shown here with its range
            parts = [v for v in store.list_versions() if v.source_key != key and v.source_path == clip.media_path
                     and rendered.start <= v.source_start and v.source_end <= rendered.end]
            versions += sorted(parts, key=lambda v: v.created_at)  # the clip's own by number, then the parts
            links = {v.id: ls[-1].url for v in versions if (ls := store.review_links(v.id))}
            return versions, links

        def done(found: tuple[list[Version], dict[int, str]]) -> None:
            if self.host.session is not s:
                return
            versions, links = found
            self.list = versions
            self.window.versions.show_versions(versions, links, (clip.source_range.start, clip.source_range.end),
                                               self.host.timecode)
            self.window.header.set_versions(len(versions))
            if select:
                self.window.versions.select(select)
                self.window.tabs.setCurrentWidget(self.window.versions)
        self._store_call(read, done, "read this clip's versions")

    def by_id(self, version_id: int) -> Version | None:
        return next((v for v in self.list if v.id == version_id), None)

    # ---- compare
    def compare(self, left: int, right: int) -> None:
        s = self.host.session
        if s is None or right == left:
            self.host.status("Pick two different things to compare")
            return
        paths = [self.by_id(i).output_path for i in (left, right) if i]

        def register() -> list:
            return [probe(p) for p in paths]

        def done(infos: list) -> None:
            for info in infos:
                self.host.frames.register(info)
            mode = s.compare.mode if s.compare else "wipe"
            s.compare = Compare(left, right, mode)
            self.host.show_view_state()  # Original / Edited is off while comparing
            self.window.tool_stack.setCurrentWidget(self.window.compare_bar)
            self.window.viewer.tool = None
            self.set_mode(mode)
        self.host.tasks.run(register, done, lambda exc: self.host.error(plain(exc, doing="open the version")))

    def _name(self, version_id: int) -> str:
        v = self.by_id(version_id)
        return v.label if v else "Original"

    def _source(self, version_id: int, frame: int) -> tuple[str, int]:
        """Where source frame `frame` lives in the original or in a version's output."""
        s = self.host.session
        v = self.by_id(version_id)
        if v is None:
            return str(s.info.path), frame
        first = v.source_start - v.handle_head  # the output's frame 0
        return v.output_path, min(max(frame - first, 0), v.output_frames - 1)

    def set_mode(self, mode: str) -> None:
        s = self.host.session
        if s is None or s.compare is None:
            return
        s.compare.mode = mode
        c = s.compare
        self.window.viewer.wipe = c.wipe if mode == "wipe" else None
        self.window.compare_bar.show_state(mode, self._name(c.left), self._name(c.right))
        self.show_compare()

    def flip(self) -> None:
        c = self.host.session.compare if self.host.session else None
        if c is None:
            return
        if c.mode == "toggle":
            c.show_right = not c.show_right
        else:
            c.left, c.right = c.right, c.left
        self.set_mode(c.mode)

    def _wipe_moved(self, x: float) -> None:
        s = self.host.session
        if s and s.compare:
            s.compare.wipe = x
            self.show_compare()

    def show_compare(self) -> None:
        """Composes the two sides at the playhead (both sides follow every seek)."""
        s = self.host.session
        c = s.compare
        sides = [self._source(i, s.frame) for i in (c.left, c.right)]
        frames = [self.host.frames.request(*side) for side in sides]
        if any(f is None for f in frames):
            return  # decoding; _frame_ready calls back here
        image = compose(frames[0], frames[1], c.mode, wipe=c.wipe, show_b=c.show_right)
        v = self.window.viewer
        v.badges = {"side": [f"{self._name(c.left)}  |  {self._name(c.right)}"],
                    "wipe": [f"◂ {self._name(c.left)}   {self._name(c.right)} ▸"],
                    "difference": [f"DIFFERENCE {self._name(c.left)} / {self._name(c.right)}"],
                    "toggle": [self._name(c.right if c.show_right else c.left)]}[c.mode]
        v.set_frame(image)
        v.set_overlay(None)

    def close_compare(self) -> None:
        s = self.host.session
        if s is None or s.compare is None:
            return
        s.compare = None
        self.window.tool_stack.setCurrentWidget(self.window.mask_tools)
        self.window.viewer.wipe = None
        self.window.viewer.tool = self.host.tool
        self.host.show_frame()

    # ---- actions
    def place(self, version_id: int, mode: str) -> None:
        s, version = self.host.session, self.by_id(version_id)
        if s is None or version is None:
            return
        resolve = self.host.resolve
        if resolve is None:
            self.host.error("Placing needs Resolve: start retakes from Resolve (Workspace > Scripts > retakes).")
            return
        if not s.clip.item_id and s.clip.timeline.name == "(no timeline)":
            self.host.error("This clip was opened from a file, not a timeline; load it from Resolve to place it.")
            return
        from retakes.bridge.workflow import place_recorded

        clip = s.clip

        def done(placed: Any) -> None:
            where = f"a take on V{placed.track}" if placed.mode == "take" else f"new track V{placed.track}"
            tc = clip.timeline.timecode_of(placed.record.start)
            self.host.status(f"Placed {version.label} as {where} at {tc}")
            for warning in placed.warnings:
                self.host.error(warning)
            self.refresh(select=version_id)
        self._store_call(lambda store: place_recorded(resolve, store, clip, version, mode=mode), done,
                         f"place {version.label} on the timeline")

    def reveal(self, version_id: int) -> None:
        version = self.by_id(version_id)
        if version is not None:
            self.reveal_opener(Path(version.output_path).parent)
            self.host.status(f"Revealed {Path(version.output_path).name}")
