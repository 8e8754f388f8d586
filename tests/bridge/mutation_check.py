"""Mutation check (issue 21): break the product on purpose, in a scratch copy, and see which tests notice.

    .venv/bin/python tests/bridge/mutation_check.py [NAME ...] [-- PYTEST ARGS]

Copies the tracked files (`git ls-files`) into a temporary folder, maps the rooms into a
`retakes` package there the way setup.py does (so the scratch copy is imported, not the editable
install), applies one mutation, runs the bridge tests and lists the tests that failed. The
checkout itself is never touched. Exit status 0 when every mutation run was caught.
Not collected by pytest (no test_ prefix).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ROOMS = {"bridge": "bridge", "engine": "engine", "panel": "panel", "cli": "cli", "v1": "protos/retakes/v1"}

# name: (file, exact text, replacement, what it breaks)
MUTATIONS = {
    "marker-colour-place": (
        "bridge/resolve/place.py", 'MARKER_COLOR = "Purple"', 'MARKER_COLOR = "Violet"',
        "the version marker in a clip colour (Violet) that AddMarker refuses",
    ),
    "marker-colour-review": (
        "bridge/review/markers.py", 'COLORS = {"frameio": "Cyan", "local": "Sky"}',
        'COLORS = {"frameio": "Teal", "local": "Navy"}',
        "review notes as markers in clip colours (Teal, Navy) that AddMarker refuses",
    ),
    "clip-colour-place": (
        "bridge/resolve/place.py", 'LATEST_COLOR, OUTDATED_COLOR = "Lime", "Tan"',
        'LATEST_COLOR, OUTDATED_COLOR = "Cyan", "Sand"',
        "version clip colours in marker colours (Cyan, Sand) that SetClipColor refuses",
    ),
    "record-frames-as-source-frames": (
        "bridge/resolve/place.py", "extent = source_extent(duration, rate, clip.timeline.rate)",
        "extent = Fraction(duration)",
        "endFrame = offset + record duration (the mixed-rate bug of issue 13 item 14)",
    ),
}


def scratch_copy(dest: Path) -> Path:
    """The tracked files under dest/src, with src/retakes mapping the rooms into one package."""
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    src = dest / "src"
    for name in filter(None, files.decode().split("\0")):
        if (ROOT / name).is_file():
            (src / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, src / name)
    package = src / "retakes"  # the top package, completed with its rooms (cwd is on sys.path)
    for sub, folder in ROOMS.items():
        (package / sub).symlink_to(src / folder, target_is_directory=True)
    return src


def run(name: str, pytest_args: list[str]) -> list[str]:
    with tempfile.TemporaryDirectory(prefix="retakes-mutant-") as tmp:
        src = scratch_copy(Path(tmp))
        if name != "control":
            path, old, new, _ = MUTATIONS[name]
            target = src / path
            text = target.read_text()
            if text.count(old) != 1:
                raise SystemExit(f"{name}: {path} no longer holds {old!r} exactly once; update the mutation")
            target.write_text(text.replace(old, new))
        env = {**os.environ, "PYTHONPATH": str(src), "PYTHONDONTWRITEBYTECODE": "1"}
        origin = subprocess.run([sys.executable, "-c", "import retakes.bridge.resolve.place as m; print(m.__file__)"],
                                cwd=src, env=env, capture_output=True, text=True, check=True).stdout.strip()
        if not Path(origin).resolve().is_relative_to(Path(tmp).resolve()):
            raise SystemExit(f"the scratch copy is not what gets imported ({origin})")
        done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rf",
                               *(pytest_args or ["tests/bridge"])], cwd=src, env=env, capture_output=True, text=True)
        return sorted({re.sub(r"\[.*?\]", "", m) for m in re.findall(r"^FAILED (\S+)", done.stdout, re.M)})


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    names, pytest_args = (argv[:argv.index("--")], argv[argv.index("--") + 1:]) if "--" in argv else (argv, [])
    unknown = [n for n in names if n not in MUTATIONS and n != "control"]
    if unknown:
        raise SystemExit(f"unknown mutation {unknown[0]!r}; known: control, {', '.join(MUTATIONS)}")
    bad = []
    for name in names or list(MUTATIONS):
        failed = run(name, pytest_args)
        if name == "control":
            print("control (no mutation): " + ("clean" if not failed else "FAILED: " + ", ".join(failed)))
            bad += [name] if failed else []
            continue
        print(f"{name}: {MUTATIONS[name][3]}")
        print("  caught by: " + ("\n             ".join(failed) if failed else "NOTHING (survived)"), flush=True)
        bad += [] if failed else [name]
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
