"""The private engine's log: in a file the user is told about, never in an unread pipe."""

from __future__ import annotations

import subprocess
import time

import pytest

from retakes.engine import client
from retakes.engine.client import EngineClient, EngineError, private_engine


def _wait_for(predicate, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "not reached in time"
        time.sleep(0.05)


def test_the_private_engine_logs_to_a_file_under_the_state_folder(short_tmp, monkeypatch):
    popen = subprocess.Popen
    streams = []

    def spy(*args, **kwargs):
        streams.append((kwargs.get("stdout"), kwargs.get("stderr")))
        return popen(*args, **kwargs)

    monkeypatch.setattr(client.subprocess, "Popen", spy)
    home = short_tmp / "home"
    with private_engine(home) as target, EngineClient(target) as engine:
        assert engine.healthy()
        logs = list((home / "logs").glob("engine-*.log"))
        assert len(logs) == 1
        _wait_for(lambda: "listening" in logs[0].read_text())
    assert subprocess.PIPE not in streams[0]  # a chatty engine can no longer fill a pipe and stall


def test_a_private_engine_that_cannot_start_names_its_log(short_tmp):
    home = short_tmp / "home"
    (home / "jobs.sqlite3").mkdir(parents=True)  # the job database cannot be opened
    with pytest.raises(EngineError) as err:
        private_engine(home, startup_timeout=60).__enter__()
    logs = list((home / "logs").glob("engine-*.log"))
    assert len(logs) == 1 and str(logs[0]) in str(err.value)
    assert "Traceback" in logs[0].read_text()


def test_old_private_logs_are_pruned(short_tmp):
    from retakes.engine.logs import KEEP_PRIVATE_LOGS, new_private_log

    made = [new_private_log(short_tmp) for _ in range(KEEP_PRIVATE_LOGS + 5)]
    kept = sorted((short_tmp / "logs").glob("engine-*.log"))
    assert len(kept) == KEEP_PRIVATE_LOGS and made[-1] in kept
