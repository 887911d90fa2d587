"""The JSON contract of a Trace: plain dicts and lists, strict JSON (no NaN or Infinity)."""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

from ..explain import Explanation
from ..numbers import Matrix, fraction_text
from ..walk import Trace


def _value(v: Any) -> float | None:
    x = float(v)
    return None if math.isinf(x) else x  # only a mask puts −∞ in a trace; JSON has no infinity


def _exact(v: Any) -> str:
    return fraction_text(v) if isinstance(v, Fraction) else "-inf"


def matrix_dict(m: Matrix, exact: bool = True) -> dict[str, Any]:
    """{"shape", "values" (floats, null where masked), "exact" (lowest terms, or null)}."""
    rows, cols = m.shape
    return {
        "shape": [int(rows), int(cols)],
        "values": [[_value(m[i, j]) for j in range(cols)] for i in range(rows)],
        "exact": [[_exact(m[i, j]) for j in range(cols)] for i in range(rows)] if exact else None,
    }


def trace_dict(trace: Trace, version: str) -> dict[str, Any]:
    """The whole trace in the JSON contract of the walkthrough issue."""
    out = _trace_dict(trace, version)
    e = trace.problem.embedding
    if e is not None:  # step 0: what X is made from (the matrices are embed, P and X)
        out["embedding"] = {
            "tokens": list(e.tokens) if e.tokens is not None else None,
            "token_ids": list(e.ids),
            "positions": e.positions,
            "position_base": e.base,
        }
    return out


def _trace_dict(trace: Trace, version: str) -> dict[str, Any]:
    o = trace.options
    return {
        "version": version,
        "convention": o.convention,
        "options": {"scale": o.scale, "exp": o.exp, "mask": o.mask},
        "exact": trace.exact,
        "output": trace.output,
        "steps": [{"number": s.number, "title": s.title, "matrices": list(s.names)} for s in trace.steps],
        # the contract: exact strings when the whole trace is exact, else null for every matrix
        "matrices": {name: matrix_dict(m, trace.exact) for name, m in trace.matrices.items()},
    }


def explanation_dict(done: Explanation, exact: bool) -> dict[str, Any]:
    """One explained cell: its name, the worked lines, and its value (and exact text when exact)."""
    return {
        "cell": done.cell.label(True),
        "lines": list(done.lines),
        "value": _value(done.value),
        "exact": _exact(done.value) if exact else None,
        "operands": list(done.operands),
    }
