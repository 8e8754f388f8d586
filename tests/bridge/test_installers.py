"""The Resolve agent installer against temporary home folders, for each OS's path rules."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from retakes.bridge.agent import retakes_agent

_spec = importlib.util.spec_from_file_location(
    "resolve_agent_installer", Path(__file__).parents[2] / "installers" / "resolve_agent.py"
)
installer = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(installer)

CASES = [
    (
        "darwin",
        False,
        "home/Library/Application Support/Blackmagic Design/DaVinci Resolve/Fusion/Scripts/Utility",
    ),
    (
        "darwin",
        True,
        "root/Library/Application Support/Blackmagic Design/DaVinci Resolve/Fusion/Scripts/Utility",
    ),
    ("win32", False, "home/AppData/Roaming/Blackmagic Design/DaVinci Resolve/Support/Fusion/Scripts/Utility"),
    ("win32", True, "ProgramData/Blackmagic Design/DaVinci Resolve/Fusion/Scripts/Utility"),
    ("linux", False, "home/.local/share/DaVinciResolve/Fusion/Scripts/Utility"),
    ("linux", True, "root/opt/resolve/Fusion/Scripts/Utility"),
]


@pytest.mark.parametrize(
    "platform, all_users, expected", CASES, ids=[f"{p}-{'all' if a else 'user'}" for p, a, _ in CASES]
)
def test_install_and_uninstall_cleanly(
    tmp_path: Path, capsys, platform: str, all_users: bool, expected: str
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    env = {
        "HOME": str(home),
        "APPDATA": str(home / "AppData" / "Roaming"),
        "PROGRAMDATA": str(tmp_path / "ProgramData"),
    }
    flags = ["--all-users"] if all_users else []
    if all_users and platform != "win32":  # Windows' all-users folder comes from %PROGRAMDATA%
        flags += ["--root", str(tmp_path / "root")]
    folder = tmp_path / expected
    folder.mkdir(parents=True)
    (folder / "someone_elses_script.py").write_text("print('hi')")

    assert (
        installer.main(
            ["install", "--python", "/opt/retakes/bin/python", *flags], platform=platform, env=env, home=home
        )
        == 0
    )
    printed = capsys.readouterr().out
    assert str(folder / "retakes.py") in printed and "/opt/retakes/bin/python" in printed
    assert (folder / "retakes.py").read_text() == Path(retakes_agent.__file__).read_text()
    assert json.loads((folder / "retakes_agent.json").read_text())["python"] == "/opt/retakes/bin/python"
    if platform in ("darwin", "win32"):
        assert ("PYTHON3HOME" if platform == "darwin" else "FUSION_PYTHON3_HOME") in printed

    assert installer.main(["uninstall", *flags], platform=platform, env=env, home=home) == 0
    assert sorted(p.name for p in folder.iterdir()) == ["someone_elses_script.py"]
    assert "removed" in capsys.readouterr().out
    installer.main(["uninstall", *flags], platform=platform, env=env, home=home)
    assert "nothing to remove" in capsys.readouterr().out
    others = [p for p in tmp_path.rglob("*") if p.is_file() and p.parent != folder]
    assert others == []  # nothing written anywhere else


def test_uninstall_leaves_a_foreign_retakes_py_alone(tmp_path: Path) -> None:
    folder = installer.scripts_dir("linux", False, {}, tmp_path)
    folder.mkdir(parents=True)
    (folder / "retakes.py").write_text("# a different tool that happens to share the name\n")
    lines = installer.uninstall("linux", False, {}, tmp_path)
    assert "not the retakes agent" in lines[0] and (folder / "retakes.py").exists()


def test_installed_agent_runs_standalone(tmp_path: Path) -> None:
    """The copy in the Scripts folder must work with no retakes package next to it."""
    installer.install("linux", False, {}, tmp_path, "/usr/bin/python3")
    folder = installer.scripts_dir("linux", False, {}, tmp_path)
    spec = importlib.util.spec_from_file_location("installed_agent", folder / "retakes.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.check_host("DaVinci Resolve Studio", [21, 0, 4, 7, ""])[0] is True
