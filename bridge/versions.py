"""The version store: every edit retakes made, its lineage, and its review state.

One SQLite file beside the project's retakes media folder (WAL, synchronous=FULL: a version
the editor saw placed survives a power cut). Rows in `versions` are never updated or deleted
(triggers refuse it); what changes over time, status and placements and review links, is
appended to its own table, and the current status is the latest status event. Versions are
numbered v001, v002, ... per source clip, where a source clip is media content + source
range; an edit of an edit joins its parent's series.

The review module (bridge/review/) needs only: `list_versions`, `get`, `set_status`,
`add_review_link`, `review_links`, `status_history`.

Where the store lives: the panel keeps its own (its versions folder setting); the command line
uses `default_root()`, the panel's default folder, so a version made by `retakes edit` and one
made in the panel are listed together by `retakes versions`. `$RETAKES_HOME/versions` when
RETAKES_HOME is set (the folder the engine keeps its state in), so one variable moves all of a
user's retakes state.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shlex
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from ..engine.timecode import FrameRate, Timebase
from .clipref import ClipRef

STATUSES = ("draft", "in review", "approved", "rejected")
DB_NAME = "retakes-versions.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS versions (
    id INTEGER PRIMARY KEY,
    source_key TEXT NOT NULL,
    number INTEGER NOT NULL,
    clip_name TEXT NOT NULL,
    source_path TEXT NOT NULL,
    source_hash TEXT NOT NULL,
    source_start INTEGER NOT NULL,
    source_end INTEGER NOT NULL,
    source_rate TEXT NOT NULL,
    op TEXT NOT NULL,
    params TEXT NOT NULL,
    seed INTEGER NOT NULL,
    model TEXT NOT NULL,
    engine_version TEXT NOT NULL,
    output_path TEXT NOT NULL UNIQUE,
    output_sha256 TEXT NOT NULL,
    output_frames INTEGER NOT NULL,
    output_start_timecode TEXT NOT NULL,
    handle_head INTEGER NOT NULL,
    parent_id INTEGER REFERENCES versions(id),
    job_id TEXT NOT NULL,
    created_at REAL NOT NULL,
    UNIQUE (source_key, number)
);
CREATE TRIGGER IF NOT EXISTS versions_never_updated BEFORE UPDATE ON versions
BEGIN SELECT RAISE(ABORT, 'versions are never overwritten'); END;
CREATE TRIGGER IF NOT EXISTS versions_never_deleted BEFORE DELETE ON versions
BEGIN SELECT RAISE(ABORT, 'versions are never deleted'); END;
CREATE TABLE IF NOT EXISTS status_events (
    id INTEGER PRIMARY KEY,
    version_id INTEGER NOT NULL REFERENCES versions(id),
    status TEXT NOT NULL CHECK (status IN ('draft', 'in review', 'approved', 'rejected')),
    note TEXT NOT NULL,
    actor TEXT NOT NULL,
    at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS review_links (
    id INTEGER PRIMARY KEY,
    version_id INTEGER NOT NULL REFERENCES versions(id),
    service TEXT NOT NULL,
    url TEXT NOT NULL,
    note TEXT NOT NULL,
    at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS placements (
    id INTEGER PRIMARY KEY,
    version_id INTEGER NOT NULL REFERENCES versions(id),
    host TEXT NOT NULL,
    timeline TEXT NOT NULL,
    mode TEXT NOT NULL,
    item_id TEXT NOT NULL,
    track INTEGER NOT NULL,
    record_start INTEGER NOT NULL,
    record_end INTEGER NOT NULL,
    at REAL NOT NULL
);
"""


def default_root() -> Path:
    """The command line's versions folder (see the module doc)."""
    if home := os.environ.get("RETAKES_HOME"):
        return Path(home) / "versions"
    from .agent.retakes_agent import state_dir  # the panel's default, `<state dir>/versions`

    return state_dir() / "versions"


def store_file(path: str | os.PathLike | None) -> Path:
    """The store's database for a folder or a database path given by a user (None: the default)."""
    p = Path(path).expanduser() if path is not None else default_root()
    return p if p.suffix == ".sqlite" else p / DB_NAME


def content_hash(path: str | os.PathLike, *, sample: int = 1 << 20) -> str:
    """sha256 of size + first and last MiB: stable identity for large media at a glance's cost.

    Full hashes of camera originals take minutes; two different takes of one length with the
    same first and last MiB are not a case worth that price. An image sequence (a folder) is
    identified by its frames' names and sizes and the samples of its first and last frame.
    """
    p = Path(path)
    if p.is_dir():
        frames = sorted(f for f in p.iterdir() if f.is_file())
        h = hashlib.sha256("|".join(f"{f.name}:{f.stat().st_size}" for f in frames).encode())
        for f in frames[:1] + frames[-1:]:
            h.update(content_hash(f, sample=sample).encode())
        return "q1:" + h.hexdigest()
    size = p.stat().st_size
    h = hashlib.sha256(str(size).encode())
    with p.open("rb") as f:
        h.update(f.read(sample))
        if size > sample:
            f.seek(max(size - sample, sample))
            h.update(f.read(sample))
    return "q1:" + h.hexdigest()


def file_sha256(path: str | os.PathLike) -> str:
    h = hashlib.sha256()
    p = Path(path)
    files = sorted(p.iterdir()) if p.is_dir() else [p]  # a PNG-sequence output is a folder
    for f in files:
        with f.open("rb") as fh:
            for block in iter(lambda fh=fh: fh.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()


def source_key(source_hash: str, start: int, end: int) -> str:
    return hashlib.sha256(f"{source_hash}|{start}|{end}".encode()).hexdigest()[:24]


@dataclass(frozen=True)
class Version:
    id: int
    label: str  # "v001"
    number: int
    source_key: str
    clip_name: str
    source_path: str
    source_hash: str
    source_start: int
    source_end: int
    source_rate: str
    op: str
    params: dict
    seed: int
    model: str
    engine_version: str
    output_path: str
    output_sha256: str
    output_frames: int  # frames in the output: the source range plus the handles rendered
    output_start_timecode: str  # the output's first frame, in the source's timecode ("" if unknown)
    handle_head: int  # output frames before the clip's first source frame
    parent_id: int | None
    job_id: str
    created_at: float
    status: str = "draft"


@dataclass(frozen=True)
class ReviewLink:
    version_id: int
    service: str
    url: str
    note: str
    at: float


@dataclass(frozen=True)
class NewVersion:
    """What the engine made, to be recorded. Output must already exist (checksum is taken).

    The output covers `clip.range_with_handles`: handles asked for are rendered too.
    """

    clip: ClipRef
    op: str
    output_path: str
    params: dict = field(default_factory=dict)
    seed: int = 0
    model: str = ""
    engine_version: str = ""
    job_id: str = ""
    #: the version this one was made from when it is not the clip's media (a frame fix)
    parent_id: int | None = None
    #: the engine's sha256 of a single-file output (JobResult's), so a large file is not read again;
    #: empty, or a folder's (the engine hashes a PNG sequence another way): hashed here
    output_sha256: str = ""


def reservation_of(output: Path) -> Path:
    """The hidden file beside a version's output that claims its name until it is recorded."""
    return output.with_name(f".{output.name}.reserved")


class VersionStore:
    """`VersionStore.open(media_root)`; one connection per store, use from one thread."""

    def __init__(self, db_path: str | os.PathLike) -> None:
        self.path = Path(db_path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, isolation_level=None, timeout=10)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.executescript(_SCHEMA)

    @classmethod
    def open(cls, media_root: str | os.PathLike) -> VersionStore:
        return cls(Path(media_root) / DB_NAME)

    @property
    def media_root(self) -> Path:
        return self.path.parent

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> VersionStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        # IMMEDIATE takes the write lock up front, so two processes numbering the same clip
        # serialise instead of both reading "next is v002".
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise

    # ---- identity and numbering
    def parent_of(self, clip: ClipRef) -> Version | None:
        """The version whose output the clip plays, when the clip is itself a retakes version."""
        row = self._db.execute("SELECT id FROM versions WHERE output_path = ?",
                               (str(Path(clip.media_path)),)).fetchone()
        return self.get(row["id"]) if row else None

    def series_key(self, clip: ClipRef, source_hash: str | None = None) -> str:
        parent = self.parent_of(clip)
        if parent is not None:  # an edit of an edit continues the original clip's numbering
            return parent.source_key
        digest = source_hash or content_hash(clip.media_path)
        return source_key(digest, *_ends(clip))

    def next_number(self, key: str) -> int:
        row = self._db.execute("SELECT MAX(number) FROM versions WHERE source_key = ?", (key,)).fetchone()
        return (row[0] or 0) + 1

    def output_path_for(self, clip: ClipRef, extension: str = ".mov") -> Path:
        """Where the next version goes: <root>/<clip>/<clip>_v00N<ext>; never an existing file,
        nor a name already given to another caller, in this process or another (a panel and
        an agent on the same media root): the name is claimed by creating its reservation
        (`reservation_of`) exclusively, which only one caller can do. `record` drops it; a
        render that fails leaves it, and its number is not handed out again."""
        key = self.series_key(clip)
        stem = _safe(Path(clip.name).stem)
        folder = self.media_root / stem
        folder.mkdir(parents=True, exist_ok=True)
        number = self.next_number(key)
        while True:
            path = folder / f"{stem}_{label(number)}{extension}"
            if not path.exists():
                try:
                    reservation_of(path).open("x").close()
                    return path
                except FileExistsError:
                    pass  # another caller holds this name
            number += 1

    # ---- writes
    def record(self, new: NewVersion) -> Version:
        out = Path(new.output_path)
        if not out.exists():
            raise FileNotFoundError(f"the version's output {out} does not exist; nothing recorded")
        clip = new.clip
        parent = self.get(new.parent_id) if new.parent_id is not None else self.parent_of(clip)
        digest = content_hash(clip.media_path)
        key = parent.source_key if parent else source_key(digest, *_ends(clip))
        rendered = clip.range_with_handles
        start_tc = clip.source_timebase.timecode_of(rendered.start) if clip.source_timebase else ""
        row = {
            "source_key": key, "clip_name": clip.name, "source_path": clip.media_path,
            "source_hash": digest, "source_start": clip.source_range.start,
            "source_end": clip.source_range.end, "source_rate": str(clip.source_rate), "op": new.op,
            "params": json.dumps(new.params, sort_keys=True), "seed": new.seed, "model": new.model,
            "engine_version": new.engine_version, "output_path": str(out),
            "output_sha256": new.output_sha256 if new.output_sha256 and out.is_file() else file_sha256(out),
            "output_frames": len(rendered),
            "output_start_timecode": start_tc, "handle_head": clip.handles[0],
            "parent_id": parent.id if parent else None, "job_id": new.job_id, "created_at": time.time(),
        }
        with self._write() as db:
            row["number"] = self.next_number(key)
            cur = db.execute(f"INSERT INTO versions ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
                             tuple(row.values()))
            db.execute("INSERT INTO status_events (version_id, status, note, actor, at) VALUES (?,?,?,?,?)",
                       (cur.lastrowid, "draft", "created", "retakes", time.time()))
        reservation_of(out).unlink(missing_ok=True)  # the file itself now holds the name
        return self.get(cur.lastrowid)

    def set_status(self, version_id: int, status: str, *, note: str = "", actor: str = "") -> Version:
        if status not in STATUSES:
            raise ValueError(f"status must be one of {', '.join(STATUSES)}; got {status!r}")
        self.get(version_id)
        with self._write() as db:
            db.execute("INSERT INTO status_events (version_id, status, note, actor, at) VALUES (?,?,?,?,?)",
                       (version_id, status, note, actor, time.time()))
        return self.get(version_id)

    def add_review_link(self, version_id: int, url: str, *, service: str = "local",
                        note: str = "") -> ReviewLink:
        self.get(version_id)
        at = time.time()
        with self._write() as db:
            db.execute("INSERT INTO review_links (version_id, service, url, note, at) VALUES (?,?,?,?,?)",
                       (version_id, service, url, note, at))
        return ReviewLink(version_id, service, url, note, at)

    def record_placement(self, version_id: int, *, host: str, timeline: str, mode: str, item_id: str,
                         track: int, record_start: int, record_end: int) -> None:
        with self._write() as db:
            db.execute(
                "INSERT INTO placements (version_id, host, timeline, mode, item_id, track, record_start, "
                "record_end, at) VALUES (?,?,?,?,?,?,?,?,?)",
                (version_id, host, timeline, mode, item_id, track, record_start, record_end, time.time()))

    # ---- reads
    def get(self, version_id: int) -> Version:
        row = self._db.execute(f"{_SELECT} WHERE v.id = ?", (version_id,)).fetchone()
        if row is None:
            raise KeyError(f"no version with id {version_id}")
        return _version(row)

    def list_versions(self, *, source_key: str | None = None, status: str | None = None) -> list[Version]:
        versions = [_version(r) for r in self._db.execute(f"{_SELECT} ORDER BY v.source_key, v.number")]
        return [v for v in versions if (source_key is None or v.source_key == source_key)
                and (status is None or v.status == status)]

    def versions_of(self, clip: ClipRef) -> list[Version]:
        return self.list_versions(source_key=self.series_key(clip))

    def status_history(self, version_id: int) -> list[tuple[str, str, str, float]]:
        rows = self._db.execute("SELECT status, note, actor, at FROM status_events "
                                "WHERE version_id = ? ORDER BY id", (version_id,))
        return [(r["status"], r["note"], r["actor"], r["at"]) for r in rows]

    def review_links(self, version_id: int) -> list[ReviewLink]:
        rows = self._db.execute("SELECT * FROM review_links WHERE version_id = ? ORDER BY id", (version_id,))
        return [ReviewLink(r["version_id"], r["service"], r["url"], r["note"], r["at"]) for r in rows]

    def placements(self, version_id: int) -> list[dict]:
        rows = self._db.execute("SELECT * FROM placements WHERE version_id = ? ORDER BY id", (version_id,))
        return [dict(r) for r in rows]

    def find_version(self, given: str) -> Version:
        """The version `given` names: `KEY:v002` (a unique start of the clip key and the label),
        or its media (the store's own copy, or the output it was recorded from)."""
        key, sep, tag = given.strip().rpartition(":")
        if sep and re.fullmatch(r"v\d+", tag) and key and "/" not in key:
            number = int(tag[1:])
            found = [v for v in self.list_versions(source_key=self.clip_key(key)) if v.number == number]
            if not found:
                raise LookupError(f"clip {key} has no version {tag} (see `retakes versions show {key}`)")
            return found[0]
        media = Path(given).expanduser()
        for version in reversed(self.list_versions()):
            if same_media(version.output_path, media):
                return version
        raise LookupError(f"{given!r} is neither KEY:vNNN nor the media of a version in {self.path} "
                          "(see `retakes versions`)")

    def clip_key(self, given: str) -> str:
        """The clip key that `given` names: the whole key or a unique prefix of it, as git takes ids."""
        given = given.strip().lower()
        if not given:
            raise LookupError("expected a clip key (see `retakes versions`)")
        rows = self._db.execute("SELECT DISTINCT source_key FROM versions WHERE substr(source_key, 1, ?) = ?",
                                (len(given), given)).fetchall()
        if not rows:
            raise LookupError(f"no clip key starts with {given[:40]!r} in {self.path} (see `retakes versions`)")
        if len(rows) > 1:
            raise LookupError(f"{given!r} is the start of {len(rows)} clip keys; give more of it")
        return rows[0][0]


def same_media(a: str | os.PathLike, b: str | os.PathLike) -> bool:
    """Whether two paths hold the same media: the same file, or PNG-sequence folders whose
    frames are the same files (the store keeps a folder of hard links to an output folder)."""
    try:
        if os.path.samefile(a, b):
            return True
        pa, pb = Path(a), Path(b)
        if not (pa.is_dir() and pb.is_dir()):
            return False
        fa, fb = sorted(pa.iterdir()), sorted(pb.iterdir())
        return bool(fa) and len(fa) == len(fb) and all(os.path.samefile(x, y) for x, y in zip(fa, fb, strict=True))
    except OSError:  # an output since removed, or on a disk not mounted now
        return False


def describe_params(params: dict) -> str:
    """Parameters as the command-line options that would ask for them: `--hue 30 --mask m.png`.

    Paths show their file name (lineage is read beside the media, and the review page must not
    show a reviewer where files live); strings that need it are shell-quoted (`'#1E8CDC'`).
    """
    words = []
    for name, value in sorted(params.items()):
        if value is None or value == "" or value == []:
            continue
        words.append("--" + name.replace("_", "-"))
        words.append(_param_word(value))
    return " ".join(words)


def _param_word(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else f"{value:g}"
    if isinstance(value, (list, tuple)):
        return ",".join(_param_word(v) for v in value)
    if isinstance(value, dict):
        return shlex.quote(json.dumps(value, sort_keys=True))
    text = str(value)
    if os.path.isabs(text):
        text = Path(text).name
    return shlex.quote(text)


def describe_edit(version: Version, parent: Version | None = None) -> str:
    """One line: `v002 <- v001: recolor --hue 30` (`<- original` for an edit of the source)."""
    made = f"{version.op} {describe_params(version.params)}".strip()
    return f"{version.label} <- {parent.label if parent else 'original'}: {made}"


def describe_source(version: Version) -> str:
    """One line: the source by file name, its frames and timecodes, and the seed."""
    rate = FrameRate.parse(version.source_rate)
    where = f"frames {version.source_start}:{version.source_end}"
    if version.output_start_timecode:
        tb = Timebase.from_start_timecode(rate, version.output_start_timecode)
        first = version.handle_head  # the output's first frame is `handle_head` frames before the range
        length = version.source_end - version.source_start
        where += f" ({tb.timecode_of(first)}-{tb.timecode_of(first + length)})"
    fps = f"{float(rate.value):.3f}".rstrip("0").rstrip(".")
    return f"from {Path(version.source_path).name}, {where} at {fps} fps, seed {version.seed}"


_SELECT = (
    "SELECT v.*, (SELECT status FROM status_events s WHERE s.version_id = v.id ORDER BY s.id DESC LIMIT 1) "
    "AS status FROM versions v"
)


def _ends(clip: ClipRef) -> tuple[int, int]:
    return clip.source_range.start, clip.source_range.end


def label(number: int) -> str:
    return f"v{number:03d}"


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name) or "clip"


def _version(row: sqlite3.Row) -> Version:
    d = dict(row)
    d["params"] = json.loads(d["params"])
    return Version(label=label(d["number"]), **d)
