"""One cell's "show your work": the operands written out and the arithmetic that gives the cell."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from .embed import add, angle_text
from .errors import ProblemError
from .numbers import SMALL_DENOMINATOR, Matrix, Number, cell, format_number, is_exact, to_float
from .problem import Head, suggest
from .walk import (
    MASKED,
    Step,
    Trace,
    causal,
    concatenate,
    exponentiate,
    normalise,
    output_projection,
    project,
    scale,
    scores,
    softmax_sums,
    weight,
)

GIVEN_NAMES = ("X", "C", "WQ", "WK", "WV", "WO", "embed", "P")
PRETTY = {"WQ": "W_Q", "WK": "W_K", "WV": "W_V", "WO": "W_O", "KT": "Kᵀ"}
MAX_WORK_CELLS = 300  # --show-work explains at most this many cells; past it the output stops being readable
_CELL = re.compile(r"\s*([A-Za-z][\w.]*)\s*\[\s*(\d+)\s*(?:,\s*(\d+)\s*)?\]\s*")


@dataclass(frozen=True)
class Cell:
    """One cell of a named matrix, 0-based inside, 1-based whenever it is shown."""

    name: str
    row: int
    col: int

    @property
    def base(self) -> str:
        """The matrix name without its head prefix."""
        return self.name.rpartition(".")[2]

    @property
    def prefix(self) -> str:
        """The head prefix ("h2.") or ""."""
        head, dot, _ = self.name.rpartition(".")
        return head + dot

    def label(self, columns: bool) -> str:
        """The cell as people write it: S[2,4], and sums[j] with one index."""
        if self.base == "sums":
            return f"{self.name}[{(self.col if columns else self.row) + 1}]"
        return f"{self.name}[{self.row + 1},{self.col + 1}]"


@dataclass(frozen=True)
class Explanation:
    """The worked expansion of one cell and the value it comes to."""

    cell: Cell
    lines: tuple[str, ...]
    value: Number
    operands: tuple[str, ...]

    @property
    def text(self) -> str:
        """The lines joined for printing."""
        return "\n".join(self.lines)


def _ranges(trace: Trace) -> str:
    """Every matrix with its valid 1-based index ranges, for error messages."""
    columns = trace.options.convention == "columns"
    parts = []
    for name, m in trace.matrices.items():
        rows, cols = m.shape
        if name.rpartition(".")[2] == "sums":
            parts.append(f"{name}[1..{cols if columns else rows}]")
        else:
            parts.append(f"{name}[1..{rows},1..{cols}]")
    return ", ".join(parts)


def parse_cell(trace: Trace, text: str) -> Cell:
    """Read "S[2,4]", "h2.A[1,3]" or "sums[1]" into a Cell of this trace, or say what is valid."""
    columns = trace.options.convention == "columns"
    match = _CELL.fullmatch(text)
    if not match:
        raise ProblemError(
            f"{text!r} is not a cell; write a matrix name and 1-based indices, like S[2,4] or sums[1]. "
            f"Valid cells: {_ranges(trace)}"
        )
    name, first, second = match[1], int(match[2]), match[3]
    if name not in trace.matrices:
        hint = suggest(name, tuple(trace.matrices))
        raise ProblemError(f"no matrix {name!r} in this problem{hint}. Valid cells: {_ranges(trace)}")
    rows, cols = trace[name].shape
    if name.rpartition(".")[2] == "sums":
        length = cols if columns else rows
        if second is None:
            index = first
        elif (first if columns else int(second)) == 1:
            index = int(second) if columns else first
        else:
            index = 0  # sums has one row (columns) or one column (rows); anything else is out of range
        if not 1 <= index <= length:
            raise ProblemError(f"{text.strip()} is outside {name}, which has cells {name}[1..{length}]")
        return Cell(name, 0, index - 1) if columns else Cell(name, index - 1, 0)
    if second is None:
        raise ProblemError(
            f"{name} needs a row and a column, like {name}[1,{min(2, cols)}]; its cells are "
            f"{name}[1..{rows},1..{cols}]"
        )
    row, col = first, int(second)
    if not (1 <= row <= rows and 1 <= col <= cols):
        raise ProblemError(
            f"{text.strip()} is outside {name}, which is {rows}×{cols} (cells {name}[1..{rows},1..{cols}])"
        )
    return Cell(name, row - 1, col - 1)


def is_given(trace: Trace, name: str) -> bool:
    """True for a given matrix; X is worked (step 0) when the problem makes it from tokens."""
    base = name.rpartition(".")[2]
    return base in GIVEN_NAMES and not (base == "X" and "embed" in trace.matrices)


def number_text(v: Number, precision: int = 2) -> str:
    """A value as a student writes it: integers, small fractions, else rounded decimals."""
    if isinstance(v, float) and v == MASKED:
        return "−∞"
    return format_number(v, "auto", precision)


def is_rounded(v: Number) -> bool:
    """True when number_text shows v only approximately."""
    if isinstance(v, Fraction):
        return v.denominator > SMALL_DENOMINATOR
    return math.isfinite(v) and not v.is_integer()


def _equals(v: Number, precision: int) -> str:
    """ "= 27/46", or "≈ 2.89" when the shown value is rounded."""
    return f"{'≈' if is_rounded(v) else '='} {number_text(v, precision)}"


def _factor(v: Number, precision: int) -> str:
    """A value inside a product: negatives in brackets so 2·(-1) cannot be misread."""
    text = number_text(v, precision)
    return f"({text})" if text.startswith("-") else text


def _divisor(v: Number, precision: int) -> str:
    """A value after "/": fractions and negatives in brackets."""
    text = number_text(v, precision)
    return f"({text})" if "/" in text or text.startswith("-") else text


def _dot(left: Sequence[Number], right: Sequence[Number], precision: int) -> str:
    return " + ".join(
        f"{_factor(a, precision)}·{_factor(b, precision)}" for a, b in zip(left, right, strict=True)
    )


def _row(m: Matrix, i: int) -> list[Number]:
    return [cell(m, i, j) for j in range(m.shape[1])]


def _col(m: Matrix, j: int) -> list[Number]:
    return [cell(m, i, j) for i in range(m.shape[0])]


def _pretty(name: str) -> str:
    head, dot, base = name.rpartition(".")
    return head + dot + PRETTY.get(base, base)


def explain(
    trace: Trace,
    target: str | Cell,
    matrices: Mapping[str, Matrix] | None = None,
    precision: int = 2,
) -> Explanation:
    """Show the work for one cell, from the trace's matrices or from `matrices` where it names them.

    The value is recomputed by the walk's own step functions, so with no override it is the trace's
    cell exactly; with an override (a student's earlier answers) it is what those numbers give.
    """
    c = parse_cell(trace, target) if isinstance(target, str) else target
    m = Operands(trace, matrices or {})
    worker = _WORKERS.get(c.base, _given)
    lines, value = worker(trace, c, m, precision)
    return Explanation(c, tuple(lines), value, tuple(m.read))


class Operands:
    """The matrices a calculation reads: from `override` where it names them, else from the trace."""

    def __init__(self, trace: Trace, override: Mapping[str, Matrix]) -> None:
        self.trace = trace
        self.override = override
        self.read: list[str] = []

    def __call__(self, name: str) -> Matrix:
        if name not in self.read:
            self.read.append(name)
        return self.override[name] if name in self.override else self.trace[name]


def recompute(trace: Trace, name: str, m: Operands) -> Matrix:
    """A computed matrix worked again by the walk's step functions from the operands `m` gives."""
    o, conv = trace.options, trace.options.convention
    p, _, base = name.rpartition(".")
    p += "." if p else ""
    if base in ("Q", "K", "V"):
        Q, K, V = project(m("X"), m("C") if "C" in trace.matrices else None, _head(p, m), conv)
        return {"Q": Q, "K": K, "V": V}[base]
    if base == "KT":
        return scores(m(p + "Q"), m(p + "K"), conv)[0]
    if base == "S":
        return scores(m(p + "Q"), m(p + "KT").T, conv)[1]  # S from the Kᵀ as written
    if base == "scaled":
        d_k = int(trace[p + "Q"].shape[0 if conv == "columns" else 1])  # the width of the queries
        out = scale(m(p + "S"), o.scale, d_k)
        return causal(out, conv) if o.mask == "causal" else out
    if base == "E":
        return exponentiate(m(p + "scaled"), o.base, p)
    if base == "sums":
        return softmax_sums(m(p + "E"), conv)
    if base == "A":
        E, sums, scaled = m(p + "E"), m(p + "sums"), m(p + "scaled")
        if not is_exact(E) and (p + "E" in m.override or p + "sums" in m.override):
            # walk's float route works A stably from the scores; numbers written by hand are divided
            divided: Matrix = to_float(E) / to_float(sums)
            return divided
        return normalise(E, sums, scaled, o.base, conv)
    if base == "Z":
        return weight(m(p + "V"), m(p + "A"), conv)
    if base == "concat":
        return concatenate([m(trace.problem.prefix(h) + "Z") for h in range(len(trace.problem.heads))], conv)
    if base == "O":
        return output_projection(m("WO"), m("concat" if "concat" in trace.matrices else "Z"), conv)
    if base == "X" and "embed" in trace.matrices:  # step 0: X = embed + P
        return add(m("embed"), m("P") if "P" in trace.matrices else None)
    return m(name)  # a given


Worker = Callable[[Trace, Cell, Operands, int], tuple[list[str], Number]]


def _given(trace: Trace, c: Cell, m: Operands, precision: int) -> tuple[list[str], Number]:
    value = cell(m(c.name), c.row, c.col)
    return [f"{c.label(True)} = {number_text(value, precision)} (given)"], value


def _token_feature(trace: Trace, c: Cell) -> tuple[int, int]:
    """(token, feature) of a cell laid out like X: (column, row) in columns, (row, column) in rows."""
    return (c.col, c.row) if trace.options.convention == "columns" else (c.row, c.col)


def _embedded_x(trace: Trace, c: Cell, m: Operands, precision: int) -> tuple[list[str], Number]:
    """X[i,j] = e("word")[k] + P[i,j]: the token's word vector plus its position's encoding."""
    e = trace.problem.embedding
    if e is None or "embed" not in trace.matrices:
        return _given(trace, c, m, precision)
    value = cell(recompute(trace, c.name, m), c.row, c.col)
    token, feature = _token_feature(trace, c)
    word = cell(m("embed"), c.row, c.col)
    label = c.label(True)
    if "P" not in trace.matrices:
        return [f"{label} = e({e.token(token)})[{feature + 1}] {_equals(value, precision)}"], value
    pe = cell(m("P"), c.row, c.col)
    terms = f"{number_text(word, precision)} + {_factor(pe, precision)}"
    return [
        f"{label} = e({e.token(token)})[{feature + 1}] + P[{c.row + 1},{c.col + 1}] = {terms} "
        f"{_equals(value, precision)}"
    ], value


def _embed(trace: Trace, c: Cell, m: Operands, precision: int) -> tuple[list[str], Number]:
    """embed[i,j]: a number of the token's word vector, looked up in the embedding table."""
    e = trace.problem.embedding
    value = cell(m(c.name), c.row, c.col)
    if e is None:
        return _given(trace, c, m, precision)
    token, feature = _token_feature(trace, c)
    where = f"entry {e.ids[token]} of the embedding table" if e.vocab is None else "the embeddings table"
    return [
        f"{c.label(True)} = e({e.token(token)})[{feature + 1}] = {number_text(value, precision)} "
        f"(given: from {where})"
    ], value


def _positional(trace: Trace, c: Cell, m: Operands, precision: int) -> tuple[list[str], Number]:
    """P[i,j]: the sinusoidal encoding of the token's position, worked; a given P is just given."""
    e = trace.problem.embedding
    value = cell(m(c.name), c.row, c.col)
    if e is None or e.positions != "sinusoidal":
        return _given(trace, c, m, precision)
    pos, k = _token_feature(trace, c)
    d = trace["P"].shape[0 if trace.options.convention == "columns" else 1]
    fn = "sin" if k % 2 == 0 else "cos"
    index = f"2i = {k}" if k % 2 == 0 else f"2i+1 = {k}"
    return [
        f"{c.label(True)} = {fn}({angle_text(pos, k, d, e.base)}) {_equals(value, precision)} "
        f"(pos = {pos}; feature {k + 1} is {index}, counting from 0, so {fn})"
    ], value


def _head(p: str, m: Operands) -> Head:
    return Head(m(p + "WQ"), m(p + "WK"), m(p + "WV"))


def _qkv(trace: Trace, c: Cell, m: Operands, precision: int) -> tuple[list[str], Number]:
    conv = trace.options.convention
    weights = {"Q": "WQ", "K": "WK", "V": "WV"}[c.base]
    source = "X" if c.base == "Q" or trace.problem.C is None else "C"
    token = source.lower()
    value = cell(recompute(trace, c.name, m), c.row, c.col)
    W = m(c.prefix + weights)
    i, j = c.row, c.col
    if conv == "columns":  # (row i of W)·(column j of the source)
        words = f"(row {i + 1} of {_pretty(c.prefix + weights)})·{token}{j + 1}"
        terms = _dot(_row(W, i), _col(m(source), j), precision)
    else:  # (row i of the source)·(column j of W)
        words = f"{token}{i + 1}·(column {j + 1} of {_pretty(c.prefix + weights)})"
        terms = _dot(_row(m(source), i), _col(W, j), precision)
    return [f"{c.label(True)} = {words} = {terms} {_equals(value, precision)}"], value


def _kt(trace: Trace, c: Cell, m: Operands, precision: int) -> tuple[list[str], Number]:
    value = cell(recompute(trace, c.name, m), c.row, c.col)
    source = f"{c.prefix}K[{c.col + 1},{c.row + 1}]"
    return [f"{c.label(True)} = {source} = {number_text(value, precision)} (Kᵀ: K transposed)"], value


def _keys_queries(trace: Trace, c: Cell) -> tuple[int, int]:
    """The (key, query) of a score cell: (row, column) in columns, (column, row) in rows."""
    return (c.row, c.col) if trace.options.convention == "columns" else (c.col, c.row)


def _s(trace: Trace, c: Cell, m: Operands, precision: int) -> tuple[list[str], Number]:
    conv = trace.options.convention
    value = cell(recompute(trace, c.name, m), c.row, c.col)
    Q, KT = m(c.prefix + "Q"), m(c.prefix + "KT")
    key, query = _keys_queries(trace, c)
    if conv == "columns":  # S[i,j] = k_i·q_j: row i of Kᵀ (n × d_k) times column j of Q
        words = f"k{key + 1}·q{query + 1}"
        terms = _dot(_row(KT, key), _col(Q, query), precision)
    else:  # S[i,j] = q_i·k_j: row i of Q (n × d_k) times column j of Kᵀ
        words = f"q{query + 1}·k{key + 1}"
        terms = _dot(_row(Q, query), _col(KT, key), precision)
    return [f"{c.label(True)} = {words} = {terms} {_equals(value, precision)}"], value


def _is_masked(trace: Trace, c: Cell) -> bool:
    key, query = _keys_queries(trace, c)
    return trace.options.mask == "causal" and key > query


def _mask_words(trace: Trace, c: Cell) -> str:
    key, query = _keys_queries(trace, c)
    return f"key {key + 1} comes after query {query + 1}, so the causal mask hides it"


def _scaled(trace: Trace, c: Cell, m: Operands, precision: int) -> tuple[list[str], Number]:
    opts, conv = trace.options, trace.options.convention
    value = cell(recompute(trace, c.name, m), c.row, c.col)
    S = m(c.prefix + "S")
    dk = int(trace[c.prefix + "Q"].shape[0 if conv == "columns" else 1])  # d_k: the width of the queries
    label = c.label(True)
    if _is_masked(trace, c):
        return [f"{label} = −∞: {_mask_words(trace, c)}"], value
    s_name = f"{c.prefix}S[{c.row + 1},{c.col + 1}]"
    s = number_text(cell(S, c.row, c.col), precision)
    if opts.scale == "floor-half":
        line = f"{label} = ⌊{s_name}/2⌋ = ⌊{s}/2⌋ {_equals(value, precision)}"
    elif opts.scale == "sqrt":
        line = f"{label} = {s_name}/√{dk} = {s}/√{dk} {_equals(value, precision)}"
    else:
        line = f"{label} = {s_name} = {number_text(value, precision)} (no scaling)"
    return [line], value


def _e(trace: Trace, c: Cell, m: Operands, precision: int) -> tuple[list[str], Number]:
    base = trace.options.base
    value = cell(recompute(trace, c.name, m), c.row, c.col)
    scaled = m(c.prefix + "scaled")
    power = "e" if base is None else str(base)
    x = cell(scaled, c.row, c.col)
    x_name = f"{c.prefix}scaled[{c.row + 1},{c.col + 1}]"
    if isinstance(x, float) and x == MASKED:
        return [f"{c.label(True)} = {power}^−∞ = 0: {x_name} is masked"], value
    shown = number_text(x, precision)
    shown = f"({shown})" if "/" in shown else shown  # 3^(5/2), not 3^5/2
    return [f"{c.label(True)} = {power}^{x_name} = {power}^{shown} {_equals(value, precision)}"], value


def _sums(trace: Trace, c: Cell, m: Operands, precision: int) -> tuple[list[str], Number]:
    conv = trace.options.convention
    value = cell(recompute(trace, c.name, m), c.row, c.col)
    E = m(c.prefix + "E")
    terms = _col(E, c.col) if conv == "columns" else _row(E, c.row)
    shown = " + ".join(number_text(t, precision) for t in terms)
    return [f"{c.label(conv == 'columns')} = {shown} {_equals(value, precision)}"], value


def _a(trace: Trace, c: Cell, m: Operands, precision: int) -> tuple[list[str], Number]:
    conv = trace.options.convention
    p = c.prefix
    value = cell(recompute(trace, c.name, m), c.row, c.col)
    E, sums = m(p + "E"), m(p + "sums")
    k = c.col if conv == "columns" else c.row
    total = cell(sums, 0, k) if conv == "columns" else cell(sums, k, 0)
    e = cell(E, c.row, c.col)
    line = (
        f"{c.label(True)} = {p}E[{c.row + 1},{c.col + 1}] / {p}sums[{k + 1}] = "
        f"{_divisor(e, precision)} / {_divisor(total, precision)} {_equals(value, precision)}"
    )
    if _is_masked(trace, c):
        line += f" ({_mask_words(trace, c)})"
    return [line], value


def _z(trace: Trace, c: Cell, m: Operands, precision: int) -> tuple[list[str], Number]:
    conv = trace.options.convention
    p = c.prefix
    value = cell(recompute(trace, c.name, m), c.row, c.col)
    V, A = m(p + "V"), m(p + "A")
    i, j = c.row + 1, c.col + 1
    if conv == "columns":  # z_j = Σ_i A[i,j]·v_i
        words = f"Σ_i {p}V[{i},i]·{p}A[i,{j}]"
        terms = _dot(_row(V, c.row), _col(A, c.col), precision)
    else:  # z_i = Σ_j A[i,j]·v_j
        words = f"Σ_k {p}A[{i},k]·{p}V[k,{j}]"
        terms = _dot(_row(A, c.row), _col(V, c.col), precision)
    return [f"{c.label(True)} = {words} = {terms} {_equals(value, precision)}"], value


def _concat(trace: Trace, c: Cell, m: Operands, precision: int) -> tuple[list[str], Number]:
    conv = trace.options.convention
    value = cell(recompute(trace, c.name, m), c.row, c.col)
    zs = [m(trace.problem.prefix(h) + "Z") for h in range(len(trace.problem.heads))]
    axis = 0 if conv == "columns" else 1
    offset = c.row if axis == 0 else c.col
    h = 0  # which head's Z holds the cell: walk past the blocks before it
    while offset >= zs[h].shape[axis]:
        offset -= zs[h].shape[axis]
        h += 1
    i, j = (offset, c.col) if axis == 0 else (c.row, offset)
    how = "one under the other" if axis == 0 else "side by side"
    source = f"h{h + 1}.Z[{i + 1},{j + 1}]"
    return [f"{c.label(True)} = {source} = {number_text(value, precision)} (the heads' Z {how})"], value


def _o(trace: Trace, c: Cell, m: Operands, precision: int) -> tuple[list[str], Number]:
    conv = trace.options.convention
    inner = "concat" if "concat" in trace.matrices else "Z"
    value = cell(recompute(trace, c.name, m), c.row, c.col)
    WO, mid = m("WO"), m(inner)
    i, j = c.row, c.col
    if conv == "columns":  # O = W_O·concat
        words = f"(row {i + 1} of W_O)·(column {j + 1} of {inner})"
        terms = _dot(_row(WO, i), _col(mid, j), precision)
    else:  # O = concat·W_O
        words = f"(row {i + 1} of {inner})·(column {j + 1} of W_O)"
        terms = _dot(_row(mid, i), _col(WO, j), precision)
    return [f"{c.label(True)} = {words} = {terms} {_equals(value, precision)}"], value


_WORKERS: dict[str, Worker] = {
    "X": _embedded_x,
    "embed": _embed,
    "P": _positional,
    "Q": _qkv,
    "K": _qkv,
    "V": _qkv,
    "KT": _kt,
    "S": _s,
    "scaled": _scaled,
    "E": _e,
    "sums": _sums,
    "A": _a,
    "Z": _z,
    "concat": _concat,
    "O": _o,
}


def worked_names(step: Step) -> list[str]:
    """The matrices a step computes (not the givens, not step 3's copy of Q)."""
    if step.number == 1:
        return []
    if step.number == 0:
        return ["X"]  # embed and P are given (a sinusoidal P is worked too: see step_cells)
    if step.number == 3:
        return [n for n in step.names if n.rpartition(".")[2] == "KT"]
    return list(step.names)


def step_cells(trace: Trace, step: Step) -> list[Cell]:
    """Every computed cell of a step, row by row."""
    out: list[Cell] = []
    names = worked_names(step)
    e = trace.problem.embedding
    if step.number == 0 and e is not None and e.positions == "sinusoidal":
        names = ["P", *names]
    for name in names:
        rows, cols = trace[name].shape
        out.extend(Cell(name, i, j) for i in range(rows) for j in range(cols))
    return out


def count_worked_cells(trace: Trace) -> int:
    """How many cells --show-work would explain for the whole trace."""
    return sum(len(step_cells(trace, s)) for s in trace.steps)
