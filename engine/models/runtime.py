"""The engine process's model store and loaded-model cache, and "which model serves this?".

One per process (`runtime()`), pointed at `<state dir>/models` by the engine when it starts;
every learned backend asks it for its model, so the answer, and the error when there are no
weights ("needs weights: retakes models pull NAME"), is the same from the CLI, gRPC and the panel.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from ..config import default_state_dir
from ..errors import FailedPrecondition, InvalidArgument
from .catalogue import pull_command
from .layout import KEYFRAME_INPAINT, KEYFRAME_INSTRUCT, TRACK, VIDEO_EDIT
from .loader import ModelCache
from .store import ModelEntry, ModelStore


class LearnedRuntime:
    def __init__(self, root: Path) -> None:
        self.store = ModelStore(root)
        self.cache = ModelCache()

    def require(self, task: str, name: str = "", *, field: str = "model") -> ModelEntry:
        """The model to run `task` with: `name` if given (checked to serve it), else the store's first."""
        if name:
            entry = self.store.get(name, field=field)
            if task not in entry.tasks:
                does = ", ".join(entry.tasks) or "nothing retakes runs"
                raise InvalidArgument(f"model {name!r} is a {entry.class_name}, which serves {does}, not {task}",
                                      field=field)
            problems = self.store.quick_check(entry)
            if problems:
                raise FailedPrecondition(f"model {name!r}: {problems[0].file} is {problems[0].what}; "
                                         f"`retakes models verify {name}`", field=field)
            return entry
        ready = self.store.for_task(task)
        if not ready:
            raise FailedPrecondition(needs_weights(task), field=field)
        return ready[0]


def needs_weights(task: str) -> str:
    return f"needs weights: {pull_command(task)} (or copy a model folder here and `retakes models add NAME PATH`)"


@dataclass(frozen=True)
class BackendState:
    op: str
    backend: str
    task: str
    ready: bool
    model: str  # the model that would run, when ready
    message: str  # "ready (NAME)" or "needs weights: retakes models pull NAME"


#: (op, backend, task): the learned backends and what they need
BACKENDS = (("track", "learned", TRACK), ("keyframe", "inpaint", KEYFRAME_INPAINT),
             ("keyframe", "instruct", KEYFRAME_INSTRUCT), ("remove", "generative", VIDEO_EDIT),
             ("replace", "generative", VIDEO_EDIT), ("restyle", "generative", VIDEO_EDIT),
             ("propagate", "generative", VIDEO_EDIT))


def backend_states(rt: LearnedRuntime) -> list[BackendState]:
    states = []
    for op, backend, task in BACKENDS:
        ready = rt.store.for_task(task)
        if ready:
            states.append(BackendState(op, backend, task, True, ready[0].name, f"ready ({ready[0].name})"))
        else:
            states.append(BackendState(op, backend, task, False, "", needs_weights(task)))
    return states


_lock = threading.Lock()
_runtime: LearnedRuntime | None = None


def configure(root: Path) -> LearnedRuntime:
    """Points this process at the store under `root` (the engine's state dir + /models)."""
    global _runtime
    with _lock:
        if _runtime is None or _runtime.store.root != Path(root):
            _runtime = LearnedRuntime(Path(root))
        return _runtime


def runtime() -> LearnedRuntime:
    with _lock:
        if _runtime is not None:
            return _runtime
    return configure(default_state_dir() / "models")
