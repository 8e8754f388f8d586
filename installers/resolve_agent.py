"""Install or uninstall the retakes agent in DaVinci Resolve's Scripts menu (user or all users).

    python installers/resolve_agent.py install   [--all-users] [--python PATH] [--root DIR]
    python installers/resolve_agent.py uninstall [--all-users] [--root DIR]

Installs two files into Resolve's `Fusion/Scripts/Utility` folder (listed on every page as
Workspace > Scripts > retakes): `retakes.py`, the stdlib-only agent, and `retakes_agent.json`,
which records the Python that has retakes installed (the agent starts the panel with it).
Uninstall removes exactly those two files, and only when they are retakes'. Every action is
printed. `--root` stages into a folder (packaging, tests). Standard library only.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import sys
from pathlib import Path

SCRIPT_NAME, CONFIG_NAME = "retakes.py", "retakes_agent.json"
MARKER = "retakes in-app agent for DaVinci Resolve"  # first docstring line of the agent
_BMD = ("Blackmagic Design", "DaVinci Resolve")


def scripts_dir(platform: str, all_users: bool, env: dict, home: Path) -> Path:
    """Resolve's Scripts/Utility folder (README "Scripts / Utility folders")."""
    if platform == "darwin":
        base = Path("/Library") if all_users else home / "Library"
        return base / "Application Support" / Path(*_BMD) / "Fusion" / "Scripts" / "Utility"
    if platform.startswith("win"):
        if all_users:
            return (
                Path(env.get("PROGRAMDATA", r"C:\ProgramData"))
                / Path(*_BMD)
                / "Fusion"
                / "Scripts"
                / "Utility"
            )
        appdata = Path(
            env.get("APPDATA") or home / "AppData" / "Roaming"
        )  # %APPDATA% ends in Roaming already
        return appdata / Path(*_BMD) / "Support" / "Fusion" / "Scripts" / "Utility"
    if all_users:
        base = Path("/home/resolve") if Path("/home/resolve/Fusion").is_dir() else Path("/opt/resolve")
        return base / "Fusion" / "Scripts" / "Utility"
    return home / ".local" / "share" / "DaVinciResolve" / "Fusion" / "Scripts" / "Utility"


def _staged(path: Path, root: Path | None) -> Path:
    if root is None:
        return path
    return root / Path(*path.parts[1:]) if path.is_absolute() else root / path


def agent_source() -> Path:
    spec = importlib.util.find_spec("retakes.bridge.agent.retakes_agent")
    if spec and spec.origin:
        return Path(spec.origin)
    return Path(__file__).resolve().parent.parent / "bridge" / "agent" / "retakes_agent.py"


def python_notes(platform: str, python: str) -> list[str]:
    """What Resolve needs to find a Python for menu scripts (the agent needs only the stdlib)."""
    if platform == "darwin":
        return [
            "Resolve runs menu scripts with the Python 3 in $PYTHON3HOME, else /usr/local/bin/python3; "
            "Homebrew/pyenv/conda are not found. If neither exists, run: "
            f"launchctl setenv PYTHON3HOME {Path(python).resolve().parent.parent}"
        ]
    if platform.startswith("win"):
        return [
            "Resolve loads Python from %FUSION_PYTHON3_HOME%, else the registry. With several Pythons "
            f"installed, set FUSION_PYTHON3_HOME to one 64-bit install (e.g. {Path(python).parent})."
        ]
    return ["Resolve runs menu scripts with the system python3 (21.1+: its bundled ResolvePython)."]


def install(
    platform: str, all_users: bool, env: dict, home: Path, python: str, root: Path | None = None
) -> list[str]:
    target = _staged(scripts_dir(platform, all_users, env, home), root)
    done = []
    if not target.is_dir():
        target.mkdir(parents=True)
        done.append(f"created {target}")
    shutil.copyfile(agent_source(), target / SCRIPT_NAME)
    done.append(f"installed the agent as {target / SCRIPT_NAME} (Workspace > Scripts > retakes)")
    config = {"python": python, "call_timeout": 20.0, "scope": "all users" if all_users else "user"}
    (target / CONFIG_NAME).write_text(json.dumps(config, indent=2))
    done.append(f"wrote {target / CONFIG_NAME}: the panel starts with {python}")
    return done + python_notes(platform, python)


def uninstall(platform: str, all_users: bool, env: dict, home: Path, root: Path | None = None) -> list[str]:
    target = _staged(scripts_dir(platform, all_users, env, home), root)
    done = []
    script, config = target / SCRIPT_NAME, target / CONFIG_NAME
    if script.exists():
        if MARKER not in script.read_text(errors="replace")[:400]:
            return [f"left {script} alone: it is not the retakes agent"]
        script.unlink()
        done.append(f"removed {script}")
    if config.exists():
        config.unlink()
        done.append(f"removed {config}")
    return done or [f"nothing to remove in {target}"]


def main(
    argv: list[str] | None = None,
    *,
    platform: str | None = None,
    env: dict | None = None,
    home: Path | None = None,
) -> int:
    parser = argparse.ArgumentParser(prog="resolve_agent", description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=["install", "uninstall"])
    parser.add_argument(
        "--all-users", action="store_true", help="the machine-wide Scripts folder (needs admin)"
    )
    parser.add_argument("--python", default=sys.executable, help="the Python retakes is installed in")
    parser.add_argument("--root", type=Path, help="stage under this folder instead of /")
    args = parser.parse_args(argv)
    platform, env = platform or sys.platform, dict(os.environ if env is None else env)
    home = home or Path(env.get("HOME") or env.get("USERPROFILE") or Path.home())
    try:
        if args.action == "install":
            lines = install(platform, args.all_users, env, home, args.python, args.root)
        else:
            lines = uninstall(platform, args.all_users, env, home, args.root)
    except PermissionError as exc:
        print(
            f"retakes: permission denied ({exc.filename}); all-users installs need an administrator",
            file=sys.stderr,
        )
        return 1
    for line in lines:
        print(f"retakes: {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
