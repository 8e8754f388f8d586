"""`retakes keyframe`: one source frame edited from a prompt by a local image model.

    retakes keyframe SOURCE --frame K --prompt TEXT [--mask M] [--model NAME] [--seed S] [--variants N] -o KEY.png

The result is an edited keyframe for `retakes edit --op propagate --keyframe K --edited KEY.png`.
With several variants they are written as KEY_1.png ... KEY_N.png (variant i used seed S + i - 1).
Each PNG carries its lineage (model digest, prompt, seed, steps) in a text chunk. Nothing is
written unless every variant was made; Ctrl-C stops the model between two denoising steps.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import grpc
from tqdm import tqdm

from ..engine.client import EngineError, connect
from ..engine.errors import RetakesError
from ..engine.media import atomic_temp_path, check_output_path
from ..engine.media.paths import remove
from ..engine.models.memory import POLICIES, parse_bytes
from ..v1 import engine_pb2
from .edit import add_engine_options

MAX_VARIANTS = 8  # engine.learned.service's limit, checked here before the engine is reached

_FLAGS = {"source": "SOURCE", "frame": "--frame", "prompt": "--prompt", "mask": "--mask", "model": "--model",
          "variants": "--variants", "steps": "--steps", "feather": "--feather", "device": "--device",
          "memory_policy": "--memory-policy", "max_memory": "--max-memory", "sequence_rate": "--rate",
          "guidance": "--guidance", "output": "-o/--output"}


def _states() -> str:
    """What --help says about the weights here (the store's registry is one small JSON file)."""
    from ..engine.models import backend_states, runtime

    try:
        return "models here: " + "; ".join(f"{s.op} {s.backend}: {s.message}" for s in backend_states(runtime())
                                           if s.op == "keyframe")
    except (OSError, ValueError) as error:
        return f"models here: the store cannot be read ({error})"


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "keyframe", help="edit one frame from a prompt with a local image model (for --op propagate)",
        description="retakes keyframe SOURCE --frame K --prompt TEXT [--mask M] [--model NAME] [--seed S] "
                    "[--variants N] -o KEY.png", epilog=_states())
    p.add_argument("source", metavar="SOURCE", help="video file or image-sequence folder")
    p.add_argument("--frame", type=int, required=True, metavar="K", help="the source frame to edit")
    p.add_argument("--prompt", required=True, help="what to change: 'change the car to red', 'a hand-painted sign'")
    p.add_argument("-o", "--output", required=True, metavar="KEY.png",
                   help="the edited frame (PNG); several variants are KEY_1.png ... KEY_N.png")
    p.add_argument("--mask", metavar="M", help="the region to change (white), the frame's size; inpainting models "
                                               "need it, instruction-edit models keep to it")
    p.add_argument("--model", metavar="NAME", help="a model from `retakes models list` (default: the store's)")
    p.add_argument("--seed", type=int, default=0, help="variant i uses seed + i (default 0)")
    p.add_argument("--variants", type=int, default=1, metavar="N", help="how many to choose from (default 1)")
    p.add_argument("--steps", type=int, default=30, help="denoising steps (default 30)")
    p.add_argument("--guidance", type=float, help="guidance scale (default: the model's)")
    p.add_argument("--feather", type=float, help="soft edge of the mask, px (default 8)")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N")
    p.add_argument("--memory-policy", default="auto", choices=("auto", *POLICIES),
                   help="where the weights live while it runs (default: the fastest that fits)")
    p.add_argument("--max-memory", metavar="SIZE", help="use at most this much device memory, e.g. 12GiB "
                                                        "(room for Resolve on the same GPU)")
    p.add_argument("--rate", help="frame rate of an image-sequence SOURCE (default 24)")
    add_engine_options(p)
    p.set_defaults(run=run_keyframe)


def outputs_for(output: Path, variants: int) -> list[Path]:
    if variants <= 1:
        return [output]
    return [output.with_name(f"{output.stem}_{i}{output.suffix}") for i in range(1, variants + 1)]


def _abs(path: str) -> str:
    return str(Path(path).expanduser().absolute())


def _fail(field: str, message: str) -> int:
    flag = _FLAGS.get(field.removeprefix("edit."), field)
    for prefix in (f"{field}: ",):
        message = message.removeprefix(prefix)
    print(f"retakes: error: {flag}: {message}" if flag else f"retakes: error: {message}", file=sys.stderr)
    return 1


def run_keyframe(args: argparse.Namespace) -> int:
    output = Path(args.output).expanduser().absolute()
    try:
        if not 1 <= args.variants <= MAX_VARIANTS:  # 0 would read as "the default" on the wire
            return _fail("variants", f"expected 1 to {MAX_VARIANTS} variants, got {args.variants}")
        if output.suffix.lower() != ".png":
            return _fail("output", f"expected a .png file, got {output.name!r}")
        inputs = [Path(_abs(args.source))] + ([Path(_abs(args.mask))] if args.mask else [])
        targets = outputs_for(output, args.variants)
        for target in targets:
            check_output_path(target, inputs, field="output")
        request = engine_pb2.KeyframeRequest(
            source=engine_pb2.MediaRef(path=_abs(args.source)), frame=args.frame, prompt=args.prompt,
            model=args.model or "", seed=args.seed, variants=args.variants, steps=args.steps,
            device=args.device or "auto", memory_policy=args.memory_policy,
            max_memory_bytes=parse_bytes(args.max_memory) if args.max_memory else 0, sequence_rate=args.rate or "")
        if args.seed < 0:
            return _fail("seed", f"expected a seed >= 0, got {args.seed}")
        if args.mask:
            request.mask.path = _abs(args.mask)
        if args.guidance is not None:
            request.guidance = args.guidance
        if args.feather is not None:
            request.feather = args.feather
    except RetakesError as error:
        return _fail(error.field, error.message)
    temps = [atomic_temp_path(t) for t in targets]
    done = None
    try:
        with connect(args.engine, token=args.token) as engine:
            done = _stream(engine, request, temps)
    except EngineError as error:
        return _fail(error.field, error.message)
    finally:
        if done is None:  # failed or cancelled: no variant is left behind
            for t in temps:
                remove(t)
    if done is None:
        return 130
    for temp, target in zip(temps, targets, strict=True):
        temp.replace(target)
    model = done.model
    for target, seed in zip(targets, done.seeds, strict=True):
        print(f"wrote {target} (frame {done.frame}, seed {seed}, {model.name} {model.digest[:12]}, "
              f"{done.steps} steps, {model.device} {model.dtype} {model.memory_policy})")
    return 0


def _stream(engine, request: engine_pb2.KeyframeRequest, temps: list[Path]) -> engine_pb2.KeyframeDone | None:
    """Runs the call, writing each variant to its temp file; None when the user cancelled."""
    total = max(1, request.variants) * request.steps
    call = engine.edit_keyframe(request)
    bar = tqdm(total=total, unit="step", desc=f"keyframe {request.frame}", leave=False,
               disable=not sys.stderr.isatty())
    try:
        for event in call:
            kind = event.WhichOneof("kind")
            if kind == "progress":
                bar.set_postfix_str(event.progress.stage)
                if event.progress.stage == "edit":
                    bar.n = event.progress.variant * event.progress.steps + event.progress.step
                    bar.refresh()
            elif kind == "variant":
                temps[event.variant.index].write_bytes(event.variant.png)
            elif kind == "done":
                return event.done
        raise EngineError(grpc.StatusCode.INTERNAL, "the engine ended the keyframe edit without a result")
    except KeyboardInterrupt:
        call.cancel()
        print("cancelled; nothing was written", flush=True)
        return None
    except grpc.RpcError as error:
        raise EngineError.from_rpc(error) from None
    finally:
        bar.close()
