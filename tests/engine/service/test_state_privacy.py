"""The engine's state is the user's alone: the state folder 0700, the job database and
uploads 0600 (issue 13, item 26); finished jobs leave no chunk rows behind."""

from __future__ import annotations

import hashlib
import os
import stat
from fractions import Fraction
from pathlib import Path

import pytest

from retakes.engine.client import EngineClient
from retakes.engine.logs import new_private_log
from retakes.engine.media.synthetic import write_index_clip
from retakes.engine.timecode import FrameRate
from retakes.v1 import engine_pb2
from tests.support.engines import running_engine

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def permissive_umask():
    """The umask many desktops run with (0022): what made the state readable by everyone."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_a_new_state_folder_and_everything_in_it_are_private(short_tmp, permissive_umask, tmp_path):
    home = short_tmp / "home"
    clip = write_index_clip(tmp_path / "src.mov", frames=20, rate=FrameRate(Fraction(25)), size=(64, 48),
                            codec="prores_422hq", audio=False)
    with running_engine(home, tcp=True, chunk_frames=8) as engine:
        with EngineClient(engine.tcp_target, token=engine.running.token) as remote:
            key = remote.upload(clip)
            request = engine_pb2.EditRequest(source=engine_pb2.MediaRef(upload_sha256=key), output_path="out.mov",
                                             op="relight")
            job = remote.run_edit(request)
        assert job.state == engine_pb2.JOB_STATE_SUCCEEDED, job.error
        store = engine.running.engine.store
        assert store.chunks(job.id) == []  # three chunks were recorded while it ran
        uploaded = engine.running.engine.uploads.path_of(key, field="source")
        assert hashlib.sha256(uploaded.read_bytes()).hexdigest() == key
        for folder in (home, home / "uploads", home / "work", home / "outputs"):
            assert mode(folder) == 0o700, folder
        db = home / "jobs.sqlite3"
        for path in (db, Path(f"{db}-wal"), Path(f"{db}-shm"), uploaded):
            assert mode(path) == 0o600, path
    log = new_private_log(home)
    assert mode(log) == 0o600 and mode(log.parent) == 0o700


def test_an_existing_open_state_folder_is_made_private(short_tmp, permissive_umask, caplog):
    home = short_tmp / "home"
    db = home / "jobs.sqlite3"
    with running_engine(home):  # an engine of before the fix left its database open to all
        pass
    for path in (home, home / "uploads", db, Path(f"{db}-wal"), Path(f"{db}-shm")):
        if path.exists():
            os.chmod(path, 0o777 if path.is_dir() else 0o644)
    with running_engine(home):
        assert mode(home) == 0o700 and mode(home / "uploads") == 0o700
        for path in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
            assert mode(path) == 0o600, path
    assert any("now 0700" in r.getMessage() for r in caplog.records)
