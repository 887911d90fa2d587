"""Row and column labels of every matrix, 1-based as people read them (x1, q2, k3, z4)."""

from __future__ import annotations

from fractions import Fraction

from ..numbers import SMALL_DENOMINATOR, Matrix, Number, NumberMode, cell, format_number
from ..walk import Trace
from .palette import base_name


def _dims(count: int) -> list[str]:
    return [str(i) for i in range(1, count + 1)]


def _tokens(prefix: str, count: int) -> list[str]:
    return [f"{prefix}{i}" for i in range(1, count + 1)]


def labels(trace: Trace, name: str) -> tuple[list[str], list[str]]:
    """(row labels, column labels) of a matrix of the trace."""
    m = trace[name]
    columns = trace.options.convention == "columns"
    rows_n, cols_n = m.shape if columns else m.shape[::-1]  # as if in the columns convention
    base = base_name(name)
    token_cols = {"X": "x", "C": "c", "Q": "q", "K": "k", "V": "v", "Z": "z", "concat": "z", "O": "o"}
    if base in token_cols:
        r, c = _dims(rows_n), _tokens(token_cols[base], cols_n)
    elif base == "KT":
        r, c = _tokens("k", rows_n), _dims(cols_n)
    elif base in ("S", "scaled", "E", "A"):
        r, c = _tokens("k", rows_n), _tokens("q", cols_n)
    elif base == "sums":
        r, c = ["Σ"], _tokens("q", cols_n)
    else:
        r, c = _dims(rows_n), _dims(cols_n)
    return (r, c) if columns else (c, r)


def display_mode(trace: Trace, numbers: NumberMode) -> NumberMode:
    """Decimals in, decimals out: auto shows decimals when the givens were written as decimals."""
    if numbers == "auto" and trace.problem.decimal_input:
        return "decimal"
    return numbers


def matrix_mode(m: Matrix, mode: NumberMode) -> NumberMode:
    """Auto picks one notation per matrix: fractions only if every denominator stays small."""
    if mode != "auto":
        return mode
    small = all(not isinstance(v, Fraction) or v.denominator <= SMALL_DENOMINATOR for v in m.flat)
    return "auto" if small else "decimal"


def cell_text(m: Matrix, i: int, j: int, mode: NumberMode, precision: int) -> str:
    """One cell as shown to a person."""
    value: Number = cell(m, i, j)
    return format_number(value, mode, precision)
