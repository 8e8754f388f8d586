"""bench/gpu/vace.py runs (here with --tiny on the CPU; the H200 runs the published 1.3B sizes)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "gpu" / "vace.py"


def test_the_vace_bench_runs_tiny_on_the_cpu(tmp_path):
    out = tmp_path / "vace.json"
    run = subprocess.run([sys.executable, str(BENCH), "--tiny", "--device", "cpu", "--parts", "step,crop1080,windows",
                          "--step-variants", "fp32-sdpa", "--out", str(out)],
                         capture_output=True, text=True, timeout=600, env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert run.returncode == 0, run.stderr[-2000:]
    rows = json.loads(out.read_text())["rows"]
    assert [r["part"] for r in rows] == ["step", "crop1080", "windows", "windows"]
    assert all(r["seconds"] and r["seconds"] > 0 and not r["error"] for r in rows), rows
    short, long = rows[2], rows[3]
    assert long["frames"] > 2 * short["frames"] and long["windows"] > 2 * short["windows"]
    assert long["peak_host_mib"] < short["peak_host_mib"] * 1.5  # one window in memory, whatever the length
    assert "| windows" in run.stdout
