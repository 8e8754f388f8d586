"""Edit operations and their registry.

`REGISTRY` maps an op name to its class. Ops register with `@register`; the engine
publishes `spec` of each as capabilities. Modules are imported here once so that the
registry is complete on import.
"""

from __future__ import annotations

from .base import EditContext, MaskUse, Op, OpSpec, ParamSpec, ParamType

REGISTRY: dict[str, type[Op]] = {}


def register(cls: type[Op]) -> type[Op]:
    REGISTRY[cls.spec.name] = cls
    return cls


def get_op(name: str) -> type[Op]:
    from ..errors import InvalidArgument, shown

    try:
        return REGISTRY[name]
    except KeyError:
        raise InvalidArgument(
            f"unknown op {shown(name)}; this engine has: {', '.join(sorted(REGISTRY))}", field="op"
        ) from None


__all__ = ["REGISTRY", "EditContext", "MaskUse", "Op", "OpSpec", "ParamSpec", "ParamType", "get_op", "register"]

# Importing the op modules registers them; they import `register` from above, hence the late import.
from . import (  # noqa: E402
    background,  # noqa: E402,F401
    multishot,  # noqa: E402,F401
    propagate,  # noqa: E402,F401
    recolor,  # noqa: E402,F401
    relight,  # noqa: E402,F401
    remove,  # noqa: E402,F401
    replace,  # noqa: E402,F401
    restyle,  # noqa: E402,F401
    track,  # noqa: E402,F401
)
