"""bythand: attention by hand — the nine steps of self-attention, worked exactly and shown."""

from .check import Report, check
from .errors import BythandError, ProblemError
from .explain import Explanation, explain
from .problem import Options, Problem, builtin_example, load_problem
from .walk import Product, Step, Trace, walk

__version__ = "0.1.0"

__all__ = [
    "BythandError",
    "Explanation",
    "Options",
    "Problem",
    "ProblemError",
    "Product",
    "Report",
    "Step",
    "Trace",
    "__version__",
    "builtin_example",
    "check",
    "explain",
    "load_problem",
    "walk",
]
