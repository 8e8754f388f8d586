"""Push versions to Frame.io, pull notes and status back: the orchestration over the parts.

`NotesPath` is the single way review results come home, for Frame.io pulls, webhooks and the
local review page alike: notes go into the ledger (idempotent by id), onto the version's clip
as markers (idempotent by customData) when Resolve is there, and always into the marker
sidecars beside the version's media (sidecar.py), so they are never only in a database;
statuses go to the version store.

Version stacks are kept oldest (bottom) to newest (top): the second pushed version creates
the stack from [v1, v2], every later one is moved into it and becomes its head, so versions
are pushed in order (pushing a clip pushes every version not yet on Frame.io, oldest first).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .ledger import RemoteFile, ReviewLedger
from .markers import MarkerReport, find_item, sync_markers
from .notes import Note, NoteOutOfRange, note_from_comment, store_status
from .sidecar import Sidecars, write_sidecars
from .upload import PartUploader, ProgressFn
from .versions import ReviewVersion, VersionStoreLike

if TYPE_CHECKING:  # the Frame.io SDK loads (a third of a second) only where Frame.io is called
    from .frameio_api import FrameioApi


class NotesPath:
    def __init__(self, store: VersionStoreLike, ledger: ReviewLedger, timeline: Any | None = None) -> None:
        self.store = store
        self.ledger = ledger
        self.timeline = timeline  # a Resolve Timeline (or the double); None: notes wait in the ledger
        self.sidecars: dict[str, Sidecars | str] = {}  # version id -> the files written, or why not

    def deliver(self, version: ReviewVersion, notes: list[Note]) -> MarkerReport:
        for note in notes:
            self.ledger.add_note(note)
        self.write_sidecars(version)
        return self.place_markers(version)

    def write_sidecars(self, version: ReviewVersion) -> Sidecars | str:
        try:
            written: Sidecars | str = write_sidecars(version, self.ledger.notes(version.id))
        except OSError as exc:  # a read-only media folder: the notes are still in the ledger
            written = f"could not write the marker files beside {version.media_path.name}: {exc}"
        self.sidecars[version.id] = written
        return written

    def place_markers(self, version: ReviewVersion) -> MarkerReport:
        """Puts every ledger note of the version on its clip; safe to call any number of times."""
        if self.timeline is None or not version.item_id:
            return MarkerReport()
        item = find_item(self.timeline, version.item_id)
        if item is None:
            return MarkerReport(skipped={"*": f"{version.label}'s clip is not on the open timeline"})
        return sync_markers(item, self.ledger.notes(version.id), label=version.label,
                            media_path=str(version.media_path))

    def set_status(self, version: ReviewVersion, status: str) -> None:
        if status != version.status:
            self.store.set_status(version.id, status)


def lineage_text(version: ReviewVersion) -> str:
    head = f"retakes {version.label} of {version.clip_name or version.clip_id} (clip key {version.clip_id})"
    return head + ("\n" + version.lineage if version.lineage else "")


@dataclass
class Pusher:
    api: FrameioApi
    store: VersionStoreLike
    ledger: ReviewLedger
    project_id: str
    folder_id: str | None = None  # default: the project's root folder
    uploader: PartUploader = field(default_factory=PartUploader)
    poll_s: float = 0.5
    poll_attempts: int = 120
    sleep: Callable[[float], None] = time.sleep

    def push_clip(self, clip_id: str, on_progress: ProgressFn | None = None) -> list[RemoteFile]:
        pushed = []
        for version in self.store.versions(clip_id):
            if self.ledger.remote(version.id) is None:
                pushed.append(self.push(version, on_progress))
        return pushed

    def push(self, version: ReviewVersion, on_progress: ProgressFn | None = None) -> RemoteFile:
        folder = self.folder_id or self.api.project_root_folder(self.project_id)
        shown = Path(version.clip_name).stem if version.clip_name else version.clip_id  # what reviewers read
        name = f"{shown}_{version.label}{version.media_path.suffix}"
        target = self.api.create_local_upload(folder, name, version.media_path.stat().st_size)
        self.uploader.upload(version.media_path, target.part_urls, target.media_type, on_progress)
        for _ in range(self.poll_attempts):
            if self.api.upload_complete(target.file_id):
                break
            self.sleep(self.poll_s)
        else:
            raise TimeoutError(f"Frame.io did not confirm the upload of {name}")
        self.api.set_description(self.project_id, target.file_id, lineage_text(version))

        stack_id = self._stack(version, folder, target.file_id)
        share_url = self.api.create_share(
            self.project_id, f"{shown} {version.label}", [stack_id or target.file_id]
        )
        remote = RemoteFile(version.id, version.clip_id, target.file_id, stack_id, share_url)
        self.ledger.set_remote(remote)
        self.store.set_review_link(version.id, share_url)
        if version.status == "draft":
            self.store.set_status(version.id, "in review")
        return remote

    def _stack(self, version: ReviewVersion, folder: str, file_id: str) -> str | None:
        earlier = sorted(
            (r for r in self.ledger.remotes(version.clip_id) if r.version_id != version.id),
            key=lambda r: self._number(r.version_id),
        )
        if not earlier:
            return None  # a stack needs two files; the first version waits alone
        stack_id = next((r.version_stack_id for r in earlier if r.version_stack_id), None)
        if stack_id is None:
            stack_id = self.api.create_version_stack(folder, [r.file_id for r in earlier] + [file_id])
            for r in earlier:  # the earlier files now live in the stack
                self.ledger.set_remote(RemoteFile(r.version_id, r.clip_id, r.file_id, stack_id, r.share_url))
        else:
            self.api.add_to_version_stack(file_id, stack_id)
        return stack_id

    def _number(self, version_id: str) -> int:
        v = self.store.version(version_id)
        return v.number if v else 0


@dataclass
class PullResult:
    notes: int = 0
    markers: MarkerReport = field(default_factory=MarkerReport)
    status: str | None = None
    skipped: list[str] = field(default_factory=list)
    sidecars: Sidecars | str | None = None


def pull_version(api: FrameioApi, path: NotesPath, version: ReviewVersion) -> PullResult:
    remote = path.ledger.remote(version.id)
    result = PullResult()
    if remote is None:
        return result
    notes = []
    for comment in api.comments(remote.file_id):
        try:
            note = note_from_comment(comment, version)
        except (NoteOutOfRange, ValueError) as exc:
            result.skipped.append(f"comment {comment.id}: {exc}")
            continue
        if note is not None:
            notes.append(note)
    result.notes = len(notes)
    result.markers = path.deliver(version, notes)
    result.sidecars = path.sidecars.get(version.id)
    status = store_status(api.review_status(remote.file_id))
    if status:
        path.set_status(version, status)
        result.status = status
    return result


def pull_clip(api: FrameioApi, path: NotesPath, clip_id: str) -> dict[str, PullResult]:
    return {v.label: pull_version(api, path, v) for v in path.store.versions(clip_id)}
