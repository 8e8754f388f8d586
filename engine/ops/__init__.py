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
    from ..errors import InvalidArgument

    try:
        return REGISTRY[name]
    except KeyError:
        raise InvalidArgument(
            f"unknown op {name!r}; this engine has: {', '.join(sorted(REGISTRY))}", field="op"
        ) from None


__all__ = ["REGISTRY", "EditContext", "MaskUse", "Op", "OpSpec", "ParamSpec", "ParamType", "get_op", "register"]

from . import track  # noqa: E402,F401
from . import relight  # noqa: E402,F401
from . import recolor  # noqa: E402,F401
from . import propagate  # noqa: E402,F401
from . import restyle  # noqa: E402,F401
from . import remove  # noqa: E402,F401
from . import background  # noqa: E402,F401
