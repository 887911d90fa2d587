"""One cell's "show your work": the operands written out and the arithmetic that gives the cell."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING, NoReturn

from .embed import add, angle_text
from .errors import ProblemError
from .numbers import SMALL_DENOMINATOR, Matrix, Number, cell, decimal_text, format_number, is_exact, to_float
from .problem import Head, Problem, suggest
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

if TYPE_CHECKING:
    from .check import Answers, Named  # check imports this module; the types are for readers and mypy

GIVEN_NAMES = ("X", "C", "WQ", "WK", "WV", "WO", "embed", "P")
PRETTY = {"WQ": "W_Q", "WK": "W_K", "WV": "W_V", "WO": "W_O", "KT": "Kᵀ"}
MAX_WORK_CELLS = 300  # --show-work explains at most this many cells; past it the output stops being readable
_INDEX = r"([0-9]{1,9}|[A-Za-z][0-9]{1,9}|Σ)"  # 1-based, or a table label: k1, q2, x3, Σ
_CELL = re.compile(rf"\s*([A-Za-z][\w.]*ᵀ?)\s*\[\s*{_INDEX}\s*(?:,\s*{_INDEX}\s*)?\]\s*")


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
    """The worked expansion of one cell and the value it comes to.

    `lines` is the one-line working (as --show-work and check print it); `work` is the full working a
    TA writes: the rule, each operand named with its values, every step of the arithmetic. `marked`
    and `marked_work` are the same with words marked «so» for the LaTeX view."""

    cell: Cell
    lines: tuple[str, ...]
    value: Number
    operands: tuple[str, ...]
    work: tuple[str, ...] = ()
    inputs: tuple[Cell, ...] = ()
    marked: tuple[str, ...] = ()
    marked_work: tuple[str, ...] = ()
    label: str = ""  # the cell as its convention writes it: sums[i] in rows is the row's sum

    @property
    def text(self) -> str:
        """The one-line working."""
        return "\n".join(self.lines)

    @property
    def work_text(self) -> str:
        """The full working, lines joined."""
        return "\n".join(self.work)

    def __str__(self) -> str:
        return self.work_text

    def __repr__(self) -> str:
        return f"<Explanation {self.text}>"  # one line; print() it for the full working


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
    name = match[1].replace("Kᵀ", "KT").replace("W_", "W")
    if name not in trace.matrices:
        _no_matrix(trace, name, match[2], match[3])
    first, second = _numbers(trace, name, match[2], match[3], text.strip())
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


def _no_matrix(trace: Trace, name: str, first: str, second: str | None) -> NoReturn:
    """The error for a name the trace lacks: per head in a multi-head problem, else the valid cells."""
    heads = [trace.problem.prefix(h) + name for h in range(len(trace.problem.heads))]
    if len(heads) > 1 and all(h in trace.matrices for h in heads):
        index = first + (f",{second}" if second is not None else "")
        choices = [f"{h}[{index}]" for h in heads]
        options = ", ".join(choices[:-1]) + " or " + choices[-1]
        raise ProblemError(f"{name} is per head in this problem ({len(heads)} heads): write {options}")
    hint = suggest(name, tuple(trace.matrices))
    raise ProblemError(f"no matrix {name!r} in this problem{hint}. Valid cells: {_ranges(trace)}")


def _numbers(trace: Trace, name: str, first: str, second: str | None, written: str) -> tuple[int, str | None]:
    """The 1-based indices of a cell written with numbers or with its table's labels (S[k1,q2])."""
    if first.isdigit() and (second is None or second.isdigit()):
        return int(first), second
    from .render.labels import labels  # the labels the tables print are the ones a person copies

    row_labels, col_labels = labels(trace, name)

    def where(token: str) -> tuple[str | None, int]:
        if token.isdigit():
            return None, int(token)
        if token in row_labels:
            return "row", row_labels.index(token) + 1
        if token in col_labels:
            return "col", col_labels.index(token) + 1
        raise ProblemError(
            f"{written}: {token} is not a row or column of {name} (its rows are "
            f"{row_labels[0]}..{row_labels[-1]}, its columns {col_labels[0]}..{col_labels[-1]})"
        )

    if second is None:  # sums[q2]: the one index along the tokens
        return where(first)[1], None
    (axis1, n1), (axis2, n2) = where(first), where(second)
    if axis1 == axis2 and axis1 is not None:
        raise ProblemError(
            f"{written}: {first} and {second} are both {axis1}s of {name}; give a row and a column"
        )
    if axis1 == "col" or axis2 == "row":  # written column first, as S[q2,k1]: the labels say which is which
        n1, n2 = n2, n1
    return n1, str(n2)


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
    done = worker(trace, c, m, precision)
    line, full = done.line(), done.full()
    return Explanation(
        c, (unmark(line),), done.value, tuple(m.read), tuple(unmark(x) for x in full), tuple(done.inputs),
        (line,), tuple(full), c.label(trace.options.convention == "columns"),
    )  # fmt: skip


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
    """A computed matrix worked again by the walk's step functions from the operands `m` gives.

    With no override the result is the trace's own matrix, so it is worked once per trace and kept
    (with the operands it read): --show-work explains each cell without redoing whole matrices."""
    if m.override:
        return _recompute(trace, name, m)
    kept: dict[str, tuple[Matrix, list[str]]] = vars(trace).setdefault("_recomputed", {})
    if name not in kept:
        fresh = Operands(trace, {})
        kept[name] = (_recompute(trace, name, fresh), fresh.read)
    matrix, read = kept[name]
    for operand in read:
        m(operand)  # the same operands recorded, in the same order, as working it again would
    return matrix


def _recompute(trace: Trace, name: str, m: Operands) -> Matrix:
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


# How a cell's working is written. Words are marked «like this» so that the LaTeX view can set them
# as text and everything else as maths; the plain text drops the marks.


def unmark(marked: str) -> str:
    """A marked line as plain text."""
    return marked.replace("«", "").replace("»", "")


Chain = list[tuple[str, str, bool]]  # (relation, maths, shown in the one-line form too)


@dataclass
class Working:
    """One cell's working before it is written: the rule, the operands named, the chain of values."""

    lhs: str
    value: Number
    rule: str = ""
    chain: Chain = field(default_factory=list)
    suffix: str = ""  # words that end the one-line form
    about: str = ""  # words after the rule in the full form
    given: list[str] = field(default_factory=list)  # the operands, named with their values
    notes: list[str] = field(default_factory=list)  # remarks under the chain
    inputs: list[Cell] = field(default_factory=list)  # the operand cells the value is made from
    rule_in_line: bool = True

    def line(self) -> str:
        """The one-line form (marked): the rule and the chain without its intermediate steps."""
        out = self.lhs + (f" = {self.rule}" if self.rule and self.rule_in_line else "")
        out += "".join(f" {rel} {maths}" for rel, maths, short in self.chain if short)
        return out + self.suffix

    def full(self) -> list[str]:
        """The full form (marked), as a TA writes it: the rule, the operands, each step of the arithmetic."""
        if not self.given and len(self.chain) <= 1:
            return [self.line() if not self.about else self.line().removesuffix(self.suffix) + self.about]
        lines = [self.lhs + (f" = {self.rule}" if self.rule else "") + self.about]
        lines += [f"  {g}" for g in self.given]
        start = self.rule or self.lhs
        pad = " " * len(unmark(start))
        for k, (rel, maths, _) in enumerate(self.chain):
            lines.append(f"  {start if k == 0 else pad} {rel} {maths}")
        return lines + [f"  {note}" for note in self.notes]


def _rel(v: Number) -> str:
    return "≈" if is_rounded(v) else "="


def _vector(values: Sequence[Number], precision: int) -> str:
    return "(" + ", ".join(number_text(v, precision) for v in values) + ")"


def _plus(values: Sequence[Number], precision: int) -> str:
    return " + ".join(_factor(v, precision) for v in values)


def _sum_steps(values: Sequence[Number], total: Number, precision: int) -> Chain:
    """A sum's working: the terms, the whole numbers added first when fractions are left over, the total."""
    chain: Chain = []
    exact = all(isinstance(v, Fraction) for v in values)
    if exact and len(values) > 1:
        whole = [v for v in values if v.denominator == 1]  # type: ignore[union-attr]
        parts = [v for v in values if v.denominator != 1]  # type: ignore[union-attr]
        if len(whole) >= 2 and parts:
            grouped = ([sum(whole)] if sum(whole) != 0 else []) + parts
            if len(grouped) > 1:
                chain.append(("=", _plus(grouped, precision), False))
    chain.append((_rel(total), number_text(total, precision), True))
    return chain


def _dot_chain(left: Sequence[Number], right: Sequence[Number], total: Number, precision: int) -> Chain:
    """a·b written out: the products, their values, any grouping, the total."""
    chain: Chain = [("=", _dot(left, right, precision), True)]
    if len(left) > 1:
        products = [a * b for a, b in zip(left, right, strict=True)]
        rel = "≈" if any(is_rounded(p) for p in products) else "="
        chain.append((rel, _plus(products, precision), False))
        chain += _sum_steps(products, total, precision)
    else:
        chain.append((_rel(total), number_text(total, precision), True))
    return chain


def _row(m: Matrix, i: int) -> list[Number]:
    return [cell(m, i, j) for j in range(m.shape[1])]


def _col(m: Matrix, j: int) -> list[Number]:
    return [cell(m, i, j) for i in range(m.shape[0])]


def _row_cells(name: str, m: Matrix, i: int) -> list[Cell]:
    return [Cell(name, i, j) for j in range(m.shape[1])]


def _col_cells(name: str, m: Matrix, j: int) -> list[Cell]:
    return [Cell(name, i, j) for i in range(m.shape[0])]


def _pretty(name: str) -> str:
    head, dot, base = name.rpartition(".")
    return head + dot + PRETTY.get(base, base)


Worker = Callable[[Trace, Cell, Operands, int], Working]
KINDS = {"Q": "query", "K": "key", "V": "value"}


def _given(trace: Trace, c: Cell, m: Operands, precision: int) -> Working:
    value = cell(m(c.name), c.row, c.col)
    chain: Chain = [(_rel(value), number_text(value, precision), True)]
    return Working(c.label(True), value, chain=chain, suffix=" «(given)»")


def _token_feature(trace: Trace, c: Cell) -> tuple[int, int]:
    """(token, feature) of a cell laid out like X: (column, row) in columns, (row, column) in rows."""
    return (c.col, c.row) if trace.options.convention == "columns" else (c.row, c.col)


def _embedded_x(trace: Trace, c: Cell, m: Operands, precision: int) -> Working:
    """X[i,j] = e("word")[k] + P[i,j]: the token's word vector plus its position's encoding."""
    e = trace.problem.embedding
    if e is None or "embed" not in trace.matrices:
        return _given(trace, c, m, precision)
    value = cell(recompute(trace, c.name, m), c.row, c.col)
    token, feature = _token_feature(trace, c)
    word = cell(m("embed"), c.row, c.col)
    label = c.label(True)
    looked_up = f"e(«{e.token(token)}»)[{feature + 1}]"
    inputs = [Cell("embed", c.row, c.col)]
    about = f"«: feature {feature + 1} of token {token + 1}»"
    if "P" not in trace.matrices:
        return Working(label, value, looked_up, [(_rel(value), number_text(value, precision), True)],
                       about=about, inputs=inputs)  # fmt: skip
    pe = cell(m("P"), c.row, c.col)
    terms = f"{number_text(word, precision)} + {_factor(pe, precision)}"
    chain: Chain = [("=", terms, True), (_rel(value), number_text(value, precision), True)]
    p_cell = f"P[{c.row + 1},{c.col + 1}]"
    given = [
        f"{looked_up} = {number_text(word, precision)}«, from the word's vector»",
        f"{p_cell} = {number_text(pe, precision)}«, the encoding of position »{token}",
    ]
    about = "«: the word's vector plus its position's encoding»"
    return Working(
        label, value, f"{looked_up} + {p_cell}", chain, about=about, given=given,
        inputs=[*inputs, Cell("P", c.row, c.col)],
    )  # fmt: skip


def _embed(trace: Trace, c: Cell, m: Operands, precision: int) -> Working:
    """embed[i,j]: a number of the token's word vector, looked up in the embedding table."""
    e = trace.problem.embedding
    value = cell(m(c.name), c.row, c.col)
    if e is None:
        return _given(trace, c, m, precision)
    token, feature = _token_feature(trace, c)
    where = f"entry {e.ids[token]} of the embedding table" if e.vocab is None else "the embeddings table"
    return Working(
        c.label(True), value, f"e(«{e.token(token)}»)[{feature + 1}]",
        [(_rel(value), number_text(value, precision), True)], suffix=f" «(given: from {where})»",
    )  # fmt: skip


def _positional(trace: Trace, c: Cell, m: Operands, precision: int) -> Working:
    """P[i,j]: the sinusoidal encoding of the token's position, worked; a given P is just given."""
    e = trace.problem.embedding
    value = cell(m(c.name), c.row, c.col)
    if e is None or e.positions != "sinusoidal":
        return _given(trace, c, m, precision)
    pos, k = _token_feature(trace, c)
    d = trace["P"].shape[0 if trace.options.convention == "columns" else 1]
    fn = "sin" if k % 2 == 0 else "cos"
    index = f"2i = {k}" if k % 2 == 0 else f"2i+1 = {k}"
    return Working(
        c.label(True), value, f"{fn}({angle_text(pos, k, d, e.base)})",
        [(_rel(value), number_text(value, precision), True)],
        suffix=f" «(pos = {pos}; feature {k + 1} is {index}, counting from 0, so {fn})»",
    )  # fmt: skip


def _head(p: str, m: Operands) -> Head:
    return Head(m(p + "WQ"), m(p + "WK"), m(p + "WV"))


def _qkv(trace: Trace, c: Cell, m: Operands, precision: int) -> Working:
    conv = trace.options.convention
    weights = c.prefix + {"Q": "WQ", "K": "WK", "V": "WV"}[c.base]
    source = "X" if c.base == "Q" or trace.problem.C is None else "C"
    token = source.lower()
    value = cell(recompute(trace, c.name, m), c.row, c.col)
    W, src = m(weights), m(source)
    i, j = c.row, c.col
    w = _pretty(weights)
    if conv == "columns":  # (row i of W)·(column j of the source)
        rule = f"«(row {i + 1} of »{w}«)»·{token}{j + 1}"
        left, right = _row(W, i), _col(src, j)
        given = [f"«row {i + 1} of »{w} = {_vector(left, precision)}"]
        given.append(f"{token}{j + 1} = {_vector(right, precision)}«, column {j + 1} of »{source}")
        inputs = _row_cells(weights, W, i) + _col_cells(source, src, j)
        entry, tok = i + 1, j + 1
    else:  # (row i of the source)·(column j of W)
        rule = f"{token}{i + 1}·«(column {j + 1} of »{w}«)»"
        left, right = _row(src, i), _col(W, j)
        given = [f"{token}{i + 1} = {_vector(left, precision)}«, row {i + 1} of »{source}"]
        given.append(f"«column {j + 1} of »{w} = {_vector(right, precision)}")
        inputs = _row_cells(source, src, i) + _col_cells(weights, W, j)
        entry, tok = j + 1, i + 1
    whose = "context token" if source == "C" else "token"
    head = f" in head {c.prefix[1:-1]}" if c.prefix else ""
    about = f"«: entry {entry} of the {KINDS[c.base]} of {whose} {tok}{head}»"
    chain = _dot_chain(left, right, value, precision)
    return Working(c.label(True), value, rule, chain, about=about, given=given, inputs=inputs)


def _kt(trace: Trace, c: Cell, m: Operands, precision: int) -> Working:
    value = cell(recompute(trace, c.name, m), c.row, c.col)
    source = f"{c.prefix}K[{c.col + 1},{c.row + 1}]"
    return Working(
        c.label(True),
        value,
        source,
        [(_rel(value), number_text(value, precision), True)],
        suffix=" «(Kᵀ: K transposed)»",
        about="«: Kᵀ is K transposed, its rows and columns swapped»",
        inputs=[Cell(c.prefix + "K", c.col, c.row)],
    )


def _keys_queries(trace: Trace, c: Cell) -> tuple[int, int]:
    """The (key, query) of a score cell: (row, column) in columns, (column, row) in rows."""
    return (c.row, c.col) if trace.options.convention == "columns" else (c.col, c.row)


def _s(trace: Trace, c: Cell, m: Operands, precision: int) -> Working:
    conv = trace.options.convention
    value = cell(recompute(trace, c.name, m), c.row, c.col)
    p = c.prefix
    Q, KT = m(p + "Q"), m(p + "KT")
    key, query = _keys_queries(trace, c)
    k, q = key + 1, query + 1
    if conv == "columns":  # S[i,j] = k_i·q_j: row i of Kᵀ (n × d_k) times column j of Q
        rule = f"k{k}·q{q}"
        left, right = _row(KT, key), _col(Q, query)
        given = [
            f"k{k} = {_vector(left, precision)}«, row {k} of »{p}Kᵀ« (column {k} of »{p}K«)»",
            f"q{q} = {_vector(right, precision)}«, column {q} of »{p}Q",
        ]
        inputs = _row_cells(p + "KT", KT, key) + _col_cells(p + "Q", Q, query)
    else:  # S[i,j] = q_i·k_j: row i of Q (n × d_k) times column j of Kᵀ
        rule = f"q{q}·k{k}"
        left, right = _row(Q, query), _col(KT, key)
        given = [
            f"q{q} = {_vector(left, precision)}«, row {q} of »{p}Q",
            f"k{k} = {_vector(right, precision)}«, column {k} of »{p}Kᵀ« (row {k} of »{p}K«)»",
        ]
        inputs = _row_cells(p + "Q", Q, query) + _col_cells(p + "KT", KT, key)
    about = f"«: how well key {k} matches query {q}»"
    chain = _dot_chain(left, right, value, precision)
    return Working(c.label(True), value, rule, chain, about=about, given=given, inputs=inputs)


def _is_masked(trace: Trace, c: Cell) -> bool:
    key, query = _keys_queries(trace, c)
    return trace.options.mask == "causal" and key > query


def _mask_words(trace: Trace, c: Cell) -> str:
    key, query = _keys_queries(trace, c)
    return f"key {key + 1} comes after query {query + 1}, so the causal mask hides it"


def _scaled(trace: Trace, c: Cell, m: Operands, precision: int) -> Working:
    opts, conv = trace.options, trace.options.convention
    value = cell(recompute(trace, c.name, m), c.row, c.col)
    S = m(c.prefix + "S")
    dk = int(trace[c.prefix + "Q"].shape[0 if conv == "columns" else 1])  # d_k: the width of the queries
    label = c.label(True)
    s_cell = Cell(c.prefix + "S", c.row, c.col)
    if _is_masked(trace, c):
        return Working(label, value, chain=[("=", "−∞", True)], suffix=f"«: {_mask_words(trace, c)}»")
    s_name = s_cell.label(True)
    raw = cell(S, c.row, c.col)
    s = number_text(raw, precision)
    shown = number_text(value, precision)
    if opts.scale == "floor-half":
        chain: Chain = [("=", f"⌊{s}/2⌋", True)]
        notes = []
        half = raw / 2
        if isinstance(raw, Fraction) and raw.denominator == 1 and raw.numerator % 2:
            chain.append(("=", f"⌊{decimal_text(half, 1)}⌋", False))
            if raw < 0:
                towards_zero = number_text(value + 1, precision)  # what cutting off the .5 would give
                notes.append(
                    f"«⌊ ⌋ rounds down, towards »−∞«: »⌊{decimal_text(half, 1)}⌋ = {shown}"
                    f"«, not »{towards_zero}"
                )
        chain.append((_rel(value), shown, True))
        return Working(
            label, value, f"⌊{s_name}/2⌋", chain, about="«: S halved and rounded down»", notes=notes,
            inputs=[s_cell],
        )  # fmt: skip
    if opts.scale == "sqrt":
        chain = [("=", f"{s}/√{dk}", True)]
        root = math.isqrt(dk)
        if root * root == dk:
            if f"{s}/{root}" != shown:
                chain.append(("=", f"{s}/{root}", False))
        else:
            chain.append(("≈", f"{s}/{decimal_text(Fraction(math.sqrt(dk)), precision)}", False))
        chain.append((_rel(value), shown, True))
        return Working(
            label, value, f"{s_name}/√{dk}", chain, about=f"«: S divided by √d_k, with d_k = {dk}»",
            inputs=[s_cell],
        )  # fmt: skip
    return Working(label, value, s_name, [("=", shown, True)], suffix=" «(no scaling)»", inputs=[s_cell])


def _e(trace: Trace, c: Cell, m: Operands, precision: int) -> Working:
    base = trace.options.base
    value = cell(recompute(trace, c.name, m), c.row, c.col)
    scaled = m(c.prefix + "scaled")
    power = "e" if base is None else str(base)
    x = cell(scaled, c.row, c.col)
    x_cell = Cell(c.prefix + "scaled", c.row, c.col)
    x_name = x_cell.label(True)
    if isinstance(x, float) and x == MASKED:
        return Working(
            c.label(True), value, f"{power}^−∞", [("=", "0", True)], suffix=f"«: »{x_name}« is masked»",
            inputs=[x_cell],
        )  # fmt: skip
    shown = number_text(x, precision)
    shown = f"({shown})" if "/" in shown else shown  # 3^(5/2), not 3^5/2
    chain: Chain = [("=", f"{power}^{shown}", True)]
    if isinstance(x, Fraction) and x.denominator == 1 and x < -1 and base is not None:
        chain.append(("=", f"1/{power}^{-x}", False))  # 3^-2 = 1/3^2 = 1/9
    chain.append((_rel(value), number_text(value, precision), True))
    about = "«: the hand trick »3^x« in place of »e^x" if base == 3 else ""
    return Working(c.label(True), value, f"{power}^{x_name}", chain, about=about, inputs=[x_cell])


def _sums(trace: Trace, c: Cell, m: Operands, precision: int) -> Working:
    conv = trace.options.convention
    value = cell(recompute(trace, c.name, m), c.row, c.col)
    p = c.prefix
    E = m(p + "E")
    if conv == "columns":
        terms, inputs = _col(E, c.col), _col_cells(p + "E", E, c.col)
        k = c.col + 1
        rule, about = f"Σ_i {p}E[i,{k}]", f"«: the sum down column q{k} of »{p}E"
    else:
        terms, inputs = _row(E, c.row), _row_cells(p + "E", E, c.row)
        k = c.row + 1
        rule, about = f"Σ_j {p}E[{k},j]", f"«: the sum along row q{k} of »{p}E"
    chain: Chain = [("=", " + ".join(number_text(t, precision) for t in terms), True)]
    chain += _sum_steps(terms, value, precision)
    return Working(
        c.label(conv == "columns"), value, rule, chain, about=about, inputs=inputs, rule_in_line=False
    )


def _a(trace: Trace, c: Cell, m: Operands, precision: int) -> Working:
    conv = trace.options.convention
    p = c.prefix
    value = cell(recompute(trace, c.name, m), c.row, c.col)
    E, sums = m(p + "E"), m(p + "sums")
    k = c.col if conv == "columns" else c.row
    total = cell(sums, 0, k) if conv == "columns" else cell(sums, k, 0)
    e = cell(E, c.row, c.col)
    chain: Chain = [("=", f"{_divisor(e, precision)} / {_divisor(total, precision)}", True)]
    if isinstance(total, Fraction) and total.denominator != 1 and total != 0 and isinstance(e, Fraction):
        flipped = Fraction(total.denominator, total.numerator)  # dividing by a fraction: times its flip
        left = _divisor(e, precision)  # (1/3)·(3/46), not 1/3·3/46
        right = _divisor(flipped, precision) if left.startswith("(") else _factor(flipped, precision)
        chain.append(("=", f"{left}·{right}", False))
    chain.append((_rel(value), number_text(value, precision), True))
    line = "column" if conv == "columns" else "row"
    suffix = f" «({_mask_words(trace, c)})»" if _is_masked(trace, c) else ""
    sums_cell = Cell(p + "sums", 0, k) if conv == "columns" else Cell(p + "sums", k, 0)
    return Working(
        c.label(True),
        value,
        f"{p}E[{c.row + 1},{c.col + 1}] / {p}sums[{k + 1}]",
        chain,
        suffix=suffix,
        about=f"«: {line} q{k + 1} of E divided by its sum, so that it sums to 1»" + suffix,
        inputs=[Cell(p + "E", c.row, c.col), sums_cell],
    )


def _z(trace: Trace, c: Cell, m: Operands, precision: int) -> Working:
    conv = trace.options.convention
    p = c.prefix
    value = cell(recompute(trace, c.name, m), c.row, c.col)
    V, A = m(p + "V"), m(p + "A")
    i, j = c.row + 1, c.col + 1
    if conv == "columns":  # z_j = Σ_i A[i,j]·v_i
        rule = f"Σ_i {p}V[{i},i]·{p}A[i,{j}]"
        left, right = _row(V, c.row), _col(A, c.col)
        given = [
            f"«row {i} of »{p}V = {_vector(left, precision)}",
            f"«column q{j} of »{p}A = {_vector(right, precision)}",
        ]
        about = f"«: the values' entry {i}, weighted by how much query {j} attends to each key»"
        inputs = _row_cells(p + "V", V, c.row) + _col_cells(p + "A", A, c.col)
    else:  # z_i = Σ_j A[i,j]·v_j
        rule = f"Σ_k {p}A[{i},k]·{p}V[k,{j}]"
        left, right = _row(A, c.row), _col(V, c.col)
        given = [
            f"«row q{i} of »{p}A = {_vector(left, precision)}",
            f"«column {j} of »{p}V = {_vector(right, precision)}",
        ]
        about = f"«: the values' entry {j}, weighted by how much query {i} attends to each key»"
        inputs = _row_cells(p + "A", A, c.row) + _col_cells(p + "V", V, c.col)
    chain = _dot_chain(left, right, value, precision)
    return Working(c.label(True), value, rule, chain, about=about, given=given, inputs=inputs)


def _concat(trace: Trace, c: Cell, m: Operands, precision: int) -> Working:
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
    return Working(
        c.label(True), value, source, [(_rel(value), number_text(value, precision), True)],
        suffix=f" «(the heads' Z {how})»", inputs=[Cell(f"h{h + 1}.Z", i, j)],
    )  # fmt: skip


def _o(trace: Trace, c: Cell, m: Operands, precision: int) -> Working:
    conv = trace.options.convention
    inner = "concat" if "concat" in trace.matrices else "Z"
    value = cell(recompute(trace, c.name, m), c.row, c.col)
    WO, mid = m("WO"), m(inner)
    i, j = c.row, c.col
    if conv == "columns":  # O = W_O·concat
        rule = f"«(row {i + 1} of »W_O«)·(column {j + 1} of »{inner}«)»"
        left, right = _row(WO, i), _col(mid, j)
        given = [
            f"«row {i + 1} of »W_O = {_vector(left, precision)}",
            f"«column {j + 1} of »{inner} = {_vector(right, precision)}",
        ]
        inputs = _row_cells("WO", WO, i) + _col_cells(inner, mid, j)
    else:  # O = concat·W_O
        rule = f"«(row {i + 1} of »{inner}«)·(column {j + 1} of »W_O«)»"
        left, right = _row(mid, i), _col(WO, j)
        given = [
            f"«row {i + 1} of »{inner} = {_vector(left, precision)}",
            f"«column {j + 1} of »W_O = {_vector(right, precision)}",
        ]
        inputs = _row_cells(inner, mid, i) + _col_cells("WO", WO, j)
    chain = _dot_chain(left, right, value, precision)
    return Working(c.label(True), value, rule, chain, given=given, inputs=inputs)


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


@dataclass(frozen=True)
class Diagnosis:
    """A cell worked from a student's own numbers, and what the TA says about the value they wrote."""

    explanation: Explanation  # worked from the student's earlier answers where they wrote them
    written: str | None  # the student's value for the cell as written (None: left blank or not given)
    verdict: str  # correct, carried, wrong, blank or given
    lines: tuple[str, ...]  # the TA's remarks (marked with «» for LaTeX, like the working)

    @property
    def text(self) -> str:
        """The remarks as plain text."""
        return "\n".join(unmark(line) for line in self.lines)


def _written_value(text: str) -> Number:
    """A cell as the student wrote it ("9/46", "0.2", "-inf") as a number."""
    from .answers import MINUS_INFINITY
    from .numbers import parse_number

    if text.strip().lower() in MINUS_INFINITY:
        return MASKED
    return parse_number(text)[0]


def diagnose(trace: Trace, target: str | Cell, answers: Answers, precision: int = 2) -> Diagnosis:
    """Work one cell from a student's own earlier answers (`answers`: check.Answers) and say where their
    value for it differs from the truth and why: an operand that was already wrong, or the arithmetic."""
    from .check import Rules, check

    c = parse_cell(trace, target) if isinstance(target, str) else target
    report = check(trace, answers, Rules(), precision)
    own: dict[str, Matrix] = {}  # the student's matrices, where they differ from the true ones
    written: str | None = None
    verdict = "blank"
    for step in report.steps:
        truth = trace[step.name]
        mine = truth.copy()
        for i, row in enumerate(step.cells):
            for j, result in enumerate(row):
                if result.answer is not None and result.verdict != "unreadable":
                    value = _written_value(result.answer)
                    mine[i, j] = value if is_exact(truth) else float(value)
                elif result.own is not None:
                    mine[i, j] = result.own
        if step.name == c.name:
            written = step.cells[c.row][c.col].answer
            verdict = step.cells[c.row][c.col].verdict
        if any(a != b for a, b in zip(mine.flat, truth.flat, strict=True)):
            own[step.name] = mine
    earlier = {k: v for k, v in own.items() if k != c.name}
    done = explain(trace, c, earlier, precision)
    columns = trace.options.convention == "columns"
    label = c.label(columns)
    truth_text = number_text(cell(trace[c.name], c.row, c.col), precision)
    own_text = number_text(done.value, precision)
    if is_given(trace, c.name):
        return Diagnosis(done, None, "given", (f"{label}«: a given, nothing to work out»",))
    wrong = [
        i
        for i in done.inputs
        if i.name in earlier and cell(earlier[i.name], i.row, i.col) != cell(trace[i.name], i.row, i.col)
    ]
    cause = ""
    if wrong:
        first = wrong[0]
        yours = number_text(cell(earlier[first.name], first.row, first.col), precision)
        right = number_text(cell(trace[first.name], first.row, first.col), precision)
        more = f"« (and {len(wrong) - 1} more of its operands)»" if len(wrong) > 1 else ""
        cause = f"«your »{first.label(columns)} = {yours}« was already wrong (it is »{right}«)»{more}"
    if written is None:
        lines = [f"«You have not written »{label}«; from your own numbers it comes to »{own_text}"]
        if own_text != truth_text:
            lines.append(f"«The true value is »{truth_text}«: »{cause}")
        return Diagnosis(done, None, "blank", tuple(lines))
    if verdict == "unreadable":
        return Diagnosis(done, written, verdict, (
            f"«Your »{label}« could not be read (»{written}«); from your own numbers it comes to »{own_text}",
        ))  # fmt: skip
    if verdict == "correct":
        return Diagnosis(done, written, verdict, (f"«Your »{label} = {written}« is right.»",))
    if verdict == "carried":
        return Diagnosis(done, written, verdict, (
            f"«Your »{label} = {written}« is right from your own numbers: »{cause}«, and this cell carries "
            f"that forward, so it is not a new mistake. The true value is »{truth_text}«.»",
        ))  # fmt: skip
    lines = [f"«Your »{label} = {written}«, but it should be »{truth_text}«.»"]
    if cause:
        lines.append(
            f"«Where it went wrong: »{cause}«; from your own numbers it comes to »{own_text}«, "
            f"so your »{written}« also has a slip in the arithmetic of this step.»"
        )
    else:
        lines.append(
            "«Your operands for it are right, so the slip is in the arithmetic of this step (the working "
            "above).»"
        )
    return Diagnosis(done, written, verdict, tuple(lines))


def answers_problem(
    answers: Answers,
    named: Named | None,
    convention: str | None,
    heads: int | None,
    method: Mapping[str, object] | None = None,
) -> Problem:
    """The problem an answers file is worked against: the one named on the command line, else the
    one the file names, with the method it records (exactly as check grades it)."""
    from .check import problem_for

    problem, _, _ = problem_for(answers, named, convention, heads, method)
    return problem
