"""Review state that is not the version store's: notes, and where each version lives on Frame.io.

SQLite (stdlib, WAL) in one file next to the version store. Notes are keyed by their stable
id, so inserting a note that is already there is a no-op: the local page, a Frame.io pull
and a webhook may all deliver the same note. Status and the review link are not kept here;
they go to the version store, which owns them.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from .notes import Note

#: the ledger's file, beside the version store's database
LEDGER_NAME = "retakes-review.sqlite"

SCHEMA = """
CREATE TABLE IF NOT EXISTS notes (
    id TEXT PRIMARY KEY, version_id TEXT NOT NULL, frame INTEGER NOT NULL, duration INTEGER NOT NULL,
    text TEXT NOT NULL, author TEXT NOT NULL DEFAULT '', source TEXT NOT NULL, created_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS notes_by_version ON notes(version_id, frame);
CREATE TABLE IF NOT EXISTS frameio_files (
    version_id TEXT PRIMARY KEY, clip_id TEXT NOT NULL, file_id TEXT NOT NULL,
    version_stack_id TEXT, share_url TEXT
);
CREATE TABLE IF NOT EXISTS frameio_originals (clip_id TEXT PRIMARY KEY, file_id TEXT NOT NULL);
"""


@dataclass(frozen=True)
class RemoteFile:
    version_id: str
    clip_id: str
    file_id: str
    version_stack_id: str | None
    share_url: str | None


class ReviewLedger:
    def __init__(self, path: Path | str) -> None:
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()  # the review server answers on several threads
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.executescript(SCHEMA)

    def close(self) -> None:
        self._db.close()

    # -- notes ---------------------------------------------------------------------------------
    def add_note(self, note: Note) -> bool:
        """True when the note is new."""
        with self._lock:
            cur = self._db.execute(
                "INSERT OR IGNORE INTO notes VALUES (?,?,?,?,?,?,?,?)",
                (
                    note.id,
                    note.version_id,
                    note.frame,
                    note.duration,
                    note.text,
                    note.author,
                    note.source,
                    time.time(),
                ),
            )
            return cur.rowcount == 1

    def notes(self, version_id: str) -> list[Note]:
        with self._lock:
            rows = self._db.execute(
                "SELECT id, version_id, frame, duration, text, author, source FROM notes "
                "WHERE version_id=? ORDER BY frame, created_at",
                (version_id,),
            ).fetchall()
        return [Note(*row) for row in rows]

    # -- Frame.io placement ------------------------------------------------------------------------
    def set_remote(self, remote: RemoteFile) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO frameio_files VALUES (?,?,?,?,?)",
                (
                    remote.version_id,
                    remote.clip_id,
                    remote.file_id,
                    remote.version_stack_id,
                    remote.share_url,
                ),
            )

    def remote(self, version_id: str) -> RemoteFile | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM frameio_files WHERE version_id=?", (version_id,)).fetchone()
        return RemoteFile(*row) if row else None

    def remote_by_file(self, file_id: str) -> RemoteFile | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM frameio_files WHERE file_id=?", (file_id,)).fetchone()
        return RemoteFile(*row) if row else None

    def remotes(self, clip_id: str) -> list[RemoteFile]:
        with self._lock:
            rows = self._db.execute("SELECT * FROM frameio_files WHERE clip_id=?", (clip_id,)).fetchall()
        return [RemoteFile(*r) for r in rows]

    def set_original_file(self, clip_id: str, file_id: str) -> None:
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO frameio_originals VALUES (?,?)", (clip_id, file_id))

    def original_file(self, clip_id: str) -> str | None:
        with self._lock:
            row = self._db.execute(
                "SELECT file_id FROM frameio_originals WHERE clip_id=?", (clip_id,)
            ).fetchone()
        return row[0] if row else None
