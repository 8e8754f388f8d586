"""How the engine reaches Ray (`retakes engine serve --executor ray`): plain data, no Ray import."""

from __future__ import annotations

from dataclasses import dataclass

#: how media reaches the tasks: probed per job, by path, or through Ray's object store
MEDIA_MODES = ("auto", "shared", "object-store")


@dataclass(frozen=True)
class RaySettings:
    #: the head's HOST:PORT; empty: a local Ray started for (and stopped with) the engine
    address: str = ""
    #: "auto", "shared" (every node mounts media and state at the same paths) or "object-store"
    media: str = "auto"
    #: CPUs of a local Ray (0: every core)
    local_cpus: int = 0
    #: Ray's retries of a task whose worker or node died
    max_retries: int = 3
