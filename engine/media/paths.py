"""Where files go: output-path safety, atomic publishing, and room on the disk.

Source media is never written (DESIGN.md). The output-path checks run before the first
frame is decoded, so a refused request leaves nothing anywhere; the free-space check
runs before a long step writes the bulk of its files.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
from pathlib import Path

from ..errors import InvalidArgument, MediaNotFound, MediaUnreadable, OutOfDiskSpace, shown

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
    return dest.parent / f".{dest.stem}{_TEMP_SUFFIX}{dest.suffix}"


def file_version(path: str | os.PathLike[str]) -> tuple[int, int]:
    """(modification time in ns, size): what caches of a file's decoded content are keyed by,
    so that a file replaced or edited in place is read again."""
    info = os.stat(path)
    return info.st_mtime_ns, info.st_size


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


#: a file name's and a whole path's length limits in bytes (NAME_MAX and PATH_MAX on Linux and
#: macOS; NTFS counts 255 UTF-16 units, which is never fewer than 255 bytes of UTF-8 need)
NAME_MAX = 255
PATH_MAX = 4096
#: what the hidden names an output is built and swapped under add to its name
_TEMP_SUFFIX = ".retakes-partial"
_OUTPUT_NAME_MAX = NAME_MAX - len(_TEMP_SUFFIX) - 1
_SPECIAL_FILES = {
    stat.S_IFIFO: "a FIFO (named pipe)",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
}


def check_path_text(text: str | os.PathLike[str], *, field: str) -> Path:
    """The path `text` names, or InvalidArgument naming `field` for one no system call could take:
    a NUL, a name or a whole path longer than the filesystem allows, a `~user` that is no user."""
    raw = os.fspath(text)
    if "\0" in raw:
        raise InvalidArgument(f"a path cannot hold a NUL character, got {shown(raw)}", field=field)
    if not raw:
        raise InvalidArgument("expected a path, got an empty one", field=field)
    encoded = os.fsencode(raw)
    if len(encoded) > PATH_MAX:
        raise InvalidArgument(f"the path is {len(encoded)} bytes long; at most {PATH_MAX}", field=field)
    for part in encoded.split(os.fsencode(os.sep)):
        if len(part) > NAME_MAX:
            raise InvalidArgument(
                f"the name {shown(os.fsdecode(part))} is {len(part)} bytes long; a file name has at most {NAME_MAX}",
                field=field,
            )
    try:
        return Path(raw).expanduser()
    except RuntimeError:  # "~nosuchuser/..."
        raise InvalidArgument(f"{shown(raw)} starts with ~ but names no user's home", field=field) from None


def _stat(path: Path, field: str) -> os.stat_result | None:
    """os.stat, None for a path that does not exist; refusals name `field`."""
    try:
        return os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except PermissionError:
        raise MediaUnreadable(f"{path} cannot be reached (check the permissions of its folders)",
                              field=field) from None
    except OSError as exc:  # a symlink loop, a name too long once links are followed
        raise InvalidArgument(f"{path} cannot be used: {exc.strerror}", field=field) from None


def special_file_kind(mode: int) -> str | None:
    """"a FIFO (named pipe)" etc. for a file that is neither a regular file nor a folder."""
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    return _SPECIAL_FILES.get(stat.S_IFMT(mode), "not a regular file")


def check_input_path(path: str | os.PathLike[str], *, field: str) -> Path:
    """Returns `path` if it is a regular file, or a folder that holds no special file; raises
    naming `field` otherwise, before anything opens it.

    Opening a FIFO with no writer, or a device, blocks (or reads forever) inside FFmpeg or
    OpenCV where no timeout reaches: each such request held one of the engine's worker threads
    for good, and a handful of them left it unable to answer anyone.
    """
    path = check_path_text(path, field=field)
    info = _stat(path, field)
    if info is None:
        raise MediaNotFound(f"{path} does not exist", field=field)
    kind = special_file_kind(info.st_mode)
    if kind is not None:
        raise InvalidArgument(f"{path} is {kind}, not a file or a folder: media is read from files", field=field)
    if stat.S_ISDIR(info.st_mode):
        try:
            entries = list(os.scandir(path))
        except PermissionError:
            raise MediaUnreadable(f"{path} exists but cannot be listed (check its permissions)", field=field) from None
        for entry in entries:
            # d_type answers without a stat for all but links, so a long sequence costs little
            if entry.is_file(follow_symlinks=False) or entry.is_dir(follow_symlinks=False):
                continue
            try:
                mode = entry.stat().st_mode
            except OSError:
                continue  # a broken link: the reader says what it makes of it
            if (kind := special_file_kind(mode)) is not None:
                raise InvalidArgument(f"{path} holds {entry.name!r}, {kind}: a folder of media holds files only",
                                      field=field)
    return path


def check_output_path(
    output: str | os.PathLike[str],
    sources: list[Path | tuple[Path, str]],
    *,
    field: str = "output_path",
    overwrite: bool = False,
) -> Path:
    """Returns the resolved output path, or raises InvalidArgument naming `field`.

    `sources` are the edit's inputs, each a path or (path, what it is to the user, e.g.
    "the plate (--plate)"): the output may be none of them, lie inside none, contain none.

    The resolved path is the one to write: `dir/nosuch/../x.mov` is `dir/x.mov` here, where
    the kernel would refuse it (`nosuch` does not exist). An existing output is replaced only
    with `overwrite` (ffmpeg's `-y`); an existing empty folder is simply filled.
    """
    try:
        out = check_path_text(output, field=field).resolve()
    except RuntimeError:  # a symlink loop (Python 3.11 raises it from resolve)
        raise InvalidArgument(f"{output} cannot be used: it leads into a loop of links", field=field) from None
    name_bytes = len(os.fsencode(out.name))
    if name_bytes > _OUTPUT_NAME_MAX:
        raise InvalidArgument(
            f"the output's name is {name_bytes} bytes long; at most {_OUTPUT_NAME_MAX} (it is written under a "
            f"hidden name {len(_TEMP_SUFFIX) + 1} bytes longer, then renamed)",
            field=field,
        )
    check_path_text(out, field=field)
    for source in sources:
        source, what = source if isinstance(source, tuple) else (source, "the source")
        src = Path(source).expanduser().resolve()
        if out == src:
            raise InvalidArgument(f"{out} is {what} itself; inputs are never overwritten", field=field)
        if src.is_dir() and out.is_relative_to(src):
            raise InvalidArgument(f"{out} lies inside {what}, the folder {src}; write it somewhere else",
                                  field=field)
        if out.is_dir() and src.is_relative_to(out):
            raise InvalidArgument(f"{out} contains {what} {src}; it would be replaced", field=field)
    info = _stat(out, field)
    if info is not None:
        kind = special_file_kind(info.st_mode)
        if kind is not None:
            raise InvalidArgument(f"{out} is {kind}; write to a new file or folder", field=field)
        if stat.S_ISDIR(info.st_mode):
            _check_replaceable_folder(out, field)
            if not overwrite and _listing(out, field):
                raise InvalidArgument(
                    f"the folder {out} already holds an earlier output; pass --overwrite to replace it",
                    field=field,
                )
        elif not overwrite:
            raise InvalidArgument(f"{out} already exists; pass --overwrite to replace it", field=field)
    parent = out.parent
    if not parent.is_dir():
        raise InvalidArgument(f"the folder {parent} does not exist", field=field)
    if not os.access(parent, os.W_OK | os.X_OK):
        raise InvalidArgument(f"the folder {parent} is not writable", field=field)
    return out


def _listing(folder: Path, field: str) -> list[str]:
    """The names in `folder`, less the files desktop file browsers drop into any folder they show."""
    try:
        return sorted(name for name in os.listdir(folder) if name not in _DESKTOP_CLUTTER)
    except PermissionError:
        raise InvalidArgument(f"the folder {folder} cannot be listed (check its permissions)", field=field) from None


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
