"""A student who works the steps by hand, slips where told, and carries each slip forward.

The student works with the independent reference (tests/reference.py), never with bythand.walk's
functions, so grading a student's file checks bythand against arithmetic it did not do itself.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np

import reference as ref

Slips = dict[str, tuple[int, int, Fraction]]
ORDER = ("Q", "K", "V", "KT", "S", "scaled", "E", "sums", "A", "Z")


def work(problem: Any, slips: Slips | None = None) -> dict[str, Any]:
    """One head's steps 2 to 9, each step from the student's own previous numbers (object arrays)."""
    slips = slips or {}
    o = problem.options
    columns = o.convention == "columns"

    def slip(name: str, m: ref.Mat) -> ref.Mat:
        if name not in slips:
            return m
        i, j, value = slips[name]
        out = [list(row) for row in m]
        out[i][j] = value
        return out

    X = ref.plain(problem.X)
    src = X if problem.C is None else ref.plain(problem.C)
    head = problem.heads[0]
    WQ, WK, WV = ref.plain(head.WQ), ref.plain(head.WK), ref.plain(head.WV)
    Q, K, V = (slip(n, m) for n, m in zip("QKV", ref.project(X, src, WQ, WK, WV, columns), strict=True))
    KT = slip("KT", ref.transpose(K))
    S = slip("S", ref.scores(Q, KT, columns))
    scaled = ref.scale(S, o.scale, ref.d_k(WQ, columns))
    scaled = slip("scaled", ref.mask(scaled, columns) if o.mask == "causal" else scaled)
    E = slip("E", ref.exponentiate(scaled, o.exp))
    sums = slip("sums", ref.sums(E, columns))
    A = slip("A", ref.normalise(E, sums, columns))
    Z = slip("Z", ref.weight(V, A, columns))
    mats = {"Q": Q, "K": K, "V": V, "KT": KT, "S": S, "scaled": scaled, "E": E, "sums": sums, "A": A, "Z": Z}
    return {name: array(m) for name, m in mats.items()}


def array(m: ref.Mat) -> Any:
    """A list of rows as a numpy object array, as a test edits and hands it in."""
    out = np.empty((len(m), len(m[0])), dtype=object)
    for i, row in enumerate(m):
        for j, v in enumerate(row):
            out[i, j] = v
    return out


def text(v: object) -> str:
    """A cell as the student types it: a fraction in lowest terms, -inf, or a float's shortest digits."""
    if isinstance(v, float):
        return '"-inf"' if v == ref.MASKED else f'"{v!r}"'
    assert isinstance(v, Fraction)
    return f'"{v.numerator}"' if v.denominator == 1 else f'"{v.numerator}/{v.denominator}"'


def toml(matrices: dict[str, Any], name: str = "Ada", extra: str = "") -> str:
    """The answers file the student hands in."""
    lines = [f'name = "{name}"', extra] if extra else [f'name = "{name}"']
    for key, m in matrices.items():
        rows = ", ".join("[" + ", ".join(text(v) for v in row) + "]" for row in m.tolist())
        lines.append(f"{key} = [{rows}]")
    return "\n".join(lines) + "\n"
