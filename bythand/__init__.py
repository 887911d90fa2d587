"""bythand: attention by hand — the nine steps of self-attention, worked exactly and shown."""

from .errors import BythandError, ProblemError
from .problem import Options, Problem, builtin_example, load_problem
from .walk import Product, Step, Trace, walk

__version__ = "0.1.0"

__all__ = [
    "BythandError",
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
