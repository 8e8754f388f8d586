"""The parameters every op with a generative backend shares (`--backend`, `--prompt`, the model's
settings). Kept apart from `learned.generative`, which runs the model, so an op's spec can name them
without importing the model machinery (which itself uses the ops' helpers)."""

from __future__ import annotations

from typing import Any

from ..errors import InvalidArgument
from ..models import VIDEO_EDIT, runtime
from .base import ParamSpec, ParamType

CLASSICAL, GENERATIVE, AUTO = "classical", "generative", "auto"
BACKENDS = (CLASSICAL, GENERATIVE, AUTO)


def backend_param(default: str = CLASSICAL) -> ParamSpec:
    return ParamSpec("backend", ParamType.CHOICE, "classical, generative (a video model from the store: "
                     "retakes models add/pull), auto (generative when its weights are here)", default,
                     choices=BACKENDS)


def prompt_param(required: bool = False, help: str = "what the model should make of the region") -> ParamSpec:
    return ParamSpec("prompt", ParamType.TEXT, help, required=required)


#: the generative backend's own settings, shared by every op that has one
MODEL_PARAMS: tuple[ParamSpec, ...] = (
    ParamSpec("model", ParamType.TEXT, "the video model (default: the store's video-edit model)", ""),
    ParamSpec("steps", ParamType.INTEGER, "denoising steps of the video model", 30, minimum=1, maximum=200),
    ParamSpec("guidance", ParamType.NUMBER, "how strongly the prompt steers the video model", 5.0, minimum=0.0,
              maximum=30.0),
    ParamSpec("window", ParamType.INTEGER, "frames per model window (4k+1; the model's own: 81)", 81, minimum=1,
              maximum=257),
    ParamSpec("overlap", ParamType.INTEGER, "frames two windows share (continued and blended)", 8, minimum=0,
              maximum=64),
    ParamSpec("gen_feather", ParamType.NUMBER, "soft edge of the generated region", 4.0, minimum=0.0, maximum=256.0,
              unit=" px"),
)


def chosen(params: dict[str, Any], *, default: str = CLASSICAL) -> str:
    """The backend a request's params pick (`auto` resolved against the store)."""
    backend = params.get("backend") or default
    if backend == AUTO:
        return GENERATIVE if params.get("model") or runtime().store.for_task(VIDEO_EDIT) else CLASSICAL
    return backend


def refuse_unused(params: dict[str, Any], *, default: str = CLASSICAL) -> None:
    """A prompt or model given to the classical backend would be ignored without a word: refused."""
    if (params.get("backend") or default) != CLASSICAL:
        return
    for name in ("prompt", "model"):
        if params.get(name) not in (None, ""):
            raise InvalidArgument(f"--{name} is for the generative backend; add --backend generative (or auto)",
                                  field=f"params.{name}")
