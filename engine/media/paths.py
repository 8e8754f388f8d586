"""Output-path safety: refuse a destination that would touch the source, before any work.

Source media is never written (DESIGN.md). Every check here runs before the first
frame is decoded, so a refused request leaves nothing anywhere.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from ..errors import InvalidArgument


def atomic_temp_path(dest: str | os.PathLike[str]) -> Path:
    """The hidden name an output is built under, beside `dest`, before `os.replace`.

    Same folder, so the final rename is atomic (same filesystem). The name is fixed
    rather than random so that a job resumed after a crash overwrites its own stale
    temp file instead of leaking a new one.
    """
    dest = Path(dest)
    return dest.parent / f".{dest.stem}.retakes-partial{dest.suffix}"


def file_version(path: str | os.PathLike[str]) -> tuple[int, int]:
    """(modification time in ns, size): what caches of a file's decoded content are keyed by,
    so that a file replaced or edited in place is read again."""
    stat = os.stat(path)
    return stat.st_mtime_ns, stat.st_size


def check_output_path(
    output: str | os.PathLike[str], sources: list[Path], *, field: str = "output_path"
) -> Path:
    """Returns the resolved output path, or raises InvalidArgument naming `field`."""
    out = Path(output).expanduser().resolve()
    for source in sources:
        src = Path(source).expanduser().resolve()
        if out == src:
            raise InvalidArgument(f"{out} is the source itself; sources are never overwritten", field=field)
        if src.is_dir() and out.is_relative_to(src):
            raise InvalidArgument(
                f"{out} lies inside the source image sequence {src}; write it somewhere else", field=field
            )
        if out.is_dir() and src.is_relative_to(out):
            raise InvalidArgument(f"{out} contains the source {src}; it would be replaced", field=field)
    parent = out.parent
    if not parent.is_dir():
        raise InvalidArgument(f"the folder {parent} does not exist", field=field)
    if not os.access(parent, os.W_OK | os.X_OK):
        raise InvalidArgument(f"the folder {parent} is not writable", field=field)
    return out


def publish(temp: Path, dest: Path) -> None:
    """Moves a finished temp file or directory to `dest` in one rename.

    A file replaces an existing file atomically. A directory cannot replace a non-empty
    directory in one step, so the old one is first renamed aside, then removed: `dest`
    holds the old complete output or the new complete one, never a mix.
    """
    if temp.is_dir() and dest.is_dir():
        aside = dest.parent / f".{dest.name}.retakes-old"
        shutil.rmtree(aside, ignore_errors=True)
        os.replace(dest, aside)
        os.replace(temp, dest)
        shutil.rmtree(aside, ignore_errors=True)
        return
    os.replace(temp, dest)


def remove(path: Path) -> None:
    """Deletes a temp file or directory if it is there."""
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)
