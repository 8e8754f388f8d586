"""bench/gpu/learned.py runs (here with --tiny on the CPU; the H200 runs the published sizes)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "gpu" / "learned.py"


def test_the_gpu_bench_runs_tiny_on_the_cpu(tmp_path):
    out = tmp_path / "learned.json"
    run = subprocess.run([sys.executable, str(BENCH), "--tiny", "--variants", "fp32-sdpa", "--out", str(out)],
                         capture_output=True, text=True, timeout=600, env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert run.returncode == 0, run.stderr[-2000:]
    result = json.loads(out.read_text())
    rows = result["rows"]
    assert {r["model"] for r in rows} == {"sdxl-inpaint-unet", "sdxl-vae-decode", "flux-fill-transformer",
                                          "sam2-base-plus"}
    assert all(r["seconds"] and r["seconds"] > 0 and not r["error"] for r in rows), rows
    sam = [r for r in rows if r["model"] == "sam2-base-plus"]
    assert [r["size"] for r in sam] == ["96x64, 12 frames", "96x64, 24 frames"]
    assert sam[0]["note"] == sam[1]["note"]  # what the session held is the same at both lengths
    assert "| sdxl-inpaint-unet" in run.stdout and result["versions"]["diffusers"]
