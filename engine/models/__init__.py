"""Learned backends' weights: the store (what is where), the loader (once per process), the memory policy.

See DESIGN.md, "Learned backends". Nothing in this package reaches the network except `pull`,
and only when a user runs `retakes models pull`.
"""

from .layout import KEYFRAME_INPAINT, KEYFRAME_INSTRUCT, TASKS, TRACK, VIDEO_EDIT, ModelLayout, inspect_folder
from .runtime import BackendState, LearnedRuntime, backend_states, configure, needs_weights, runtime
from .store import ModelEntry, ModelStore

__all__ = ["KEYFRAME_INPAINT", "KEYFRAME_INSTRUCT", "TASKS", "TRACK", "VIDEO_EDIT", "BackendState", "LearnedRuntime",
           "ModelEntry", "ModelLayout", "ModelStore", "backend_states", "configure", "inspect_folder", "needs_weights",
           "runtime"]
