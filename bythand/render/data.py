"""The JSON contract of a Trace: plain dicts and lists, strict JSON (no NaN or Infinity)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from fractions import Fraction
from typing import Any

import numpy as np

from ..explain import Diagnosis, Explanation
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
    """The whole trace as `bythand run --format json` writes it."""
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
    """The method, the steps and every matrix."""
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


def explanation_dict(done: Explanation, exact: bool, diagnosis: Diagnosis | None = None) -> dict[str, Any]:
    """One explained cell: its name, the one-line and the full working, its value (and exact text when
    exact); with a student's answers, what they wrote, the verdict and the remarks."""
    out: dict[str, Any] = {
        "cell": done.label,
        "lines": list(done.lines),
        "work": list(done.work),
        "value": _value(done.value),
        "exact": _exact(done.value) if exact else None,
        "operands": list(done.operands),
    }
    if diagnosis is not None:
        out["answer"] = {
            "written": diagnosis.written,
            "verdict": diagnosis.verdict,
            "remarks": diagnosis.text.splitlines(),
        }
    return out


PLACE = "\u0000matrices\u0000"  # no key or value of a trace holds a NUL


def write_trace_json(trace: Trace, version: str, write: Callable[[str], object]) -> None:
    """The JSON of trace_dict written a matrix at a time, its floats formatted by orjson in C (Python's
    own repr costs ~0.5 s per million floats: a 1024-token trace holds 4.4 million)."""
    import json

    import orjson

    def dumps(value: Any) -> str:
        return json.dumps(value, allow_nan=False, ensure_ascii=False)

    exact = trace.exact
    head = trace_dict(replace(trace, matrices={}), version)
    head["exact"] = exact  # (of no matrices at all, every one would be exact)
    head["matrices"] = PLACE
    before, after = dumps(head).split(dumps(PLACE))  # the matrices go where the placeholder is
    write(before + "{")
    for k, (name, m) in enumerate(trace.matrices.items()):
        rows, cols = m.shape
        write(f'{", " if k else ""}{dumps(name)}: {{"shape": [{rows}, {cols}], "values": ')
        floats = np.ascontiguousarray(m, dtype=np.float64)
        if np.isnan(floats).any():  # as json.dumps(allow_nan=False) would; orjson writes NaN as null
            raise ValueError(f"{name} holds NaN, which JSON cannot carry")
        # orjson writes −∞ (a masked cell) as null, as the contract asks; ", " as json.dumps separates
        write(orjson.dumps(floats, option=orjson.OPT_SERIALIZE_NUMPY).replace(b",", b", ").decode())
        write(', "exact": ')
        if exact:
            write("[" + ", ".join(dumps([_exact(v) for v in m[i]]) for i in range(rows)) + "]")
        else:
            write("null")
        write("}")
    write("}" + after + "\n")
