"""The model store: which weights are where, what they can do, and proof they are intact.

`$RETAKES_HOME/models/registry.json` lists the registered models; `manifests/NAME.json` holds the
sha256 of every file a model needs, written when it is added and checked by `verify`. A folder is
registered where it lies (`models add NAME PATH` never copies or writes into it); `models pull`
downloads into `weights/NAME` inside the store, and only those folders are deleted by `remove`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from ..errors import FailedPrecondition, InvalidArgument
from .layout import TASKS, ModelLayout, inspect_folder

_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
#: progress(what, done_bytes, total_bytes)
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class ModelEntry:
    name: str
    path: str
    kind: str
    class_name: str
    family: str
    tasks: tuple[str, ...]
    size_bytes: int
    parameters: int
    licence: str
    #: sha256 of the manifest itself: one value that names these exact weights in a lineage
    digest: str
    added_at: float
    source: str = ""  # "hf:REPO" for pulled models

    @classmethod
    def from_json(cls, data: dict) -> ModelEntry:
        data = dict(data)
        data["tasks"] = tuple(data.get("tasks", ()))
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


@dataclass(frozen=True)
class Problem:
    file: str
    what: str  # "missing", "changed", "size"


def check_name(name: str, *, field: str = "NAME") -> str:
    if not _NAME.fullmatch(name or ""):
        raise InvalidArgument(
            f"expected a model name of lowercase letters, digits, '.', '_' or '-' (at most 64), got {name!r}",
            field=field)
    return name


def _sha256(path: Path, progress: Progress | None, done: int, total: int) -> tuple[str, int]:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(8 << 20):
            h.update(block)
            done += len(block)
            if progress is not None:
                progress(path.name, done, total)
    return h.hexdigest(), done


def _write_json(path: Path, data) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, path)


class ModelStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    @property
    def registry(self) -> Path:
        return self.root / "registry.json"

    @property
    def weights_dir(self) -> Path:
        """Where `pull` downloads to: folders the store owns."""
        return self.root / "weights"

    def manifest_path(self, name: str) -> Path:
        return self.root / "manifests" / f"{name}.json"

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """One writer at a time across processes (an engine and a `models add` in a terminal)."""
        self.root.mkdir(parents=True, exist_ok=True)
        try:
            import fcntl
        except ImportError:  # Windows: one writer is the usual case; the registry write is atomic anyway
            yield
            return
        with open(self.root / ".lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _load(self) -> dict[str, ModelEntry]:
        if not self.registry.exists():
            return {}
        data = json.loads(self.registry.read_text(encoding="utf-8"))
        return {name: ModelEntry.from_json(entry) for name, entry in data.get("models", {}).items()}

    def _save(self, entries: dict[str, ModelEntry]) -> None:
        _write_json(self.registry, {"version": 1, "models": {n: asdict(e) for n, e in sorted(entries.items())}})

    # ------------------------------------------------------------------ reading

    def list(self) -> list[ModelEntry]:
        return sorted(self._load().values(), key=lambda e: e.name)

    def get(self, name: str, *, field: str = "model") -> ModelEntry:
        entries = self._load()
        if name not in entries:
            known = ", ".join(sorted(entries)) or "none; see `retakes models list`"
            raise InvalidArgument(f"no model named {name!r} in the store (registered: {known})", field=field)
        return entries[name]

    def for_task(self, task: str) -> list[ModelEntry]:
        """Registered models serving `task` whose folders are still there, by name."""
        return [e for e in self.list() if task in e.tasks and Path(e.path).is_dir()]

    def layout(self, entry: ModelEntry) -> ModelLayout:
        return inspect_folder(Path(entry.path), field_name="model")

    # ------------------------------------------------------------------ changing

    def add(self, name: str, path: Path, *, licence: str = "", source: str = "",
            progress: Progress | None = None) -> ModelEntry:
        """Validates the folder, hashes every file it needs, and registers it under `name`."""
        check_name(name)
        path = Path(path).expanduser().absolute()
        layout = inspect_folder(path)
        if not layout.tasks:
            raise InvalidArgument(
                f"{path} holds a {layout.class_name} ({layout.kind}), which no retakes backend uses; models for: "
                "inpainting (e.g. StableDiffusionInpaintPipeline, FluxFillPipeline), instruction edits "
                "(e.g. QwenImageEditPipeline, FluxKontextPipeline, StableDiffusionInstructPix2PixPipeline), "
                "tracking (SAM 2 video, model_type sam2_video)", field="PATH")
        if name in self._load():
            raise FailedPrecondition(f"a model named {name!r} is registered already; `retakes models remove {name}` "
                                     "first", field="NAME")
        total = sum((path / f).stat().st_size for f in layout.files)
        files, done = {}, 0
        for rel in layout.files:
            digest, done = _sha256(path / rel, progress, done, total)
            files[rel] = {"sha256": digest, "size": (path / rel).stat().st_size}
        manifest = {"name": name, "path": str(path), "files": files}
        manifest_bytes = json.dumps(manifest, sort_keys=True).encode()
        entry = ModelEntry(name=name, path=str(path), kind=layout.kind, class_name=layout.class_name,
                           family=layout.family, tasks=layout.tasks, size_bytes=total, parameters=layout.parameters,
                           licence=licence or layout.licence or "unknown",
                           digest=hashlib.sha256(manifest_bytes).hexdigest(), added_at=time.time(), source=source)
        with self._locked():
            entries = self._load()
            if name in entries:
                raise FailedPrecondition(f"a model named {name!r} is registered already", field="NAME")
            self.manifest_path(name).parent.mkdir(parents=True, exist_ok=True)
            _write_json(self.manifest_path(name), manifest)
            entries[name] = entry
            self._save(entries)
        return entry

    def verify(self, name: str, progress: Progress | None = None) -> list[Problem]:
        """Re-hashes every file of the manifest; returns what is missing or changed (empty: intact)."""
        entry = self.get(name, field="NAME")
        manifest = json.loads(self.manifest_path(name).read_text(encoding="utf-8"))
        root = Path(entry.path)
        problems, done = [], 0
        total = sum(f["size"] for f in manifest["files"].values())
        for rel, want in sorted(manifest["files"].items()):
            path = root / rel
            if not path.is_file():
                problems.append(Problem(rel, "missing"))
                done += want["size"]
                continue
            if path.stat().st_size != want["size"]:
                problems.append(Problem(rel, "size"))
                done += want["size"]
                continue
            digest, done = _sha256(path, progress, done, total)
            if digest != want["sha256"]:
                problems.append(Problem(rel, "changed"))
        return problems

    def quick_check(self, entry: ModelEntry) -> list[Problem]:
        """Presence and sizes only (no hashing): what loading checks every time."""
        manifest = json.loads(self.manifest_path(entry.name).read_text(encoding="utf-8"))
        problems = []
        for rel, want in sorted(manifest["files"].items()):
            path = Path(entry.path) / rel
            if not path.is_file():
                problems.append(Problem(rel, "missing"))
            elif path.stat().st_size != want["size"]:
                problems.append(Problem(rel, "size"))
        return problems

    def remove(self, name: str) -> tuple[ModelEntry, bool]:
        """Unregisters `name`; deletes its files only when the store downloaded them. Returns
        (entry, whether files were deleted)."""
        with self._locked():
            entries = self._load()
            if name not in entries:
                self.get(name, field="NAME")  # raises, naming what is registered
            entry = entries.pop(name)
            self._save(entries)
            self.manifest_path(name).unlink(missing_ok=True)
        owned = Path(entry.path).resolve().is_relative_to(self.weights_dir.resolve())
        if owned:
            shutil.rmtree(entry.path, ignore_errors=True)
        return entry, owned


__all__ = ["TASKS", "ModelEntry", "ModelStore", "Problem", "check_name"]
