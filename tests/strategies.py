"""Hypothesis strategies: small attention problems drawn as plain lists, in both conventions.

A Drawn problem keeps its givens as lists, so the reference works them without going through bythand;
`problem()` hands the same numbers to bythand as a Problem (exact lists, or float64 arrays).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np
from hypothesis import strategies as st

from bythand import Problem
from bythand.problem import Options

import reference as ref

# How the numbers are written: whole numbers, exact decimals ("0.25", kept exact), or float64 arrays
# holding non-integers (the float route: bythand works these in floating point from the start).
KINDS = ("int", "decimal", "float")


@dataclass
class Drawn:
    """One drawn problem: givens as lists of Fractions, the options, and how the numbers are written."""

    X: ref.Mat
    weights: tuple[ref.Mat, ref.Mat, ref.Mat]
    heads: int
    listed: bool  # heads given as a list of tables (True) or split from one W_Q, W_K, W_V (False)
    options: dict[str, str]
    kind: str = "int"
    C: ref.Mat | None = None
    WO: ref.Mat | None = None
    givens: dict[str, Any] = field(default_factory=dict)

    @property
    def columns(self) -> bool:
        return self.options["convention"] == "columns"

    def head_weights(self) -> list[tuple[ref.Mat, ref.Mat, ref.Mat]]:
        """Each head's W_Q, W_K, W_V, cut by the reference from the drawn weights."""
        parts = [ref.split(w, self.heads, self.columns) for w in self.weights]
        return list(zip(*parts, strict=True))

    def value(self, m: ref.Mat) -> Any:
        """A matrix as the problem is written: ints, decimal strings, or a float64 array."""
        if self.kind == "float":
            return np.array([[float(v) for v in row] for row in m], dtype=np.float64)
        if self.kind == "decimal":
            return [[str(float(v)) if v.denominator != 1 else str(v) for v in row] for row in m]  # type: ignore[union-attr]
        return [[int(v) for v in row] for row in m]

    def numbers(self, m: ref.Mat) -> ref.Mat:
        """The matrix as the reference reads it: floats for the float route, Fractions otherwise."""
        # a float array of whole numbers is worked exactly, as written
        whole = all(Fraction(v).denominator == 1 for row in m for v in row)
        return [[float(v) for v in row] for row in m] if self.kind == "float" and not whole else m

    def problem(self) -> Problem:
        """The same numbers as a bythand Problem."""
        opts = Options(**self.options)  # type: ignore[arg-type]
        C = None if self.C is None else self.value(self.C)
        WO = None if self.WO is None else self.value(self.WO)
        if self.listed:
            heads = [{"WQ": self.value(q), "WK": self.value(k), "WV": self.value(v)}
                     for q, k, v in self.head_weights()]  # fmt: skip
            return Problem(X=self.value(self.X), C=C, heads=heads, WO=WO, options=opts)
        WQ, WK, WV = (self.value(w) for w in self.weights)
        return Problem(X=self.value(self.X), WQ=WQ, WK=WK, WV=WV, C=C, WO=WO, heads=self.heads, options=opts)

    def reference(self) -> dict[str, ref.Mat]:
        """Every matrix by the reference."""
        if self.listed:  # each head's arrays as given
            heads = [tuple(self.numbers(w) for w in ws) for ws in self.head_weights()]
        else:  # one array each, then cut into heads: a part keeps the domain of the whole
            parts = [ref.split(self.numbers(w), self.heads, self.columns) for w in self.weights]
            heads = list(zip(*parts, strict=True))
        return ref.trace(
            self.numbers(self.X),
            heads,  # type: ignore[arg-type]
            C=None if self.C is None else self.numbers(self.C),
            WO=None if self.WO is None else self.numbers(self.WO),
            **self.options,
        )


def matrices(rows: int, cols: int, kind: str, lo: int = -2, hi: int = 2) -> st.SearchStrategy[ref.Mat]:
    """A rows × cols matrix: whole numbers in [lo, hi], or quarters in [lo, hi] for decimals and floats."""
    value: st.SearchStrategy[ref.Num]
    if kind == "int":
        value = st.integers(lo, hi).map(Fraction)
    else:  # quarters are exact in binary, so the float route and the exact reference agree on ⌊x/2⌋
        value = st.integers(4 * lo, 4 * hi).map(lambda k: Fraction(k, 4))
    row = st.lists(value, min_size=cols, max_size=cols)
    return st.lists(row, min_size=rows, max_size=rows)


@st.composite
def drawn(
    draw: st.DrawFn,
    *,
    kinds: tuple[str, ...] = KINDS,
    scales: tuple[str, ...] = ("sqrt", "floor-half", "none"),
    exps: tuple[str, ...] = ("e", "3", "2"),
    conventions: tuple[str, ...] = ("columns", "rows"),
    variants: bool = True,
) -> Drawn:
    """A problem of at most 3 tokens; with `variants`, also cross-attention, several heads and W_O."""
    d, n = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    dk, dv = draw(st.integers(1, 4)), draw(st.integers(1, 2))
    kind = draw(st.sampled_from(kinds))
    columns = draw(st.sampled_from(conventions)) == "columns"
    heads = draw(st.integers(1, 2)) if variants else 1
    cross = variants and draw(st.booleans())
    n_keys = draw(st.integers(1, 3)) if cross else n
    options = {
        "convention": "columns" if columns else "rows",
        "scale": draw(st.sampled_from(scales)),
        "exp": draw(st.sampled_from(exps)),
        "mask": "causal" if n_keys == n and draw(st.booleans()) else "none",
    }

    def given(r: int, c: int, lo: int = -2, hi: int = 2) -> ref.Mat:
        """A given drawn as the paper writes it (columns) and transposed for rows."""
        m = draw(matrices(r, c, kind, lo, hi))
        return m if columns else ref.transpose(m)

    X = given(d, n)
    C = given(d, n_keys) if cross else None
    WQ, WK, WV = given(heads * dk, d, -1, 1), given(heads * dk, d, -1, 1), given(heads * dv, d)
    WO = given(draw(st.integers(1, 2)), heads * dv, -1, 1) if variants and draw(st.booleans()) else None
    listed = heads > 1 and draw(st.booleans())
    weights = (WQ, WK, WV)
    return Drawn(X=X, weights=weights, heads=heads, listed=listed, options=options, kind=kind, C=C, WO=WO)
