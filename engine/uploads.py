"""Resumable uploads for engines on another host, keyed by the file's sha256.

A client asks how much of a file the engine already holds (`status`), then sends the
rest in chunks that must start exactly at the committed offset. When the last byte is
in, the checksum is verified: a mismatch deletes the partial file and names `sha256`
as the field at fault. Completed uploads are content-addressed, so sending the same
file twice costs one status call.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path

from .config import private_dir, private_file
from .errors import FailedPrecondition, InvalidArgument, MediaNotFound, shown

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_SAFE_SUFFIX = re.compile(r"^\.[A-Za-z0-9]{1,8}$")
_SYNC_EVERY = 64 << 20


@dataclass(frozen=True)
class UploadState:
    sha256: str
    committed_bytes: int
    total_size: int
    complete: bool


class UploadStore:
    def __init__(self, root: Path) -> None:
        self.root = private_dir(Path(root))
        self._lock = threading.Lock()

    def _check_key(self, sha256: str) -> str:
        key = sha256.strip().lower()
        if not _SHA256.match(key):
            raise InvalidArgument(f"expected 64 hex digits, got {shown(sha256)}", field="sha256")
        return key

    def _partial(self, key: str) -> Path:
        return self.root / f"{key}.partial"

    def _meta(self, key: str) -> Path:
        return self.root / f"{key}.meta"

    def _complete(self, key: str) -> Path | None:
        found = sorted(p for p in self.root.glob(f"{key}.*") if p.suffix not in (".partial", ".meta"))
        return found[0] if found else None

    def status(self, sha256: str) -> UploadState:
        key = self._check_key(sha256)
        done = self._complete(key)
        if done is not None:
            size = done.stat().st_size
            return UploadState(key, size, size, True)
        partial, meta = self._partial(key), self._meta(key)
        if partial.exists() and meta.exists():
            total = int(meta.read_text().split("\n", 1)[0])
            return UploadState(key, partial.stat().st_size, total, False)
        return UploadState(key, 0, 0, False)

    def append(self, sha256: str, *, offset: int, data: bytes, total_size: int = 0, file_name: str = "") -> UploadState:
        """Writes one chunk at `offset`; verifies and publishes the file after its last byte."""
        key = self._check_key(sha256)
        with self._lock:
            state = self.status(key)
            if state.complete:
                return state
            partial, meta = self._partial(key), self._meta(key)
            if state.total_size == 0:
                if total_size <= 0:
                    raise InvalidArgument("the first chunk must give the file's size", field="total_size")
                suffix = Path(file_name).suffix.lower()
                if not _SAFE_SUFFIX.match(suffix):
                    raise InvalidArgument(
                        f"the first chunk must name the file with its extension, got {shown(file_name)}",
                        field="file_name",
                    )
                private_file(meta).write_text(f"{total_size}\n{suffix}\n")
                private_file(partial)  # 0600 from its first byte; the published file keeps the mode
                state = UploadState(key, 0, total_size, False)
            if offset != state.committed_bytes:
                raise FailedPrecondition(
                    f"chunk starts at byte {offset} but the engine holds {state.committed_bytes}; resume there",
                    field="offset",
                )
            if state.committed_bytes + len(data) > state.total_size:
                raise InvalidArgument(f"chunk runs past the declared size {state.total_size}", field="data")
            committed = state.committed_bytes + len(data)
            with open(partial, "ab") as f:
                f.write(data)
                # The committed offset is the file's size. Syncing every 64 MiB (and at the
                # end) bounds what a power cut can lose without paying a sync per chunk.
                if committed // _SYNC_EVERY != state.committed_bytes // _SYNC_EVERY or committed == state.total_size:
                    f.flush()
                    os.fsync(f.fileno())
            if committed < state.total_size:
                return UploadState(key, committed, state.total_size, False)
            return self._publish(key, state.total_size)

    def _publish(self, key: str, total: int) -> UploadState:
        partial, meta = self._partial(key), self._meta(key)
        digest = hashlib.sha256()
        with open(partial, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
        if digest.hexdigest() != key:
            partial.unlink(missing_ok=True)
            meta.unlink(missing_ok=True)
            raise InvalidArgument(
                f"the uploaded bytes hash to {digest.hexdigest()}, not the declared sha256; upload discarded",
                field="sha256",
            )
        suffix = meta.read_text().split("\n")[1]
        os.replace(partial, self.root / f"{key}{suffix}")
        meta.unlink(missing_ok=True)
        return UploadState(key, total, total, True)

    def path_of(self, sha256: str, *, field: str) -> Path:
        """The local path of a completed upload (used to resolve `MediaRef.upload_sha256`)."""
        key = self._check_key(sha256)
        done = self._complete(key)
        if done is None:
            raise MediaNotFound(f"no completed upload with sha256 {key}", field=field)
        return done
