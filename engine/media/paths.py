"""Where files go: output-path safety, atomic publishing, and room on the disk.

Source media is never written (DESIGN.md). The output-path checks run before the first
frame is decoded, so a refused request leaves nothing anywhere; the free-space check
runs before a long step writes the bulk of its files.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from ..errors import InvalidArgument, OutOfDiskSpace

#: left free beyond what a step says it needs: the output's segments, the OS, other programs
FREE_SPACE_MARGIN = 1 << 30
#: what an earlier PNG-sequence output holds (00000.png ...), plus the files desktop file
#: browsers drop into any folder they show; anything else is someone's work.
_SEQUENCE_OUTPUT_FILE = re.compile(r"\d+\.png")
_DESKTOP_CLUTTER = {".DS_Store", "Thumbs.db", "desktop.ini"}


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


def require_free_space(folder: Path, need: int, *, what: str) -> None:
    """Refuses a step whose files (about `need` bytes) would not fit on `folder`'s disk.

    Called before the step writes most of them, so a clip too long for the disk fails in
    seconds with the reason, not hours later with a disk full for everyone.
    """
    free = shutil.disk_usage(folder).free
    if need + FREE_SPACE_MARGIN > free:
        raise OutOfDiskSpace(
            f"{what} needs about {_gib(need)} in {folder} and that disk has {_gib(free)} free "
            f"(plus {_gib(FREE_SPACE_MARGIN)} kept spare); free some space, or set RETAKES_HOME "
            "to a folder on a larger disk"
        )


def _gib(n: int) -> str:
    return f"{n / (1 << 30):.1f} GiB"


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
    if out.is_dir():
        _check_replaceable_folder(out, field)
    parent = out.parent
    if not parent.is_dir():
        raise InvalidArgument(f"the folder {parent} does not exist", field=field)
    if not os.access(parent, os.W_OK | os.X_OK):
        raise InvalidArgument(f"the folder {parent} is not writable", field=field)
    return out


def _check_replaceable_folder(out: Path, field: str) -> None:
    """Refuses an existing folder that holds anything but an earlier PNG-sequence output.

    A PNG-sequence output replaces its folder whole (`publish`), so `-o ~/Desktop` would
    otherwise delete the desktop. An empty folder, or one a previous run wrote, is fine.
    """
    try:
        foreign = sorted(
            entry.name
            for entry in out.iterdir()
            if entry.name not in _DESKTOP_CLUTTER
            and not (_SEQUENCE_OUTPUT_FILE.fullmatch(entry.name) and entry.is_file())
        )
    except PermissionError:
        raise InvalidArgument(f"the folder {out} cannot be listed (check its permissions)", field=field) from None
    if foreign:
        shown = ", ".join(foreign[:3]) + (f" and {len(foreign) - 3} more" if len(foreign) > 3 else "")
        raise InvalidArgument(
            f"the folder {out} already holds other files ({shown}); a PNG-sequence output replaces "
            "its whole folder, so give a new or empty folder",
            field=field,
        )


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
