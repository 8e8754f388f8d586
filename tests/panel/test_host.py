"""The controllers know the studio only through `Host`, and each other not at all (issue 22).

A controller that imported `Studio` (even for type checking) or another controller would bring back
the import circle and let one part reach into another's state; `studio.py` only assembles them.
"""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

from retakes.panel import host
from retakes.panel import studio as studio_module

PANEL = Path(studio_module.__file__).parent
CONTROLLERS = ("clips_ctl", "viewer_ctl", "masks_ctl", "jobs", "versions_ctl", "keyframes_ctl", "review_ctl")


def imported(module: str) -> set[str]:
    tree = ast.parse((PANEL / f"{module}.py").read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            names.add((node.module or "").split(".")[-1])
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.Import):
            names.update(a.name.split(".")[-1] for a in node.names)
    return names


@pytest.mark.parametrize("module", [c for c in CONTROLLERS if (PANEL / f"{c}.py").exists()])
def test_a_controller_imports_neither_the_studio_nor_another_controller(module: str) -> None:
    names = imported(module)
    assert "Studio" not in names and "studio" not in names, f"{module} imports the studio"
    others = set(CONTROLLERS) - {module}
    assert not names & others, f"{module} imports {names & others}"
    assert "Host" in names, f"{module} should take a Host"


def test_the_studio_answers_all_of_host(studio) -> None:
    wanted = {name for name, _ in inspect.getmembers(host.Host) if not name.startswith("_")}
    wanted |= set(host.Host.__annotations__)
    missing = {name for name in wanted if not hasattr(studio, name)}
    assert not missing, f"Studio lacks {missing}"
