#!/usr/bin/env bash
# The GPU benchmarks, as run on the lent H100 machine (docs/BENCHMARKS.md quotes them).
#
# That machine has torch, OpenCV, numpy and grpcio but no PyAV, OTIO or gRPC's health,
# reflection and status packages, and no network: they travel as wheels in .whl/
# (see the device notes in docs/BENCHMARKS.md). retakes itself is put on the path by
# linking its rooms into a `retakes` package, as setup.py maps them.
#
#   bash bench/gpu/run.sh [install|quick|full|memory|tests|decode|workers|ceiling|gil|ab|abmemory|sample|cvthreads|verify|decoders|learned|models|vace|ray|sidebyside|quality|profile]  # results under $OUT (or bench/out)
# quick: op speeds, preview latency, end-to-end speeds, walk look-ahead side by side;
# tests: the op tests on the GPU (RETAKES_TEST_TORCH_DEVICE=cuda), then quick.
# verify: the same tests, then memory.
# decoders: propagate and passthrough end to end on real footage with each chunk decoder's
# frame threads at the engine's choice (the cores shared among the workers) and at FFmpeg's
# default (one per core each), interleaved, twice.
# decode: propagate end to end with the analysis walk decoding inline vs ahead (interleaved,
# twice), then memory.
# workers: propagate and passthrough end to end with 2, 3 and 4 chunk workers (interleaved):
# whether the analysis is held back by the workers it shares the process with.
# ceiling: propagate and passthrough end to end on the generated scene and on real footage
# (davis-dev clips carried in .davis/, as `carry` takes them), with each run's cores busy,
# then propagate's analysis alone: what bounds propagate on this machine.
# gil: propagate end to end on real footage with the interpreter's switch interval at 5 ms
# (Python's default), 1 ms and 0.2 ms, interleaved, twice: whether the analysis thread waits
# for the interpreter lock behind the render workers.
# ab: propagate end to end on the generated scene and on real footage, this tree against an
# earlier one carried in .base/ (its rooms, as `carry` takes them), interleaved, twice.
# sample: propagate end to end on real footage with a sampling profile of its analysis
# thread, at the default switch interval and at 0.5 ms, interleaved, twice.
# abmemory: peak memory of propagate at 300 and 1800 frames, this tree against the one in .base/.
# ray: the Ray executor (a local Ray, one worker per GPU workload: each chunk task asks for a
# whole GPU) against the local executor, same job, interleaved (bench/ray_speedup.py), on the GPU
# and on the CPU. Ray comes from the path: its wheel (and those of its dependencies the machine
# lacks: msgpack, jsonschema, referencing, rpds-py, jsonschema-specifications) in .whl/raylite, the
# wheel without its Java jars, rllib and source maps (79 MB whole; bench/gpu/slim_wheel.py), after
# `install` has put .whl/base there in an earlier call.
# cvthreads: propagate and relight end to end on real footage with OpenCV's own thread pool
# (cv2.setNumThreads) at its default, 1 and 4, interleaved, twice.
# sidebyside: issue 16's table: a davis-dev clip (carried in .davis/, SBS_CLIP=NAME, default
# blackswan) at 1080p, 300 frames (SBS_FRAMES), H.264; the plain PyAV ProRes transcode in 1 and 4
# processes, then every op through the CLI with --device cuda --codec prores_422hq, interleaved,
# twice (bench/gpu/side_by_side.py); then the one-frame preview latency of every op at 1080p.
# quality and the GPU op tests: `tests` mode (RETAKES_TEST_TORCH_DEVICE=cuda) covers the torch flow.
# profile: a py-spy profile of a serving engine per op (bench/gpu/profile_job.py) and the CLI start.
# quality: bench/quality.py with the DIS (CPU) and torch (GPU) flow paths in one run, on the
# GPU, on the clips in .davis/ (the generated ones too).
set -uo pipefail
mode=${1:-full}
modes=" install quick full memory tests decode workers ceiling gil ab abmemory sample cvthreads verify decoders learned models vace ray sidebyside quality profile "
# a mistyped mode would fall through to the quick benches and spend minutes of device time on them
case "$modes" in *" $mode "*) ;; *) echo "run.sh: no mode '$mode'; one of:$modes" >&2; exit 2 ;; esac
out=${OUT:-bench/out}
mkdir -p "$out"
# Wheels travel in parts (.whl/base, .whl/learned, ...: one call carries at most 64 MiB); a part
# installed by an earlier call on the same warm machine stays in /tmp/site.
wheels=$(ls .whl/*.whl .whl/*/*.whl 2>/dev/null)
if [ -n "$wheels" ]; then
  # shellcheck disable=SC2086
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site $wheels || exit 1
fi
link_package() {  # link_package TREE DEST: TREE's rooms as the package DEST/retakes
  local pkg="$2/retakes"
  rm -rf "$2" && mkdir -p "$pkg"
  ln -s "$1/retakes/__init__.py" "$pkg/__init__.py"
  for room in engine bridge cli panel; do ln -s "$1/$room" "$pkg/$room"; done
  ln -s "$1/protos/retakes/v1" "$pkg/v1"
}
link_package "$PWD" /tmp/retakes-pkg
export PYTHONPATH=/tmp/retakes-pkg:/tmp/site PYTHONUNBUFFERED=1 RETAKES_TEST_TORCH_DEVICE=cuda
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
nproc
python3 -c "import torch, cv2, av; print('torch', torch.__version__, 'cuda', torch.cuda.is_available(), 'cv2', cv2.__version__, 'av', av.__version__)"

run() { echo; echo "== $*"; "$@" 2>&1 | tee -a "$out/gpu.log"; }
# install: only the wheels, for a mode whose wheels exceed one call's carry (ray: .whl/base in one
# call, then .whl/raylite and `ray` in the next, while the machine is still warm).
if [ "$mode" = install ]; then python3 -c "import av, grpc; print('installed: av', av.__version__)"; exit 0; fi
if [ "$mode" = tests ] || [ "$mode" = verify ]; then
  # -P and append mode: the checkout's own retakes/ (version only) must not shadow the linked package
  run python3 -P -m pytest -q -p no:cacheprovider --import-mode=append -o addopts= tests/engine/ops tests/engine/vision tests/engine/test_analysis.py \
      -o timeout=0 -x
  if [ "$mode" = verify ]; then mode=memory; else mode=quick; fi
fi
if [ "$mode" = workers ]; then
  for w in 2 3 4; do
    run python3 bench/edit_speed.py --device cuda --frames 240 --ops propagate,passthrough --container mov \
        --workers "$w" --chunk-frames 24 --json "$out/gpu_workers_$w.json"
  done
  exit 0
fi
if [ "$mode" = ray ]; then
  python3 -c "import ray; print('ray', ray.__version__, ray.__file__)" \
      || { echo "ray is not importable: put its wheel in .whl/"; exit 1; }
  # From /tmp: Ray puts the driver's folder first on its workers' paths, where the checkout's own
  # retakes/ (version only) would shadow the linked package.
  repo=$PWD; cd /tmp || exit 1
  run python3 "$repo/bench/ray_speedup.py" --device cuda --op relight --size 1920x1080 --frames 192 --chunk-frames 24 \
      --workers 4 --runs 2 --json "$out/gpu_ray_cuda.json"
  run python3 "$repo/bench/ray_speedup.py" --device cpu --op relight --size 1920x1080 --frames 192 --chunk-frames 24 \
      --workers 8 --runs 2 --json "$out/gpu_ray_cpu.json"
  exit 0
fi
if [ "$mode" = learned ]; then
  # The learned backends' architectures with random weights (bench/gpu/learned.py); needs the
  # diffusers wheel in .whl/ (transformers >= 5 too, if the machine's is older). One part per
  # call keeps each under the device's 10-minute limit: LEARNED_PART=unet,vae | flux | sam2.
  run python3 bench/gpu/learned.py --only "${LEARNED_PART:-unet,vae,flux,sam2}" \
      --out "$out/learned_${LEARNED_PART:-all}.json"
  exit 0
fi
if [ "$mode" = models ]; then
  # One call for the learned and generative architectures (random weights), each part under its own
  # time cap so one device call holds them all: the image-edit UNet and VAE, then Wan2.1-VACE 1.3B's
  # step and end to end (bench/gpu/learned.py, vace.py). Needs only the diffusers/transformers wheels
  # (the parts that go through retakes itself, SAM 2 and VACE's windows, need PyAV as well).
  # torch.compile is left out here: compiling the SDXL UNet at two sizes alone took > 9 minutes.
  run timeout 150 python3 bench/gpu/learned.py --only unet,vae --variants fp32-sdpa,bf16-sdpa,bf16-math \
      --warmup 1 --repeat 3 --out "$out/learned_unet_vae.json"
  run timeout 120 python3 bench/gpu/vace.py --parts step --step-variants fp32-sdpa,bf16-sdpa,bf16-math --repeat 2 \
      --out "$out/vace_step.json"
  run timeout 170 python3 bench/gpu/vace.py --parts e2e --e2e-variants bf16-sdpa --steps "${VACE_STEPS:-20}" \
      --out "$out/vace_e2e.json"
  exit 0
fi
if [ "$mode" = vace ]; then
  # The generative video edits' model (Wan2.1 VACE 1.3B) with random weights (bench/gpu/vace.py); needs the
  # diffusers, transformers and ftfy wheels in .whl/. One part per call keeps each under the device's
  # 10-minute limit: VACE_PARTS=step | e2e | crop1080 | windows (VACE_STEPS, VACE_WINDOW_STEPS: steps).
  run python3 bench/gpu/vace.py --parts "${VACE_PARTS:-step}" --steps "${VACE_STEPS:-20}" \
      --window-steps "${VACE_WINDOW_STEPS:-4}" ${VACE_E2E_VARIANTS:+--e2e-variants "$VACE_E2E_VARIANTS"} \
      --out "$out/vace_${VACE_PARTS:-step}.json"
  exit 0
fi
if [ "$mode" = profile ]; then
  # where a serving engine's job time goes, op by op (bench/gpu/profile_job.py; py-spy's wheel in
  # .whl/tools; PROFILE_OPS, PROFILE_MODES), and what the CLI's own start imports (-X importtime)
  python3 -X importtime -P -m retakes.cli --help >/dev/null 2>"$out/cli_importtime.txt"
  sort -t'|' -k2 -n "$out/cli_importtime.txt" | tail -20
  TIMEFORMAT="retakes --help: %R s"; for _ in 1 2 3; do time python3 -P -m retakes.cli --help >/dev/null; done
  run python3 bench/gpu/profile_job.py --clip ".davis/${SBS_CLIP:-blackswan}" --device cuda \
      --ops "${PROFILE_OPS:-relight,propagate,track}" --modes "${PROFILE_MODES:-gil,cpu}" --out "$out/profile"
  exit 0
fi
if [ "$mode" = sidebyside ]; then
  # SBS_DECODE=gpu decodes the edits' source with NVDEC (--decode gpu);
  # SBS_OPS=relight,recolor,... runs a subset (each call must end within the device's 10 minutes);
  # SBS_PREVIEW=0 skips the preview latencies; SBS_ENGINE=private,running also sends each op to an engine
  # already serving (bench/gpu/side_by_side.py --engine)
  ops=${SBS_OPS:-relight,recolor,restyle,background,propagate,track,remove}
  run python3 bench/gpu/side_by_side.py --clip ".davis/${SBS_CLIP:-blackswan}" --frames "${SBS_FRAMES:-300}" \
      --height 1080 --device cuda --processes 1,4 --repeat 2 --ops "$ops" --decode "${SBS_DECODE:-cpu}" \
      --engine "${SBS_ENGINE:-private}" \
      --json "$out/gpu_side_by_side_${SBS_DECODE:-cpu}_${ops//,/-}.json"
  [ "${SBS_PREVIEW:-1}" = 1 ] && run python3 bench/preview_latency.py --device cuda --json "$out/gpu_preview_all_ops.json"
  [ "${SBS_PREVIEW:-1}" = 1 ] && run python3 bench/gpu/flow_speed.py --clip ".davis/${SBS_CLIP:-blackswan}" --device cuda \
      --json "$out/gpu_flow_speed.json"
  exit 0
fi
if [ "$mode" = quality ]; then
  run python3 bench/quality.py --flows dis,torch --torch-device cuda --davis .davis --json "$out/gpu_quality.json"
  exit 0
fi
if [ "$mode" = ceiling ]; then
  run python3 bench/edit_speed.py --device cuda --frames 240 --ops propagate,passthrough --container mov \
      --workers 4 --chunk-frames 24 --json "$out/gpu_ceiling_generated.json"
  for clip in .davis/*/; do
    run python3 bench/edit_speed.py --device cuda --frames 240 --ops propagate,passthrough --container mov \
        --workers 4 --chunk-frames 24 --clip "$clip" --json "$out/gpu_ceiling_$(basename "$clip").json"
  done
  run python3 bench/flow_ops_speed.py --device cuda --threads 16 --frames 24 --ops propagate --repeat 2
  exit 0
fi
if [ "$mode" = ab ]; then
  link_package "$PWD/.base" /tmp/retakes-base
  for i in 1 2; do
    for tree in base new; do
      pkgdir=/tmp/retakes-pkg; [ "$tree" = base ] && pkgdir=/tmp/retakes-base
      for clip in generated .davis/blackswan; do
        extra=(); [ "$clip" != generated ] && extra=(--clip "$clip")
        run env PYTHONPATH="$pkgdir:/tmp/site" python3 bench/edit_speed.py --device cuda --frames 240 --ops propagate \
            --container mov --workers 4 --chunk-frames 24 "${extra[@]}" \
            --json "$out/gpu_ab_${tree}_$(basename "$clip")_$i.json"
      done
    done
  done
  exit 0
fi
if [ "$mode" = abmemory ]; then
  link_package "$PWD/.base" /tmp/retakes-base
  for tree in ${TREES:-base new}; do  # TREES=base or TREES=new: one per call, each takes minutes
    pkgdir=/tmp/retakes-pkg; [ "$tree" = base ] && pkgdir=/tmp/retakes-base
    run env PYTHONPATH="$pkgdir:/tmp/site" python3 bench/memory.py --ops propagate --lengths 300,1800 --device cuda \
        --workers 4 --json "$out/gpu_abmemory_$tree.json"
  done
  exit 0
fi
if [ "$mode" = cvthreads ]; then
  for i in 1 2; do
    for n in default 1 4; do
      threads=(); [ "$n" != default ] && threads=(--cv-threads "$n")
      run python3 bench/edit_speed.py --device cuda --frames 240 --ops propagate,relight --container mov --workers 4 \
          --chunk-frames 24 --clip .davis/blackswan "${threads[@]}" --json "$out/gpu_cvthreads_${n}_$i.json"
    done
  done
  exit 0
fi
if [ "$mode" = decoders ]; then
  for i in 1 2; do
    for n in shared 0; do
      threads=(); [ "$n" != shared ] && threads=(--decode-threads "$n")
      run python3 bench/edit_speed.py --device cuda --frames 240 --ops propagate,passthrough --container mov \
          --workers 4 --chunk-frames 24 --clip .davis/blackswan "${threads[@]}" --json "$out/gpu_decoders_${n}_$i.json"
    done
  done
  exit 0
fi
if [ "$mode" = gil ] || [ "$mode" = sample ]; then
  intervals="0.005 0.001 0.0002"; extra=()
  [ "$mode" = sample ] && intervals="0.005 0.0005" && extra=(--sample)
  for i in 1 2; do
    for interval in $intervals; do
      run python3 bench/edit_speed.py --device cuda --frames 240 --ops propagate --container mov --workers 4 \
          --chunk-frames 24 --clip .davis/blackswan --switch-interval "$interval" "${extra[@]}" \
          --json "$out/gpu_${mode}_${interval}_$i.json"
    done
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
