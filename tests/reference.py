"""An independent reference: the textbook attention formulas in floating point, a few numpy lines each.

It shares no code with bythand.walk: it reads only the givens and the options of a Problem.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from bythand import Problem
from bythand.numbers import to_float

Array = np.ndarray[Any, Any]


def _f(m: Any) -> Array:
    return np.asarray(to_float(m), dtype=float)


def reference(p: Problem) -> dict[str, Array]:
    """Every matrix of the walkthrough, named as in a Trace, by the textbook formulas."""
    o = p.options
    cols = o.convention == "columns"
    X = _f(p.X)
    src = X if p.C is None else _f(p.C)
    out: dict[str, Array] = {}
    zs = []
    for i, head in enumerate(p.heads):
        WQ, WK, WV = _f(head.WQ), _f(head.WK), _f(head.WV)
        if cols:
            Q, K, V = WQ @ X, WK @ src, WV @ src
            S, axis, dk = K.T @ Q, 0, WQ.shape[0]
        else:
            Q, K, V = X @ WQ, src @ WK, src @ WV
            S, axis, dk = Q @ K.T, 1, WQ.shape[1]
        scaled = {"sqrt": S / math.sqrt(dk), "floor-half": np.floor(S / 2), "none": S}[o.scale]
        if o.mask == "causal":
            n = S.shape[0]
            later = np.tril(np.ones((n, n), bool), -1) if cols else np.triu(np.ones((n, n), bool), 1)
            scaled = np.where(later, -np.inf, scaled)
        E = np.exp(scaled * (1.0 if o.exp == "e" else math.log(int(o.exp))))
        A = E / E.sum(axis=axis, keepdims=True)
        Z = V @ A if cols else A @ V
        prefix = "" if len(p.heads) == 1 else f"h{i + 1}."
        named = {"Q": Q, "K": K, "V": V, "KT": K.T, "S": S, "scaled": scaled, "E": E,
                 "sums": E.sum(axis=axis, keepdims=True), "A": A, "Z": Z}  # fmt: skip
        out.update({prefix + k: v for k, v in named.items()})
        zs.append(Z)
    last = zs[0]
    if len(zs) > 1:
        last = out["concat"] = np.concatenate(zs, axis=0 if cols else 1)
    if p.WO is not None:
        out["O"] = _f(p.WO) @ last if cols else last @ _f(p.WO)
    return out
