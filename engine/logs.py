"""Where the engine's log goes, so that "see the engine log" tells the user where to look.

`retakes engine serve` logs to its stderr, or with `--log-file PATH` to that file. A
private engine (one the CLI starts for a single command, `engine.client.private_engine`)
always logs to a file of its own under `<state>/logs/`, and errors that send the user to
the log name that file.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from .config import private_dir

_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
#: private engines' log files kept in `<state>/logs` (older ones are removed)
KEEP_PRIVATE_LOGS = 20

_log_file: Path | None = None


def configure(log_file: Path | None = None) -> None:
    """Sends the process's log to `log_file` (appended), or to stderr when None."""
    global _log_file
    _log_file = Path(log_file).absolute() if log_file else None
    if _log_file is not None:
        _log_file.parent.mkdir(parents=True, exist_ok=True)
        logging.basicConfig(level=logging.INFO, format=_FORMAT, filename=str(_log_file), force=True)
    else:
        logging.basicConfig(level=logging.INFO, format=_FORMAT)


def log_file() -> Path | None:
    return _log_file


def see_the_log() -> str:
    """The end of an internal error's message: where the traceback was written."""
    return f"see the engine log, {_log_file}" if _log_file is not None else "see the engine log"


def new_private_log(state_dir: Path) -> Path:
    """A new log file for a private engine, `<state>/logs/engine-<time>-<n>.log`; the oldest of
    the earlier ones beyond `KEEP_PRIVATE_LOGS` are removed."""
    private_dir(Path(state_dir))
    folder = private_dir(Path(state_dir) / "logs")
    old = sorted(folder.glob("engine-*.log"), key=lambda p: p.stat().st_mtime)
    for stale in old[: max(0, len(old) - (KEEP_PRIVATE_LOGS - 1))]:
        stale.unlink(missing_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    n = 0
    while True:
        path = folder / f"engine-{stamp}-{n}.log"
        try:
            path.touch(mode=0o600, exist_ok=False)
            return path
        except FileExistsError:
            n += 1
