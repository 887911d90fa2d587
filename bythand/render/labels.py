"""Row and column labels of every matrix, 1-based as people read them (x1, q2, k3, z4)."""

from __future__ import annotations

from fractions import Fraction

from ..numbers import SMALL_DENOMINATOR, Matrix, Number, NumberMode, cell, format_number
from ..walk import Step, Trace
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
    token_cols["P"] = "p"  # step 0: position j's encoding
    embedding = trace.problem.embedding
    if base == "embed" and embedding is not None:  # step 0: each token's vector under its word
        words = embedding.tokens or tuple(f"#{i}" for i in embedding.ids)
        r, c = _dims(rows_n), list(words)
    elif base in token_cols:
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


def method_text(trace: Trace) -> str:
    """The method in one line: "columns convention · scale ⌊x/2⌋ · 3^x · mask none · exact fractions"."""
    o = trace.options
    scale = {"sqrt": f"scale ÷√{trace.problem.d_k}", "floor-half": "scale ⌊x/2⌋", "none": "no scaling"}[
        o.scale
    ]
    exp = "e^x" if o.base is None else f"{o.base}^x"
    numbers = "exact fractions" if trace.exact else "decimals"
    return f"{o.convention} convention · {scale} · {exp} · mask {o.mask} · {numbers}"


def step_heading(step: Step) -> str:
    """ "Step 4 · MatMul", or "h2 · Step 4 · MatMul" for a head of several."""
    head = step.names[-1].rpartition(".")[0]
    return f"{head + ' · ' if head else ''}Step {step.number} · {step.title}"
