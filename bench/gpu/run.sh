#!/usr/bin/env bash
# The GPU benchmarks, as run on the lent H100 machine (docs/BENCHMARKS.md quotes them).
#
# That machine has torch, OpenCV, numpy and grpcio but no PyAV, OTIO or gRPC's health,
# reflection and status packages, and no network: they travel as wheels in .whl/
# (see the device notes in docs/BENCHMARKS.md). retakes itself is put on the path by
# linking its rooms into a `retakes` package, as setup.py maps them.
#
#   bash bench/gpu/run.sh [quick|full|memory|tests|decode|workers]     # results under $OUT (or bench/out)
# quick: op speeds, preview latency, end-to-end speeds, walk look-ahead side by side;
# tests: the op tests on the GPU (RETAKES_TEST_TORCH_DEVICE=cuda), then quick.
# decode: propagate end to end with the analysis walk decoding inline vs ahead (interleaved,
# twice), then memory.
# workers: propagate and passthrough end to end with 2, 3 and 4 chunk workers (interleaved):
# whether the analysis is held back by the workers it shares the process with.
set -uo pipefail
mode=${1:-full}
out=${OUT:-bench/out}
mkdir -p "$out"
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 1
pkg=/tmp/retakes-pkg/retakes
rm -rf /tmp/retakes-pkg && mkdir -p "$pkg"
ln -s "$PWD/retakes/__init__.py" "$pkg/__init__.py"
for room in engine bridge cli panel; do ln -s "$PWD/$room" "$pkg/$room"; done
ln -s "$PWD/protos/retakes/v1" "$pkg/v1"
export PYTHONPATH=/tmp/retakes-pkg:/tmp/site PYTHONUNBUFFERED=1 RETAKES_TEST_TORCH_DEVICE=cuda
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
nproc
python3 -c "import torch, cv2, av; print('torch', torch.__version__, 'cuda', torch.cuda.is_available(), 'cv2', cv2.__version__, 'av', av.__version__)"

run() { echo; echo "== $*"; "$@" 2>&1 | tee -a "$out/gpu.log"; }
if [ "$mode" = tests ]; then
  # -P and append mode: the checkout's own retakes/ (version only) must not shadow the linked package
  run python3 -P -m pytest -q -p no:cacheprovider --import-mode=append -o addopts= tests/engine/ops tests/engine/vision \
      -o timeout=0 -x
  mode=quick
fi
if [ "$mode" = workers ]; then
  for w in 2 3 4; do
    run python3 bench/edit_speed.py --device cuda --frames 240 --ops propagate,passthrough --container mov \
        --workers "$w" --chunk-frames 24 --json "$out/gpu_workers_$w.json"
  done
  exit 0
fi
if [ "$mode" = decode ]; then
  for i in 1 2; do
    for ahead in 0 2; do
      run python3 bench/edit_speed.py --device cuda --frames 240 --ops propagate --container mov \
          --workers 4 --chunk-frames 24 --decode-ahead "$ahead" --json "$out/gpu_decode_ahead_${ahead}_$i.json"
    done
  done
  mode=memory
fi
if [ "$mode" != memory ]; then
run python3 bench/flow_ops_speed.py --device cuda --threads 16 --frames 24 --ops propagate,remove \
    --lookahead 0,4 --repeat 2
run python3 bench/ops_speed.py --device cuda --frames 20
run python3 bench/preview_latency.py --device cuda --json "$out/gpu_preview.json"
run python3 bench/edit_speed.py --device cuda --frames 240 --ops propagate,relight,recolor,passthrough --container mov \
    --workers 4 --chunk-frames 24 --json "$out/gpu_edit_speed_prores.json"
fi
if [ "$mode" = full ]; then
  run python3 bench/edit_speed.py --device cuda --frames 240 --ops propagate --container mov \
      --workers 1 --chunk-frames 24 --json "$out/gpu_edit_speed_prores_1worker.json"
  run python3 bench/flow_ops_speed.py --device cuda --threads 16
fi
if [ "$mode" = memory ]; then
  run python3 bench/memory.py --ops propagate --lengths 300,1800 --device cuda --workers 4 \
      --json "$out/gpu_memory.json"
fi
