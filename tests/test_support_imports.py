"""The suite's own layout: any subset of it collects, whatever was loaded before (issue 21, item 6).

pytest imports every `conftest.py` under the one module name `conftest`, so a test file that
did `from conftest import X` got whichever conftest was loaded last: `pytest A B` passed and
`pytest B A` failed at collection. Shared helpers live in `tests/support/` instead.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).parent
# Scripts run as a child process (not imported by pytest) may set their own path.
SCRIPTS = {TESTS / "engine" / "jobs" / "crash_child.py"}


def test_no_test_imports_a_conftest_or_edits_the_import_path():
    offenders = []
    for path in sorted(TESTS.rglob("*.py")):
        text = path.read_text()
        for line_no, line in enumerate(text.splitlines(), 1):
            if re.match(r"\s*(from\s+\.*conftest\s+import|import\s+conftest)\b", line):
                offenders.append(f"{path.relative_to(TESTS)}:{line_no}: {line.strip()}")
            if "sys.path.insert" in line and path not in SCRIPTS and path != Path(__file__):
                offenders.append(f"{path.relative_to(TESTS)}:{line_no}: {line.strip()}")
    assert not offenders, "import shared helpers from tests.support instead:\n" + "\n".join(offenders)


@pytest.mark.parametrize("order", [1, -1], ids=["media-first", "review-first"])
def test_folders_whose_conftests_once_clashed_collect_in_either_order(order):
    folders = ["tests/engine/media/test_media_decode.py", "tests/bridge/review/test_review_framestamps.py",
               "tests/bridge/test_place.py", "tests/engine/jobs/test_job_store.py"][::order]
    run = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *folders],
                         cwd=TESTS.parent, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
