"""bythand: attention by hand — the nine steps of self-attention, worked exactly and shown."""

from __future__ import annotations

import sys
import types
from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# The public API, loaded on first use so that `bythand --help` never pays for numpy.
_EXPORTS = {
    "BythandError": "errors",
    "ProblemError": "errors",
    "Head": "problem",
    "Options": "problem",
    "Problem": "problem",
    "builtin_example": "problem",
    "load_problem": "problem",
    "Product": "walk",
    "Step": "walk",
    "Trace": "walk",
    "walk": "walk",
}

__all__ = [
    "BythandError",
    "Head",
    "Options",
    "Problem",
    "ProblemError",
    "Product",
    "Step",
    "Trace",
    "__version__",
    "builtin_example",
    "load_problem",
    "walk",
]

if TYPE_CHECKING:
    from .errors import BythandError, ProblemError
    from .problem import Head, Options, Problem, builtin_example, load_problem
    from .walk import Product, Step, Trace, walk

# Problems from a framework's weights: nn.Linear layers, nn.MultiheadAttention, any __array__ tensor
_EXPORTS.update(from_linear="frameworks", from_module="frameworks", from_multihead="frameworks")
__all__ += ["from_linear", "from_module", "from_multihead"]
if TYPE_CHECKING:
    from .frameworks import from_linear, from_module, from_multihead


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(import_module(f".{_EXPORTS[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'bythand' has no attribute {name!r}")


class _Package(types.ModuleType):
    """Keeps `bythand.walk` the function: importing the submodule of the same name must not replace it."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _EXPORTS and isinstance(value, types.ModuleType):
            return  # the import system binding a submodule; the export of that name wins
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
